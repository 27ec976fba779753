package settings

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Details says how the customer details component shows a person's traits: in groups, in
// order. Without groups, the default is one "Contact" group of the header's traits; traits no
// group names are shown in a last "Other" group unless HideOther.
type Details struct {
	Groups []TraitGroup `json:"groups" yaml:"groups"`
	// HideOther leaves out the traits no group names.
	HideOther bool `json:"hideOther" yaml:"hide_other"`
}

// TraitGroup is one group of the customer details, e.g. "Contact" or "Preferences".
type TraitGroup struct {
	Name   string        `json:"name" yaml:"name"`
	Traits []DetailTrait `json:"traits" yaml:"traits"`
}

// DetailTrait is one trait of a group and how its value is shown.
type DetailTrait struct {
	Key string `json:"key" yaml:"key"`
	// Label overrides the trait's display name in the details; empty uses it.
	Label string `json:"label" yaml:"label"`
	// Type says how the value is formatted; STRING when empty.
	Type TraitType `json:"type" yaml:"type"`
	// Currency is the ISO 4217 code of a CURRENCY value; USD when empty.
	Currency string `json:"currency,omitempty" yaml:"currency"`
}

// TraitType says how a trait's value is formatted in the details.
type TraitType string

// The trait types.
const (
	TypeString     TraitType = "STRING"
	TypeNumber     TraitType = "NUMBER"
	TypeDate       TraitType = "DATE"
	TypeDateTime   TraitType = "DATE_TIME"
	TypeCurrency   TraitType = "CURRENCY"
	TypeLink       TraitType = "LINK"
	TypePercentile TraitType = "PERCENTILE"
)

// TraitTypes are the trait types, in the schema's order.
var TraitTypes = []TraitType{TypeString, TypeNumber, TypeDate, TypeDateTime, TypeCurrency, TypeLink, TypePercentile}

// MarshalGQL writes the type as a GraphQL enum value.
func (t TraitType) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(t))) }

// UnmarshalGQL reads the type from a GraphQL enum value.
func (t *TraitType) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !slices.Contains(TraitTypes, TraitType(s)) {
		return fmt.Errorf("%v is not a TraitType", v)
	}
	*t = TraitType(s)
	return nil
}

// OtherGroup names the group of the traits no configured group names.
const OtherGroup = "Other"

// DetailGroups returns the groups the details show: the configured ones, or by default a
// "Contact" group of the header's name and secondary traits.
func (s *Settings) DetailGroups() []TraitGroup {
	if len(s.Details.Groups) > 0 {
		return s.Details.Groups
	}
	g := TraitGroup{Name: "Contact"}
	for _, key := range s.Header.NameTraits {
		g.Traits = append(g.Traits, DetailTrait{Key: key, Type: TypeString})
	}
	if key := s.Header.SecondaryTrait; key != "" {
		g.Traits = append(g.Traits, DetailTrait{Key: key, Label: s.Header.SecondaryLabel, Type: TypeDate})
	}
	return []TraitGroup{g}
}

// History says what the customer history shows.
type History struct {
	// PageSize is the number of activities a page holds when the client does not say.
	PageSize int `json:"pageSize" yaml:"page_size"`
	// Events are the event names shown, with their labels and properties; empty shows every
	// event under its own name with all its properties.
	Events []HistoryEvent `json:"events" yaml:"events"`
}

// DefaultHistoryPageSize is History.PageSize when none is set.
const DefaultHistoryPageSize = 20

// HistoryEvent is one event name the history shows, e.g. "Order Completed".
type HistoryEvent struct {
	Name string `json:"name" yaml:"name"`
	// Label is shown instead of the name; the name when empty.
	Label string `json:"label" yaml:"label"`
	// Properties are the properties shown, in order; empty shows all of them.
	Properties []HistoryProperty `json:"properties" yaml:"properties"`
}

// HistoryProperty is one property of an event as shown.
type HistoryProperty struct {
	Key string `json:"key" yaml:"key"`
	// Label is shown instead of the key; the key when empty.
	Label string `json:"label" yaml:"label"`
}

// Event returns the setting of the event name, and whether the history shows it.
func (h *History) Event(name string) (HistoryEvent, bool) {
	if len(h.Events) == 0 {
		return HistoryEvent{Name: name}, true
	}
	i := slices.IndexFunc(h.Events, func(e HistoryEvent) bool { return e.Name == name })
	if i < 0 {
		return HistoryEvent{}, false
	}
	return h.Events[i], true
}

// EventNames returns the event names the history shows; nil for all.
func (h *History) EventNames() []string {
	if len(h.Events) == 0 {
		return nil
	}
	names := make([]string, len(h.Events))
	for i, e := range h.Events {
		names[i] = e.Name
	}
	return names
}

func (d *Details) canonical() {
	for gi, g := range d.Groups {
		if g.Traits == nil {
			d.Groups[gi].Traits = []DetailTrait{}
		}
		for ti, t := range g.Traits {
			if t.Type == "" {
				d.Groups[gi].Traits[ti].Type = TypeString
			}
			if t.Type == TypeCurrency && t.Currency == "" {
				d.Groups[gi].Traits[ti].Currency = "USD"
			}
		}
	}
	if d.Groups == nil {
		d.Groups = []TraitGroup{}
	}
}

func (h *History) canonical() {
	if h.PageSize == 0 {
		h.PageSize = DefaultHistoryPageSize
	}
	if h.Events == nil {
		h.Events = []HistoryEvent{}
	}
	for i, e := range h.Events {
		if e.Properties == nil {
			h.Events[i].Properties = []HistoryProperty{}
		}
	}
}

func (d Details) clone() Details {
	d.Groups = slices.Clone(d.Groups)
	for i := range d.Groups {
		d.Groups[i].Traits = slices.Clone(d.Groups[i].Traits)
	}
	return d
}

func (h History) clone() History {
	h.Events = slices.Clone(h.Events)
	for i := range h.Events {
		h.Events[i].Properties = slices.Clone(h.Events[i].Properties)
	}
	return h
}
