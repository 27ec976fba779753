package desk_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/profilegate/profilegate/desk"
	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// settingsAt supplies one settings version at a time, as the settings service does.
type settingsAt struct{ snap *settings.Snapshot }

func (s *settingsAt) Current() *settings.Snapshot { return s.snap }

func (s *settingsAt) set(version int, change func(*settings.Settings)) {
	v := settings.Default()
	v.Identifiers = []settings.IdentifierSetting{{Key: "email"}, {Key: "phonenumber", Searchable: new(false)}}
	v.Traits = []settings.TraitSetting{{Key: "first_name"}, {Key: "last_name"}, {Key: "customer_since"}, {Key: "profile_image_url"}}
	v.Components.CustomerDetails = true
	v.Search = settings.Search{Identifiers: []string{"email"}} // as canonical leaves it: phonenumber is hidden
	change(&v)
	s.snap = settings.NewSnapshot(&settings.Versioned{Settings: v, Version: version})
}

// crm answers lookups from memory, one record: Ada.
type crm struct{}

func (crm) Fetch(_ context.Context, frontier map[string][]profile.Identifier) (map[string][]profile.Record, map[string]error) {
	found := map[string][]profile.Record{}
	for source, ids := range frontier {
		ada := profile.Record{Source: source, ID: "1", Identifiers: []profile.Identifier{{Key: "email", Value: "ada@example.com"}},
			Traits: []profile.TraitValue{{Key: "first_name", Value: "Ada"}, {Key: "last_name", Value: "Lovelace"}}}
		if slices.ContainsFunc(ids, ada.Has) {
			found[source] = []profile.Record{ada}
		}
	}
	return found, nil
}

func (crm) Done(context.Context) {}

// contacts records unidentified contacts in memory.
type contacts struct {
	mu   sync.Mutex
	byID map[profile.Identifier]*profile.UnidentifiedContact
}

func (c *contacts) RecordContact(_ context.Context, id profile.Identifier, at time.Time) (*profile.UnidentifiedContact, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec, ok := c.byID[id]
	if !ok {
		rec = &profile.UnidentifiedContact{Identifier: id, FirstSeen: at}
		c.byID[id] = rec
	}
	rec.LastSeen, rec.ContactCount = at, rec.ContactCount+1
	return rec, nil
}

func (c *contacts) FindContact(_ context.Context, id profile.Identifier) (*profile.UnidentifiedContact, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byID[id], nil
}

func newDesk(t *testing.T) (*desk.Service, *settingsAt) {
	t.Helper()
	norm, err := profile.NewNormalizer(nil, "US", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &settingsAt{}
	s.set(1, func(*settings.Settings) {})
	d := desk.New(desk.Config{
		Normalizer: norm,
		Resolution: profile.Options{Sources: []profile.SourceInfo{{Name: "crm", SystemOfRecord: true}}, Depth: 1},
		Store:      &contacts{byID: map[profile.Identifier]*profile.UnidentifiedContact{}},
		Now:        func() time.Time { return now },
	}, s)
	return d, s
}

// TestSettingsReachTheDomain: each settings version is answered with its own header and
// search rules, without restarting anything.
func TestSettingsReachTheDomain(t *testing.T) {
	ctx := context.Background()
	d, s := newDesk(t)
	h, errs, err := d.CustomerHeader(ctx, crm{}, profile.Identifier{Key: "email", Value: "Ada@Example.com"})
	if err != nil || len(errs) > 0 || h.Name != "Ada Lovelace" || h.Badge != nil {
		t.Fatalf("header %+v %v %v", h, errs, err)
	}
	h, _, _ = d.CustomerHeader(ctx, crm{}, profile.Identifier{Key: "phonenumber", Value: "+1 212 555 0100"})
	if h.Badge == nil || *h.Badge != "New Contact" {
		t.Fatalf("new contact %+v", h)
	}
	if people, _, err := d.Search(ctx, crm{}, profile.Identifier{Key: "phonenumber", Value: "+12125550100"}, true); err != nil || len(people) != 1 {
		t.Fatalf("admin search of the new contact: %v %v", people, err)
	}

	s.set(2, func(v *settings.Settings) {
		v.Unidentified = settings.Unidentified{ShowToAgents: false, BadgeLabel: "First call"}
		v.Header.NameTraits = []string{"last_name"}
	})
	h, _, _ = d.CustomerHeader(ctx, crm{}, profile.Identifier{Key: "email", Value: "ada@example.com"})
	if h.Name != "Lovelace" {
		t.Fatalf("name under version 2: %q", h.Name)
	}
	h, _, _ = d.CustomerHeader(ctx, crm{}, profile.Identifier{Key: "phonenumber", Value: "+1 212 555 0100"})
	if *h.Badge != "First call" || h.Profile.ContactCount != 2 {
		t.Fatalf("new contact under version 2: %+v", h)
	}
	if people, _, err := d.Search(ctx, crm{}, profile.Identifier{Key: "phonenumber", Value: "+12125550100"}, true); err != nil || len(people) != 0 {
		t.Fatalf("show_to_agents off still lists the unidentified profile: %v %v", people, err)
	}
}

// TestGates: components off answer COMPONENT_DISABLED, and agents search only by the keys the
// settings allow them, while admins search by any.
func TestGates(t *testing.T) {
	ctx := context.Background()
	d, s := newDesk(t)
	phone := profile.Identifier{Key: "phonenumber", Value: "+12125550100"}
	if _, _, err := d.Search(ctx, crm{}, phone, false); errcode.Of(err) != errcode.Forbidden {
		t.Fatalf("agent search by a hidden key: %v, want FORBIDDEN", err)
	}
	if _, _, err := d.Search(ctx, crm{}, phone, true); err != nil {
		t.Fatalf("admin search by a hidden key: %v", err)
	}
	s.set(2, func(v *settings.Settings) { v.Components = settings.Components{} })
	if _, _, err := d.CustomerHeader(ctx, crm{}, phone); errcode.Of(err) != errcode.ComponentDisabled {
		t.Fatalf("header with the components off: %v", err)
	}
	if _, _, err := d.Search(ctx, crm{}, phone, true); errcode.Of(err) != errcode.ComponentDisabled {
		t.Fatalf("search with the components off: %v", err)
	}
}
