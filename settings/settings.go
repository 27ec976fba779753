package settings

import (
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
)

// Settings are what admins configure, and what the configuration file sets as their first
// version: one set of types for the file (yaml), the API and the store (json), and the domain.
// The order of Identifiers is their priority: lookups prefer the first, and a profile's id
// comes from its highest-priority identifier.
type Settings struct {
	Identifiers  []IdentifierSetting `json:"identifiers" yaml:"identifiers"`
	Traits       []TraitSetting      `json:"traits" yaml:"traits"`
	Header       Header              `json:"customerHeader" yaml:"header"`
	Search       Search              `json:"profileSearch" yaml:"search"`
	Components   Components          `json:"components" yaml:"components"`
	Unidentified Unidentified        `json:"unidentifiedProfiles" yaml:"unidentified_profiles"`
	Details      Details             `json:"details" yaml:"details"`
	History      History             `json:"history" yaml:"history"`
}

// Default returns the settings of a deployment that configures none: the header shows
// first_name + last_name, "Customer since" and profile_image_url, agents may search by every
// searchable identifier, unidentified profiles are shown and badged "New Contact", the
// details show the header's traits then the others, and the history every event, 20 a page.
func Default() Settings {
	return Settings{
		Header: Header{
			NameTraits:     []string{"first_name", "last_name"},
			SecondaryTrait: "customer_since",
			SecondaryLabel: "Customer since",
			AvatarTrait:    "profile_image_url",
		},
		Search:       Search{AllIdentifiers: true},
		Unidentified: Unidentified{ShowToAgents: true, BadgeLabel: "New Contact"},
		History:      History{PageSize: DefaultHistoryPageSize},
	}
}

// IdentifierSetting is the setting of one identifier key. Keys and their normalization are
// declared in the configuration, beside the source columns that hold them; settings order,
// name and hide them.
type IdentifierSetting struct {
	Key string `json:"key" yaml:"key"`
	// Normalization is declared in the configuration for a custom key (phone, email, lower,
	// none); built-in keys have their own. It is filled in for every key and never stored.
	Normalization profile.Normalization `json:"-" yaml:"normalization"`
	DisplayName   string                `json:"displayName" yaml:"display_name"`
	// Searchable is whether agents may search by this identifier; not set means yes (the
	// stored settings always set it).
	Searchable *bool `json:"searchable" yaml:"searchable"`
}

// AgentSearchable reports whether agents may search by the identifier.
func (id IdentifierSetting) AgentSearchable() bool { return id.Searchable == nil || *id.Searchable }

// TraitSetting is the setting of one trait key.
type TraitSetting struct {
	Key         string `json:"key" yaml:"key"`
	DisplayName string `json:"displayName" yaml:"label"`
	// Sources, set in the configuration only, overrides the source order for this trait's
	// value; it is not stored.
	Sources []string `json:"-" yaml:"sources"`
}

// Suggested reports whether t is one of the suggested traits, whose display names are fixed.
func (t TraitSetting) Suggested() bool {
	_, ok := SuggestedTraits[t.Key]
	return ok
}

// SuggestedTraits are the traits every contact center has, with their fixed display names.
var SuggestedTraits = map[string]string{"name": "Name", "phone": "Phone", "email": "Email"}

// Header says which traits make the customer header.
type Header struct {
	// NameTraits are joined with one space to make the name.
	NameTraits []string `json:"nameTraits" yaml:"name_traits"`
	// SecondaryTrait is shown under the name; none when empty.
	SecondaryTrait string `json:"secondaryTrait" yaml:"secondary_trait"`
	// SecondaryLabel is shown before it; the trait's display name when empty.
	SecondaryLabel string `json:"secondaryLabel" yaml:"secondary_label"`
	// AvatarTrait holds the avatar's URL; none when empty.
	AvatarTrait string `json:"avatarTrait" yaml:"avatar_trait"`
}

// Search says which identifiers agents may search profiles by.
type Search struct {
	// AllIdentifiers allows every searchable identifier. The configuration file does not set
	// it: there, listing no identifiers means all.
	AllIdentifiers bool `json:"allIdentifiers" yaml:"-"`
	// Identifiers are the allowed keys, in priority order; with AllIdentifiers, every
	// searchable identifier (kept so by canonical).
	Identifiers []string `json:"identifiers" yaml:"identifiers"`
}

// Components say which agent desktop components are on.
type Components struct {
	CustomerDetails bool `json:"customerDetails" yaml:"customer_details"`
	CustomerHistory bool `json:"customerHistory" yaml:"customer_history"`
}

// CustomerHeaderAndSearch is on exactly when customer details or customer history is: both
// show the customer header and profile search.
func (c Components) CustomerHeaderAndSearch() bool { return c.CustomerDetails || c.CustomerHistory }

// Unidentified says how contacts no source knows are shown.
type Unidentified struct {
	// ShowToAgents lists unidentified profiles in search results; the header shows the badge
	// for a new contact either way.
	ShowToAgents bool `json:"showToAgents" yaml:"show_to_agents"`
	// BadgeLabel badges an unidentified profile's header.
	BadgeLabel string `json:"badgeLabel" yaml:"badge_label"`
}

// Versioned are settings as stored: each change makes a new version.
type Versioned struct {
	Settings
	Version   int
	UpdatedAt time.Time
	// UpdatedBy names who made the change ("config" for the initial settings).
	UpdatedBy string
}

