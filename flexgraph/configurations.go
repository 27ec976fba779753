package flexgraph

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"github.com/profilegate/profilegate/flexapi"
	"github.com/profilegate/profilegate/flexgraph/model"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

// Flex's configurations are profilegate's settings, one configuration per thing configured,
// each under the context Flex asks for it by; a configuration names another by its sid
// (referenceSid), which resolves through profileAndHistoryConfiguration.

type (
	contextSchema = model.ProfilesAndHistoryConfigurationContextSchema
	configType    = model.ProfilesAndHistoryConfigurationConfigurationType
	reference     = model.ProfilesAndHistoryConfigurationOrderedConfigurationReference
)

// sid is a configuration's sid: "PH" and 32 hex digits of what it configures, so every
// replica gives a configuration the same sid, and it keeps it across restarts.
func sid(kind configType, key string) string {
	h := sha256.Sum256([]byte(string(kind) + "\x00" + key))
	return "PH" + hex.EncodeToString(h[:16])
}

func ref(kind configType, key string, order int, override string) *reference {
	s := sid(kind, key)
	r := &reference{ReferenceSid: &s, Order: &order, Type: &kind}
	if override != "" {
		r.FriendlyNameOverride = &override
	}
	return r
}

func ptr[T any](v T) *T { return &v }

