package settings_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
	"github.com/profilegate/profilegate/store"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func initial() *settings.Settings {
	return &settings.Settings{
		Identifiers: []settings.IdentifierSetting{
			{Key: "user_id"}, {Key: "email"},
			{Key: "phonenumber"}, {Key: "anonymous_id"},
		},
		Traits:       []settings.TraitSetting{{Key: "first_name"}, {Key: "last_name"}, {Key: "customer_since"}, {Key: "plan"}},
		Header:       settings.Header{NameTraits: []string{"first_name", "last_name"}, SecondaryTrait: "customer_since"},
		Search:       settings.Search{AllIdentifiers: true},
		Unidentified: settings.Unidentified{ShowToAgents: true, BadgeLabel: "New Contact"},
	}
}

// openService opens a settings service over the gateway's real store in a SQLite file at path.
func openService(t *testing.T, path string, first *settings.Settings) *settings.Service {
	t.Helper()
	db, err := sqlx.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := store.New(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	norm, err := profile.NewNormalizer(nil, "US", nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := settings.Open(context.Background(), st, norm, first, func() time.Time { return t0 }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	s := openService(t, filepath.Join(t.TempDir(), "gw.db"), initial())
	cur := s.Current()
	if cur.Version != 1 || cur.Components.CustomerHeaderAndSearch() || cur.SecondaryLabel != "Customer since" {
		t.Fatalf("initial %+v", cur)
	}

	t.Run("OK", func(t *testing.T) {
		snap, errs, err := s.Update(ctx, settings.Update{
			ExpectedVersion: 1, By: "key:admin",
			Header:     &settings.Header{NameTraits: []string{"first_name"}, SecondaryTrait: "plan", SecondaryLabel: "Plan"},
			Components: &settings.Components{CustomerHistory: true},
		})
		if err != nil || len(errs) > 0 {
			t.Fatal(err, errs)
		}
		if snap.Version != 2 || snap.UpdatedBy != "key:admin" || !snap.Components.CustomerHeaderAndSearch() {
			t.Fatalf("after update %+v", snap.Versioned)
		}
		if snap.Header.SecondaryTrait != "plan" || snap.Header.NameTraits[0] != "first_name" || snap.Settings.Traits[0].Key != "first_name" {
			t.Fatalf("header settings not driven by the change: %+v", snap.Header)
		}
		if s.Current() != snap {
			t.Fatal("the saved settings are not current")
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		_, _, err := s.Update(ctx, settings.Update{ExpectedVersion: 1, Components: &settings.Components{}})
		if errcode.Of(err) != errcode.Conflict {
			t.Fatalf("stale version: %v, want CONFLICT", err)
		}
		if s.Current().Version != 2 || !s.Current().Components.CustomerHistory {
			t.Fatal("a conflicting change was applied")
		}
	})
	t.Run("ErrValidation", func(t *testing.T) {
		snap, errs, err := s.Update(ctx, settings.Update{
			ExpectedVersion: 2,
			Traits:          []settings.TraitSetting{{Key: "plan"}},
			Components:      &settings.Components{},
		})
		if err != nil || len(errs) == 0 {
			t.Fatalf("removing traits the header uses: %v, %+v; want field errors", err, errs)
		}
		if snap.Version != 2 || len(s.Current().Traits) != 4 || !s.Current().Components.CustomerHistory {
			t.Fatal("an invalid change was partly applied")
		}
	})
	t.Run("NoChangeIsNoVersion", func(t *testing.T) {
		snap, errs, err := s.Update(ctx, settings.Update{ExpectedVersion: 2, Components: &settings.Components{CustomerHistory: true}})
		if err != nil || len(errs) > 0 || snap.Version != 2 {
			t.Fatalf("same settings saved as a new version: %v %v %d", err, errs, snap.Version)
		}
	})
	t.Run("History", func(t *testing.T) {
		h, err := s.History(ctx, 0, 10)
		if err != nil || len(h) != 2 || h[0].Version != 2 || h[0].Before.Header.SecondaryTrait != "customer_since" || h[0].After.Header.SecondaryTrait != "plan" {
			t.Fatalf("history %+v, %v", h, err)
		}
	})
}

func TestFlexUIGate(t *testing.T) {
	ctx := context.Background()
	old, newer := semver.MustParse("2.7.3"), semver.MustParse("2.10.0")
	s := openService(t, filepath.Join(t.TempDir(), "gw.db"), initial())
	header := &settings.Header{NameTraits: []string{"last_name"}}

	if _, _, err := s.Update(ctx, settings.Update{ExpectedVersion: 1, Client: old, Header: header}); errcode.Of(err) != errcode.SettingsReadOnly {
		t.Fatalf("header change from 2.7.3: %v, want SETTINGS_READ_ONLY", err)
	}
	if _, _, err := s.Update(ctx, settings.Update{ExpectedVersion: 1, Client: old, Search: &settings.Search{Identifiers: []string{"email"}}}); errcode.Of(err) != errcode.SettingsReadOnly {
		t.Fatalf("search change from 2.7.3: %v, want SETTINGS_READ_ONLY", err)
	}
	if s.Current().Version != 1 {
		t.Fatal("a refused change was saved")
	}
	same := s.Current().Settings.Header
	if _, errs, err := s.Update(ctx, settings.Update{ExpectedVersion: 1, Client: old, Header: &same, Components: &settings.Components{CustomerDetails: true}}); err != nil || len(errs) > 0 {
		t.Fatalf("2.7.3 turning a component on with the header unchanged: %v %v", err, errs)
	}
	if _, errs, err := s.Update(ctx, settings.Update{ExpectedVersion: 2, Client: newer, Header: header}); err != nil || len(errs) > 0 {
		t.Fatalf("header change from 2.10.0: %v %v", err, errs)
	}
}

// TestReplicas: a change saved through one service reaches another on the same store at its
// next refresh, and a restart keeps the stored settings over the configured ones.
func TestReplicas(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gw.db")
	a, b := openService(t, path, initial()), openService(t, path, initial())
	if _, _, err := a.Update(ctx, settings.Update{ExpectedVersion: 1, Unidentified: &settings.Unidentified{BadgeLabel: "New caller"}}); err != nil {
		t.Fatal(err)
	}
	if b.Current().Version != 1 {
		t.Fatal("b changed before refreshing")
	}
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if b.Current().Version != 2 || b.Current().Unidentified.BadgeLabel != "New caller" {
		t.Fatalf("b after refresh: %+v", b.Current().Versioned)
	}
	if b.Current().Unidentified.ShowToAgents {
		t.Fatal("show_to_agents off did not reach the other replica")
	}

	changedConfig := initial()
	changedConfig.Unidentified.BadgeLabel = "From config"
	if c := openService(t, path, changedConfig); c.Current().Version != 2 || c.Current().Unidentified.BadgeLabel != "New caller" {
		t.Fatalf("after restart: %+v; want the stored settings", c.Current().Versioned)
	}
}
