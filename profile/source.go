package profile

import (
	"context"
	"time"
)

// Record is what one source holds about one contact: its own record id, the contact's
// identifiers (normalized) and traits, and when it last changed.
type Record struct {
	Source      string
	ID          string
	Identifiers []Identifier
	Traits      []TraitValue
	UpdatedAt   time.Time
}

// TraitValue is one trait as a source holds it.
type TraitValue struct {
	Key   string
	Value string
	// UpdatedAt is when the source last changed the value, where it tells (an identity graph's
	// trait row); zero means the record's UpdatedAt.
	UpdatedAt time.Time
}

// Has reports whether the record carries id.
func (r *Record) Has(id Identifier) bool {
	for _, x := range r.Identifiers {
		if x == id {
			return true
		}
	}
	return false
}

// Source is a profile source: a CRM, a warehouse. Lookup returns every record that carries any
// of ids (normalized identifiers), with the record's identifiers normalized too. One call is
// one round trip, whatever the number of ids.
type Source interface {
	Name() string
	Lookup(ctx context.Context, ids []Identifier) ([]Record, error)
}

// Fetcher reaches the sources for one request; the per-request loaders implement it, so that
// every lookup a request makes against one source in one stitching round is one batch.
type Fetcher interface {
	// Fetch runs one round of the resolution in ctx: each source in frontier is asked its
	// identifiers, all at once. It returns the records found and the error of each source
	// that failed; a source that failed with SOURCE_INCOMPLETE has records too.
	Fetch(ctx context.Context, frontier map[string][]Identifier) (map[string][]Record, map[string]error)
	// Done says the resolution in ctx will ask nothing more, so the rounds of the request's
	// other resolutions need not wait for it.
	Done(ctx context.Context)
}

// SourceInfo is what resolution needs to know about a source besides its records.
type SourceInfo struct {
	Name string
	// SystemOfRecord marks a source (the CRM) whose records are known customers.
	SystemOfRecord bool
}
