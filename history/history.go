// Package history owns the customer history: what an activity is (an interaction, an event,
// a CRM activity, an identity merge), what a history source answers, and the timeline made of
// them: the sources' pages merged newest first, cut at a page size, with opaque cursors that
// resume each source exactly where it stopped (seek pagination, no offsets), so paging never
// repeats or skips an activity even while new ones are written.
package history

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// Kind is what an activity is.
type Kind string

// The kinds of activities.
const (
	// KindInteraction is a conversation with the contact center: a call, an SMS, an email.
	KindInteraction Kind = "INTERACTION"
	// KindEvent is something the person did, as the warehouse tracked it ("Order Completed").
	KindEvent Kind = "EVENT"
	// KindCRMActivity is a CRM's record of the person: a note, a task, a meeting.
	KindCRMActivity Kind = "CRM_ACTIVITY"
	// KindIdentity is a change of who the person is: two profiles merged.
	KindIdentity Kind = "IDENTITY"
)

// Kinds are the kinds, in the schema's order.
var Kinds = []Kind{KindInteraction, KindEvent, KindCRMActivity, KindIdentity}

// Channel is how an interaction reached the person.
type Channel string

// The channels.
const (
	ChannelVoice    Channel = "VOICE"
	ChannelSMS      Channel = "SMS"
	ChannelEmail    Channel = "EMAIL"
	ChannelWhatsApp Channel = "WHATSAPP"
	ChannelWeb      Channel = "WEB"
	ChannelChat     Channel = "CHAT"
	ChannelOther    Channel = "OTHER"
)

// Channels are the channels, in the schema's order.
var Channels = []Channel{ChannelVoice, ChannelSMS, ChannelEmail, ChannelWhatsApp, ChannelWeb, ChannelChat, ChannelOther}

// Direction says who started an interaction.
type Direction string

// The directions.
const (
	Inbound  Direction = "INBOUND"
	Outbound Direction = "OUTBOUND"
)

// Directions are the directions, in the schema's order.
var Directions = []Direction{Inbound, Outbound}

// Activity is one entry of a person's history.
type Activity struct {
	// ID is unique among the source's activities.
	ID         string
	OccurredAt time.Time
	Kind       Kind
	Source     string
	Label      string
	// Name is the event's name for EVENT and INTERACTION activities from events, the activity's
	// type for CRM activities.
	Name            string
	Channel         *Channel
	Direction       *Direction
	DurationSeconds *int
	Properties      []Property
	// Position is where the activity lies in its source's order, for cursors.
	Position Position
}

// Property is one detail of an activity, e.g. an order's total.
type Property struct {
	Key   string
	Label string
	Value *string
}

// Position is an activity's place in its source's timeline: its occurred-at and id as the
// source's own text, handed back to the source to resume after it.
type Position struct {
	At string `json:"a"`
	ID string `json:"i"`
}

// Filter narrows a history; empty fields do not narrow.
type Filter struct {
	Kinds      []Kind
	Channels   []Channel
	EventNames []string
	Since      *time.Time
	Until      *time.Time
}

// Request is one page's ask of one source for one person: the activities of the person's
// records in the source, after a position, newest first.
type Request struct {
	RecordIDs []string
	// After resumes after this position; nil starts at the newest.
	After *Position
	// Only, when set, asks for the one activity at this position.
	Only   *Position
	Filter Filter
	// ShownEvents, when not nil, are the only event names of kind EVENT to return (the
	// history settings); interactions are returned whatever their name.
	ShownEvents []string
	// Limit is the most activities to return.
	Limit int
}

// Source is a history source: a CRM's activities, a warehouse's events. History answers
// every request in one query, each with up to Limit activities in the source's order,
// newest first.
type Source interface {
	Name() string
	History(ctx context.Context, reqs []Request) ([][]Activity, error)
	// Coverage is from when the source's history is complete; nil for its whole life.
	Coverage(now time.Time) *time.Time
}

// Enum marshaling for gqlgen.

// MarshalGQL writes the kind as a GraphQL enum value.
func (k Kind) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL reads the kind from a GraphQL enum value.
func (k *Kind) UnmarshalGQL(v any) error { return unmarshalEnum(v, Kinds, k, "ActivityKind") }

// MarshalGQL writes the channel as a GraphQL enum value.
func (c Channel) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL reads the channel from a GraphQL enum value.
func (c *Channel) UnmarshalGQL(v any) error { return unmarshalEnum(v, Channels, c, "Channel") }

// MarshalGQL writes the direction as a GraphQL enum value.
func (d Direction) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(d))) }

// UnmarshalGQL reads the direction from a GraphQL enum value.
func (d *Direction) UnmarshalGQL(v any) error { return unmarshalEnum(v, Directions, d, "Direction") }

func unmarshalEnum[T ~string](v any, values []T, out *T, name string) error {
	s, ok := v.(string)
	if !ok || !slices.Contains(values, T(s)) {
		return fmt.Errorf("%v is not a %s", v, name)
	}
	*out = T(s)
	return nil
}

// Fetcher reaches the history sources for one request; the per-request loaders implement it,
// so that the pages a request asks one source for are one statement.
type Fetcher interface {
	// History asks each source named in reqs for its page; it returns the pages and the
	// error of each source that failed.
	History(ctx context.Context, reqs map[string]Request) (map[string][]Activity, map[string]error)
}