// Change is one recorded change of the settings.
type Change struct {
	Version   int
	ChangedAt time.Time
	ChangedBy string
	// Before is nil for the initial settings.
	Before *Settings
	After  *Settings
}

// Clone returns a deep copy of s.
func (s *Settings) Clone() *Settings {
	c := *s
	c.Identifiers = slices.Clone(s.Identifiers)
	c.Traits = slices.Clone(s.Traits)
	c.Header.NameTraits = slices.Clone(s.Header.NameTraits)
	c.Search.Identifiers = slices.Clone(s.Search.Identifiers)
	c.Details = s.Details.clone()
	c.History = s.History.clone()
	return &c
}

// IdentifierPriority returns the identifier keys in priority order.
func (s *Settings) IdentifierPriority() []string {
	keys := make([]string, len(s.Identifiers))
	for i, id := range s.Identifiers {
		keys[i] = id.Key
	}
	return keys
}

// AgentsMaySearchBy reports whether agents may search profiles by key.
func (s *Settings) AgentsMaySearchBy(key string) bool {
	return slices.Contains(s.Search.Identifiers, key)
}

// canonical fills in what settings derive: the normalization of each identifier, the fixed
// display names of suggested traits, and the identifiers "all" stands for in search. It also
// follows the configuration: identifiers it no longer declares are dropped, and ones it newly
// declares are added last, searchable.
func (s *Settings) canonical(norm *profile.Normalizer) {
	s.Identifiers = slices.DeleteFunc(s.Identifiers, func(id IdentifierSetting) bool {
		_, ok := norm.Normalization(id.Key)
		return !ok
	})
	for _, key := range norm.Keys() {
		if !slices.ContainsFunc(s.Identifiers, func(id IdentifierSetting) bool { return id.Key == key }) {
			s.Identifiers = append(s.Identifiers, IdentifierSetting{Key: key})
		}
	}
	for i, id := range s.Identifiers {
		searchable := id.AgentSearchable()
		s.Identifiers[i].Searchable = &searchable
		s.Identifiers[i].Normalization, _ = norm.Normalization(id.Key)
		if id.DisplayName == "" {
			s.Identifiers[i].DisplayName = id.Key
		}
	}
	for i, t := range s.Traits {
		if name, ok := SuggestedTraits[t.Key]; ok {
			s.Traits[i].DisplayName = name
		} else if t.DisplayName == "" {
			s.Traits[i].DisplayName = profile.Label(t.Key)
		}
	}
	chosen := s.Search.Identifiers
	s.Search.Identifiers = []string{}
	for _, id := range s.Identifiers {
		if id.AgentSearchable() && (s.Search.AllIdentifiers || slices.Contains(chosen, id.Key)) {
			s.Search.Identifiers = append(s.Search.Identifiers, id.Key)
		}
	}
	if s.Header.NameTraits == nil {
		s.Header.NameTraits = []string{}
	}
	s.Details.canonical()
	s.History.canonical()
}

// gatedEqual reports whether a and b have the same customer header, profile search, customer
// details and history settings, the ones Flex UI clients older than 2.8.0 may not change.
// Both must be canonical.
func gatedEqual(a, b *Settings) bool {
	return reflect.DeepEqual(a.Details, b.Details) && reflect.DeepEqual(a.History, b.History) &&
		slices.Equal(a.Header.NameTraits, b.Header.NameTraits) &&
		a.Header.SecondaryTrait == b.Header.SecondaryTrait &&
		a.Header.SecondaryLabel == b.Header.SecondaryLabel &&
		a.Header.AvatarTrait == b.Header.AvatarTrait &&
		a.Search.AllIdentifiers == b.Search.AllIdentifiers &&
		slices.Equal(a.Search.Identifiers, b.Search.Identifiers)
}

// CheckComponent answers COMPONENT_DISABLED while the customer header and search component is off.
func (s *Settings) CheckComponent() error {
	if s.Components.CustomerHeaderAndSearch() {
		return nil
	}
	return errcode.Errorf(errcode.ComponentDisabled,
		"the customer header and search component is off; an admin turns it on by turning on customer details or customer history (updateSettings, components)")
}

// CheckDetails answers COMPONENT_DISABLED while the customer details component is off.
func (s *Settings) CheckDetails() error {
	if s.Components.CustomerDetails {
		return nil
	}
	return errcode.Errorf(errcode.ComponentDisabled,
		"the customer details component is off; an admin turns it on with updateSettings (components.customerDetails)")
}

// CheckHistory answers COMPONENT_DISABLED while the customer history component is off.
func (s *Settings) CheckHistory() error {
	if s.Components.CustomerHistory {
		return nil
	}
	return errcode.Errorf(errcode.ComponentDisabled,
		"the customer history component is off; an admin turns it on with updateSettings (components.customerHistory)")
}

// CheckAgentSearch answers FORBIDDEN when agents may not search by key. A key that is not
// configured passes: the lookup reports it as unknown.
func (s *Settings) CheckAgentSearch(key string) error {
	configured := slices.ContainsFunc(s.Identifiers, func(id IdentifierSetting) bool { return id.Key == key })
	if !configured || s.AgentsMaySearchBy(key) {
		return nil
	}
	return errcode.Errorf(errcode.Forbidden, "agents may not search by %q; they may search by: %s",
		key, strings.Join(s.Search.Identifiers, ", "))
}
