package profile

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"time"

	"github.com/profilegate/profilegate/errcode"
)

// UnidentifiedStore records the contacts no source knows. RecordContact is an upsert: the
// first contact from an address creates its record, later ones bump last seen and the count,
// and concurrent first contacts create exactly one record.
type UnidentifiedStore interface {
	RecordContact(ctx context.Context, id Identifier, at time.Time) (*UnidentifiedContact, error)
	// FindContact returns the record for id, or nil when there is none.
	FindContact(ctx context.Context, id Identifier) (*UnidentifiedContact, error)
}

// Directory answers the gateway's questions: who is behind an address, who carries an
// identifier, and which person a profile id stands for.
type Directory struct {
	Stitcher *Stitcher
	Store    UnidentifiedStore
	// Now is the clock for recorded contacts.
	Now func() time.Time
	// HideUnidentified leaves unidentified profiles out of search results.
	HideUnidentified bool
}

// Identification is the one person an address is taken to belong to.
type Identification struct {
	// Address is the identifier the contact came from, normalized.
	Address Identifier
	Profile *Profile
	// OtherMatches is how many other people the sources matched.
	OtherMatches int
	// Errors are the failures of sources that did not answer; the profile is still the best
	// of what the others found.
	Errors []*errcode.Error
}

// Identify returns the best-ranked person behind raw. When every source answered and none
// matched, it records the contact and returns its UNIDENTIFIED profile. When a source failed
// and nobody identified matched, it returns the failures and no profile: the failed source may
// know the contact, who must not be shown as a new one. A blocked address gets an
// unidentified profile that is not recorded.
func (d *Directory) Identify(ctx context.Context, f Fetcher, raw Identifier) (*Identification, error) {
	m, err := d.Stitcher.Match(ctx, f, raw)
	if err != nil {
		return nil, err
	}
	switch {
	case m.Blocked:
		return &Identification{Address: m.Identifier, Profile: transient(m.Identifier, d.Now())}, nil
	case len(m.People) > 0 && (m.Complete() || m.People[0].Status == StatusIdentified):
		return &Identification{Address: m.Identifier, Profile: m.People[0], OtherMatches: len(m.People) - 1, Errors: m.Errors}, nil
	case !m.Complete():
		return &Identification{Address: m.Identifier, Errors: m.Errors}, nil
	}
	if !recording(ctx) {
		c, err := d.Store.FindContact(ctx, m.Identifier)
		if err != nil {
			return nil, err
		}
		if c == nil { // the profile the contact would get, recorded by none
			c = &UnidentifiedContact{Identifier: m.Identifier, FirstSeen: d.Now(), LastSeen: d.Now()}
		}
		return &Identification{Address: m.Identifier, Profile: c.Profile()}, nil
	}
	c, err := d.Store.RecordContact(ctx, m.Identifier, d.Now())
	if err != nil {
		return nil, err
	}
	return &Identification{Address: m.Identifier, Profile: c.Profile()}, nil
}

type noRecordingKey struct{}

// WithoutRecording returns ctx for a request that must have no side effect (an HTTP GET, which
// any web page can make a browser send): Identify records no contact under it.
func WithoutRecording(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRecordingKey{}, true)
}

func recording(ctx context.Context) bool { return ctx.Value(noRecordingKey{}) == nil }

// Search returns every person carrying raw, best first, and the recorded unidentified profile
// of the address when no source knows it; with HideUnidentified, only identified people. It
// never records a contact.
func (d *Directory) Search(ctx context.Context, f Fetcher, raw Identifier) ([]*Profile, []*errcode.Error, error) {
	m, err := d.Stitcher.Match(ctx, f, raw)
	if err != nil {
		return nil, nil, err
	}
	if d.HideUnidentified {
		m.People = slices.DeleteFunc(m.People, func(p *Profile) bool { return p.Status == StatusUnidentified })
	}
	if len(m.People) > 0 || m.Blocked || !m.Complete() || d.HideUnidentified {
		return m.People, m.Errors, nil
	}
	c, err := d.Store.FindContact(ctx, m.Identifier)
	if err != nil || c == nil {
		return m.People, nil, err
	}
	return []*Profile{c.Profile()}, nil, nil
}

// ByID resolves a profile id: the person whose id it is, or, for the id of an unidentified
// contact that a source now knows, the identified person. Nil when nobody is known by it.
func (d *Directory) ByID(ctx context.Context, f Fetcher, id string) (*Profile, []*errcode.Error, error) {
	if strings.HasPrefix(id, transientPrefix) {
		return nil, nil, nil // a blocked contact's one-off profile is never kept
	}
	ident, err := ParseProfileID(id)
	if err != nil {
		return nil, nil, err
	}
	m, err := d.Stitcher.Match(ctx, f, ident)
	if err != nil || m.Blocked {
		return nil, nil, err
	}
	for _, p := range m.People {
		if p.ID == id {
			return p, m.Errors, nil
		}
	}
	if len(m.People) > 0 {
		return m.People[0], m.Errors, nil
	}
	if !m.Complete() {
		return nil, m.Errors, nil
	}
	c, err := d.Store.FindContact(ctx, m.Identifier)
	if err != nil || c == nil {
		return nil, nil, err
	}
	return c.Profile(), nil, nil
}

// transientPrefix marks the ids of profiles that are never kept.
const transientPrefix = "tmp_"

// transient is the unidentified profile of a blocked address: it gets a one-off id, so that
// two withheld callers never share a profile.
func transient(id Identifier, at time.Time) *Profile {
	c := &UnidentifiedContact{Identifier: id, FirstSeen: at, LastSeen: at, ContactCount: 1}
	p := c.Profile()
	p.ID = transientPrefix + rand.Text()
	return p
}
