package profile

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// memStore keeps unidentified contacts in memory, as the store package does in a database.
type memStore struct {
	mu       sync.Mutex
	contacts map[Identifier]*UnidentifiedContact
}

func (s *memStore) RecordContact(_ context.Context, id Identifier, at time.Time) (*UnidentifiedContact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.contacts == nil {
		s.contacts = map[Identifier]*UnidentifiedContact{}
	}
	c := s.contacts[id]
	if c == nil {
		c = &UnidentifiedContact{Identifier: id, FirstSeen: at}
		s.contacts[id] = c
	}
	c.LastSeen, c.ContactCount = at, c.ContactCount+1
	copied := *c
	return &copied, nil
}

func (s *memStore) FindContact(_ context.Context, id Identifier) (*UnidentifiedContact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.contacts[id]; c != nil {
		copied := *c
		return &copied, nil
	}
	return nil, nil
}

func testDirectory(t *testing.T) (*Directory, *memFetcher, *memStore) {
	f := &memFetcher{records: map[string][]Record{
		"crm":       {rec("crm", "1", "email=ada@example.com", "phonenumber=+14155550100")},
		"warehouse": {rec("warehouse", "w9", "anonymous_id=anon-9", "phonenumber=+14155550109")},
	}}
	st := &memStore{}
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	return &Directory{Stitcher: testStitcher(t, DefaultDepth), Store: st, Now: func() time.Time { return at }}, f, st
}

func TestIdentify(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		d, f, st := testDirectory(t)
		got, err := d.Identify(ctx, f, Identifier{KeyPhoneNumber, "415-555-0100"})
		if err != nil || got.Profile.Status != StatusIdentified || got.Address.Value != "+14155550100" || len(st.contacts) != 0 {
			t.Fatalf("identification %+v, %v; recorded %v", got, err, st.contacts)
		}
	})
	t.Run("NewContactRecordedOnce", func(t *testing.T) {
		d, f, st := testDirectory(t)
		first, _ := d.Identify(ctx, f, Identifier{KeyEmail, "New@Example.com"})
		again, err := d.Identify(ctx, f, Identifier{KeyEmail, "new@example.com"})
		if err != nil || first.Profile.ID != again.Profile.ID || again.Profile.Status != StatusUnidentified ||
			again.Profile.ContactCount != 2 || len(st.contacts) != 1 {
			t.Fatalf("first %+v, again %+v, %v", first.Profile, again.Profile, err)
		}
	})
	t.Run("BlockedNotRecorded", func(t *testing.T) {
		d, f, st := testDirectory(t)
		a, _ := d.Identify(ctx, f, Identifier{KeyPhoneNumber, "Anonymous"})
		b, _ := d.Identify(ctx, f, Identifier{KeyPhoneNumber, "Anonymous"})
		if a.Profile.ID == b.Profile.ID || !strings.HasPrefix(a.Profile.ID, transientPrefix) || len(st.contacts) != 0 {
			t.Fatalf("blocked: %s / %s, recorded %v", a.Profile.ID, b.Profile.ID, st.contacts)
		}
		if p, _, err := d.ByID(ctx, f, a.Profile.ID); p != nil || err != nil {
			t.Fatalf("ByID(transient) = %+v, %v; want nil", p, err)
		}
	})
	t.Run("SourceDownNothingKnown", func(t *testing.T) {
		d, f, st := testDirectory(t)
		f.failing = map[string]bool{"crm": true}
		got, err := d.Identify(ctx, f, Identifier{KeyEmail, "ada@example.com"})
		if err != nil || got.Profile != nil || len(got.Errors) != 1 || len(st.contacts) != 0 {
			t.Fatalf("identification %+v, %v; recorded %v", got, err, st.contacts)
		}
	})
	t.Run("SourceDownOnlyAnonymousMatch", func(t *testing.T) {
		d, f, _ := testDirectory(t)
		f.failing = map[string]bool{"crm": true}
		if got, _ := d.Identify(ctx, f, Identifier{KeyAnonymousID, "anon-9"}); got.Profile != nil {
			t.Fatalf("an anonymous record was shown while the CRM was down: %+v", got.Profile)
		}
	})
}

func TestSearchAndByID(t *testing.T) {
	ctx := context.Background()
	d, f, st := testDirectory(t)
	if people, _, _ := d.Search(ctx, f, Identifier{KeyEmail, "later@example.com"}); len(people) != 0 {
		t.Fatalf("search before any contact: %d people", len(people))
	}
	first, _ := d.Identify(ctx, f, Identifier{KeyEmail, "later@example.com"})
	people, _, err := d.Search(ctx, f, Identifier{KeyEmail, "later@example.com"})
	if err != nil || len(people) != 1 || people[0].ID != first.Profile.ID || st.contacts[first.Address].ContactCount != 1 {
		t.Fatalf("search finds the recorded contact without recording again: %+v, %v", people, err)
	}
	f.records["crm"] = append(f.records["crm"], rec("crm", "2", "email=later@example.com", "user_id=u-2"))
	p, _, err := d.ByID(ctx, f, first.Profile.ID)
	if err != nil || p == nil || p.Status != StatusIdentified || p.ID != ProfileID(Identifier{KeyUserID, "u-2"}) {
		t.Fatalf("ByID(old unidentified id) = %+v, %v; want the identified person", p, err)
	}
}
