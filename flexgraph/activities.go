package flexgraph

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/flexgraph/model"
	"github.com/profilegate/profilegate/history"
)

// An activity's sid carries its source and its place there, so activityDetails can ask that
// source for exactly it: "AC" and the base64url of {"s": source, "a": at, "i": id}.

type activityRef struct {
	Source string `json:"s"`
	history.Position
}

func activitySid(a *history.Activity) string {
	b, _ := json.Marshal(activityRef{Source: a.Source, Position: a.Position})
	return "AC" + base64.RawURLEncoding.EncodeToString(b)
}

func parseActivitySid(s string) (activityRef, error) {
	var r activityRef
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, "AC"))
	if !strings.HasPrefix(s, "AC") || err != nil || len(b) > 4096 || json.Unmarshal(b, &r) != nil || r.Source == "" {
		return r, errcode.Errorf(errcode.BadUserInput, "activitySid: %q is not the sid of an activity this API returned", errcode.Truncate(s, 64))
	}
	return r, nil
}

// item renders an activity as Flex's timeline shows it: a conversation as an Activity with
// interaction attributes, an event as an ActivityView with its properties as details, a CRM
// activity or a merge as an Activity with its properties as custom attributes.
func item(a *history.Activity) model.ActivityItem {
	sid, at, label := activitySid(a), a.OccurredAt.UTC().Format(time.RFC3339), a.Label
	switch a.Kind {
	case history.KindInteraction:
		return &model.Activity{Sid: sid, Timestamp: &at, Label: &label, Attributes: interaction(a, sid)}
	case history.KindEvent:
		name := a.Name
		return &model.ActivityView{Sid: &sid, Timestamp: &at, Label: &label,
			Attributes: &model.ProfileEventUIAttributes{EventName: &name, DescriptionLabel: &label},
			Details:    []model.ActivityDetailItem{&model.ProfileEventDetail{Timestamp: &at, Label: &label, Data: data(a)}}}
	}
	return &model.Activity{Sid: sid, Timestamp: &at, Label: &label, Attributes: &model.CustomAttributes{Data: data(a)}}
}

// details renders one activity with its details, for activityDetails.
func details(a *history.Activity) *model.ActivityDetails {
	sid, at, label := activitySid(a), a.OccurredAt.UTC().Format(time.RFC3339), a.Label
	d := &model.ActivityDetails{Sid: sid, Timestamp: &at, Label: &label, Details: []model.ActivityDetailItem{}}
	switch a.Kind {
	case history.KindInteraction:
		attrs := interaction(a, sid)
		d.Attributes = attrs
		d.Details = append(d.Details, &model.ChannelDetail{ChannelSid: sid, ChannelType: attrs.ChannelType, Direction: attrs.Direction,
			Duration: attrs.Duration, Label: &label, Timestamp: &at, Participants: []model.ParticipantItem{}})
	case history.KindEvent:
		name := a.Name
		d.Attributes = &model.ProfileEventUIAttributes{EventName: &name, DescriptionLabel: &label}
	default:
		d.Attributes = &model.CustomAttributes{Data: data(a)}
	}
	d.Details = append(d.Details, &model.CustomDetail{Timestamp: &at, Label: &label, Data: data(a)})
	return d
}

func interaction(a *history.Activity, sid string) *model.InteractionAttributes {
	attrs := &model.InteractionAttributes{InteractionSid: sid, Duration: a.DurationSeconds}
	if a.Channel != nil {
		c := channelType(*a.Channel)
		attrs.ChannelType = &c
	}
	if a.Direction != nil {
		d := model.Direction(*a.Direction) // INBOUND, OUTBOUND in both
		attrs.Direction = &d
	}
	return attrs
}

// channelType is Flex's channel type of a channel; Flex has no chat or other.
func channelType(c history.Channel) model.ChannelType {
	switch c {
	case history.ChannelVoice:
		return model.ChannelTypeVoice
	case history.ChannelSMS:
		return model.ChannelTypeSms
	case history.ChannelEmail:
		return model.ChannelTypeEmail
	case history.ChannelWhatsApp:
		return model.ChannelTypeWhatsapp
	case history.ChannelWeb:
		return model.ChannelTypeWeb
	}
	return model.ChannelTypeUnknown
}

// data is an activity's properties by key, with where it came from.
func data(a *history.Activity) map[string]any {
	m := map[string]any{"source": a.Source, "kind": string(a.Kind), "name": a.Name}
	for _, p := range a.Properties {
		if p.Value != nil {
			m[p.Key] = *p.Value
		}
	}
	return m
}
