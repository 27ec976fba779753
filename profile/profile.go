package profile

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Status tells whether a profile belongs to a known customer.
type Status string

// The statuses a profile can have.
const (
	StatusIdentified   Status = "IDENTIFIED"
	StatusUnidentified Status = "UNIDENTIFIED"
)

// MarshalGQL writes the status as a GraphQL enum value.
func (s Status) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL reads the status from a GraphQL enum value.
func (s *Status) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok || (Status(str) != StatusIdentified && Status(str) != StatusUnidentified) {
		return fmt.Errorf("%v is not a ProfileStatus", v)
	}
	*s = Status(str)
	return nil
}

// Profile is one person as the sources know them, merged across sources, or an unidentified
// contact recorded by the gateway.
type Profile struct {
	ID          string
	Status      Status
	Identifiers []Identifier
	Traits      []Trait
	Sources     []string
	// Records are the source records merged into the person, by source priority; history is
	// read by them.
	Records []RecordRef
	// UpdatedAt is the latest change among the person's records.
	UpdatedAt time.Time
	// FirstSeen, LastSeen and ContactCount are kept for unidentified contacts only.
	FirstSeen    *time.Time
	LastSeen     *time.Time
	ContactCount int
}

// Trait is one trait of a person and the source its value was taken from.
type Trait struct {
	Key    string
	Label  string
	Value  string
	Source string
	// UpdatedAt is when the source last changed the value; zero when it does not tell.
	UpdatedAt time.Time
}

// RecordRef names one source record of a person.
type RecordRef struct {
	Source string
	ID     string
}

// RecordIDs returns the ids of the person's records in source.
func (p *Profile) RecordIDs(source string) []string {
	var ids []string
	for _, r := range p.Records {
		if r.Source == source {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Trait returns the profile's trait with key.
func (p *Profile) Trait(key string) (Trait, bool) {
	for _, t := range p.Traits {
		if t.Key == key {
			return t, true
		}
	}
	return Trait{}, false
}

// Identifier returns the profile's first identifier with key.
func (p *Profile) Identifier(key string) (Identifier, bool) {
	for _, id := range p.Identifiers {
		if id.Key == key {
			return id, true
		}
	}
	return Identifier{}, false
}

// UnidentifiedContact is the gateway's record of a contact no source knows.
type UnidentifiedContact struct {
	Identifier   Identifier
	FirstSeen    time.Time
	LastSeen     time.Time
	ContactCount int
}

// Profile returns the UNIDENTIFIED profile of the contact.
func (c *UnidentifiedContact) Profile() *Profile {
	first, last := c.FirstSeen, c.LastSeen
	return &Profile{
		ID:           ProfileID(c.Identifier),
		Status:       StatusUnidentified,
		Identifiers:  []Identifier{c.Identifier},
		Traits:       []Trait{},
		Sources:      []string{},
		UpdatedAt:    last,
		FirstSeen:    &first,
		LastSeen:     &last,
		ContactCount: c.ContactCount,
	}
}

// Label returns a display name for a trait key that has none configured:
// "customer_since" becomes "Customer since".
func Label(key string) string {
	s := strings.TrimSpace(strings.ReplaceAll(key, "_", " "))
	if s == "" {
		return key
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