// configurations renders the settings as Flex's configurations.
func configurations(snap *settings.Snapshot) []*model.ProfilesAndHistoryConfiguration {
	var out []*model.ProfilesAndHistoryConfiguration
	version := strconv.Itoa(snap.Version)
	updated := snap.UpdatedAt.UTC().Format(time.RFC3339)
	add := func(ctx contextSchema, kind configType, key string, data model.ProfilesAndHistoryConfigurationDataModel) {
		out = append(out, &model.ProfilesAndHistoryConfiguration{Sid: sid(kind, key), Context: &ctx, Data: data,
			Version: &version, DateCreated: &updated, DateUpdated: &updated})
	}
	h := snap.Header
	header := &model.ProfilesAndHistoryConfigurationCustomerHeader{ProfileName: &model.ProfilesAndHistoryConfigurationCustomerHeaderProfileName{}}
	for i, key := range h.NameTraits {
		header.ProfileName.CustomerNameTraits = append(header.ProfileName.CustomerNameTraits, ref(model.ProfilesAndHistoryConfigurationConfigurationTypeTraitMapping, key, i, ""))
	}
	if h.SecondaryTrait != "" {
		header.SecondaryTrait = ref(model.ProfilesAndHistoryConfigurationConfigurationTypeTraitMapping, h.SecondaryTrait, 0, snap.SecondaryLabel)
	}
	if h.AvatarTrait != "" {
		header.AvatarTrait = ref(model.ProfilesAndHistoryConfigurationConfigurationTypeTraitMapping, h.AvatarTrait, 0, "")
	}
	add(model.ProfilesAndHistoryConfigurationContextSchemaProfileHeaderConfigurations, model.ProfilesAndHistoryConfigurationConfigurationTypeCustomerHeader, "", header)

	groups := &model.ProfilesAndHistoryConfigurationProfileTraitGroups{}
	types := map[string]settings.TraitType{}
	for gi, g := range snap.DetailGroups() {
		group := &model.ProfilesAndHistoryConfigurationProfileTraitGroup{GroupName: ptr(g.Name), Order: ptr(gi)}
		for ti, t := range g.Traits {
			group.Traits = append(group.Traits, ref(model.ProfilesAndHistoryConfigurationConfigurationTypeTraitMapping, t.Key, ti, t.Label))
			types[t.Key] = t.Type
		}
		groups.ProfileTraitGroups = append(groups.ProfileTraitGroups, group)
	}
	add(model.ProfilesAndHistoryConfigurationContextSchemaProfileDetailsTraitGroups, model.ProfilesAndHistoryConfigurationConfigurationTypeProfileTraitGroups, "", groups)

	for _, t := range snap.Traits {
		to := cmp.Or(flexapi.Field(t.Key, snap), t.Key)
		var categories []*string
		for _, g := range snap.DetailGroups() {
			if slices.ContainsFunc(g.Traits, func(d settings.DetailTrait) bool { return d.Key == t.Key }) {
				categories = append(categories, ptr(g.Name))
			}
		}
		add(model.ProfilesAndHistoryConfigurationContextSchemaProfileConnectorTraitMappingConfiguration, model.ProfilesAndHistoryConfigurationConfigurationTypeTraitMapping, t.Key,
			&model.ProfilesAndHistoryConfigurationTraitMapping{From: ptr(t.Key), To: &to, DefaultFriendlyName: ptr(t.DisplayName),
				Categories: categories, TraitFieldType: ptr(fieldType(types[t.Key]))})
	}

	for i, id := range snap.Identifiers {
		add(model.ProfilesAndHistoryConfigurationContextSchemaProfileConnectorIdentifierConfiguration, model.ProfilesAndHistoryConfigurationConfigurationTypeIdentifierMapping, id.Key,
			&model.ProfilesAndHistoryConfigurationIdentifierMapping{Identifier: ptr(id.Key), FriendlyName: ptr(id.DisplayName), Priority: ptr(i + 1)})
	}
	for _, m := range []struct {
		address model.ProfilesAndHistoryConfigurationAddress
		key     string
	}{{model.ProfilesAndHistoryConfigurationAddressPhone, profile.KeyPhoneNumber}, {model.ProfilesAndHistoryConfigurationAddressEmail, profile.KeyEmail}} {
		if i := slices.Index(snap.IDPriority, m.key); i >= 0 {
			add(model.ProfilesAndHistoryConfigurationContextSchemaProfileConnectorIdentifierConfiguration, model.ProfilesAndHistoryConfigurationConfigurationTypeChannelAddressMapping, string(m.address),
				&model.ProfilesAndHistoryConfigurationChannelAddressMapping{Address: ptr(m.address), Enabled: ptr(true),
					Identifier: ref(model.ProfilesAndHistoryConfigurationConfigurationTypeIdentifierMapping, m.key, i, "")})
		}
	}

	visibility := model.ProfilesAndHistoryConfigurationContextSchemaUnifyComponentVisibility
	add(visibility, model.ProfilesAndHistoryConfigurationConfigurationTypeProfileDetailsEnabled, "",
		&model.ProfilesAndHistoryConfigurationProfileDetailsEnabled{ProfileDetailsEnabled: ptr(snap.Components.CustomerDetails)})
	add(visibility, model.ProfilesAndHistoryConfigurationConfigurationTypeProfileHistoryEnabled, "",
		&model.ProfilesAndHistoryConfigurationProfileHistoryEnabled{ProfileHistoryEnabled: ptr(snap.Components.CustomerHistory)})
	add(visibility, model.ProfilesAndHistoryConfigurationConfigurationTypeProfileHighlightsEnabled, "",
		&model.ProfilesAndHistoryConfigurationProfileHighlightsEnabled{ProfileHighlightsEnabled: ptr(false)}) // AI highlights: not served
	add(visibility, model.ProfilesAndHistoryConfigurationConfigurationTypeUnidentifiedProfileSearchOptions, "",
		&model.ProfilesAndHistoryConfigurationUnidentifiedProfileSearchOptions{ShowUnidentifiedProfileToAgents: ptr(snap.Unidentified.ShowToAgents),
			BridgeLabel: ptr(snap.Unidentified.BadgeLabel)})
	search := &model.ProfilesAndHistoryConfigurationManualProfileSearchOptions{}
	for i, key := range snap.Search.Identifiers {
		search.Identifiers = append(search.Identifiers, ref(model.ProfilesAndHistoryConfigurationConfigurationTypeIdentifierMapping, key, i, ""))
	}
	add(visibility, model.ProfilesAndHistoryConfigurationConfigurationTypeManualProfileSearchOptions, "", search)

	activities := model.ProfilesAndHistoryConfigurationContextSchemaProfileHistoryActivitySelections
	recent := &model.ProfilesAndHistoryConfigurationRecentActivityGroup{Limit: ptr(snap.History.PageSize)}
	for i, e := range snap.History.Events {
		c := &model.ProfilesAndHistoryConfigurationActivityCustomization{EventName: ptr(e.Name), FriendlyName: ptr(cmp.Or(e.Label, e.Name)),
			ProfileEventConfigType: ptr(model.ProfilesAndHistoryConfigurationProfileEventConfigTypeTimeline)}
		for pi, p := range e.Properties {
			prop := &model.ProfilesAndHistoryConfigurationEventProperty{PropertyKey: ptr(p.Key), Label: ptr(cmp.Or(p.Label, profile.Label(p.Key))),
				Order: ptr(pi), Type: ptr(model.ProfilesAndHistoryConfigurationEventPropertyTypeString)}
			if pi == 0 {
				c.PrimaryProperty = prop
			} else {
				c.SecondaryProperties = append(c.SecondaryProperties, prop)
			}
		}
		add(activities, model.ProfilesAndHistoryConfigurationConfigurationTypeActivityCustomization, e.Name, c)
		recent.Activities = append(recent.Activities, ref(model.ProfilesAndHistoryConfigurationConfigurationTypeActivityCustomization, e.Name, i, e.Label))
	}
	add(activities, model.ProfilesAndHistoryConfigurationConfigurationTypeRecentActivityGroup, "", recent)
	return out
}

// fieldType is the Flex trait field type of a details trait type.
func fieldType(t settings.TraitType) model.ProfilesAndHistoryConfigurationTraitFieldType {
	switch t {
	case settings.TypeNumber:
		return model.ProfilesAndHistoryConfigurationTraitFieldTypeNumber
	case settings.TypeDate:
		return model.ProfilesAndHistoryConfigurationTraitFieldTypeDate
	case settings.TypeDateTime:
		return model.ProfilesAndHistoryConfigurationTraitFieldTypeDateTime
	case settings.TypeCurrency:
		return model.ProfilesAndHistoryConfigurationTraitFieldTypeCurrency
	case settings.TypeLink:
		return model.ProfilesAndHistoryConfigurationTraitFieldTypeLink
	case settings.TypePercentile:
		return model.ProfilesAndHistoryConfigurationTraitFieldTypePercentile
	}
	return model.ProfilesAndHistoryConfigurationTraitFieldTypeString
}
