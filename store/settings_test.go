package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/profilegate/profilegate/settings"
)

func TestSettingsVersions(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	first := &settings.Settings{Unidentified: settings.Unidentified{BadgeLabel: "New Contact"}}
	for name, openStore := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s, _, _ := openStore(t)
			if err := s.InitSettings(ctx, first, t0); err != nil {
				t.Fatal(err)
			}
			again := first.Clone()
			again.Unidentified.BadgeLabel = "from a newer config"
			if err := s.InitSettings(ctx, again, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			v, err := s.LoadSettings(ctx)
			if err != nil || v.Version != 1 || v.Unidentified.BadgeLabel != "New Contact" || v.UpdatedBy != "config" || !v.UpdatedAt.Equal(t0) {
				t.Fatalf("after two inits: %+v, %v; want the first stored once", v, err)
			}

			next := first.Clone()
			next.Unidentified.BadgeLabel = "New caller"
			saved, err := s.SaveSettings(ctx, 1, first, next, "key:admin", t0.Add(time.Minute))
			if err != nil || saved.Version != 2 {
				t.Fatalf("save: %+v, %v", saved, err)
			}
			if _, err := s.SaveSettings(ctx, 1, first, next, "key:late", t0.Add(time.Minute)); !errors.Is(err, settings.ErrConflict) {
				t.Fatalf("save against version 1 after version 2: %v, want ErrConflict", err)
			}
			if v, err := s.SettingsVersion(ctx); err != nil || v != 2 {
				t.Fatalf("version %d, %v", v, err)
			}
			h, err := s.SettingsHistory(ctx, 0, 10)
			if err != nil || len(h) != 2 {
				t.Fatalf("history %+v, %v", h, err)
			}
			if h[0].Version != 2 || h[0].ChangedBy != "key:admin" || h[0].Before.Unidentified.BadgeLabel != "New Contact" || h[0].After.Unidentified.BadgeLabel != "New caller" {
				t.Errorf("newest change %+v", h[0])
			}
			if h[1].Version != 1 || h[1].Before != nil {
				t.Errorf("initial change %+v: want no before", h[1])
			}
			if older, _ := s.SettingsHistory(ctx, 2, 10); len(older) != 1 || older[0].Version != 1 {
				t.Errorf("history before version 2: %+v", older)
			}
		})
	}
}

// TestSettingsConcurrentWriters: of writers that read the same version, exactly one saves.
func TestSettingsConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	base := &settings.Settings{Unidentified: settings.Unidentified{BadgeLabel: "New Contact"}}
	for name, openStore := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s, _, _ := openStore(t)
			if err := s.InitSettings(ctx, base, t0); err != nil {
				t.Fatal(err)
			}
			const writers = 12
			var wg sync.WaitGroup
			results := make([]error, writers)
			for i := range writers {
				wg.Go(func() {
					next := base.Clone()
					next.Unidentified.BadgeLabel = "writer"
					_, results[i] = s.SaveSettings(ctx, 1, base, next, "w", t0)
				})
			}
			wg.Wait()
			saved, conflicts := 0, 0
			for _, err := range results {
				switch {
				case err == nil:
					saved++
				case errors.Is(err, settings.ErrConflict):
					conflicts++
				default:
					t.Errorf("writer failed: %v", err)
				}
			}
			if saved != 1 || conflicts != writers-1 {
				t.Fatalf("%d saved, %d conflicts; want 1 and %d", saved, conflicts, writers-1)
			}
			if h, _ := s.SettingsHistory(ctx, 0, 100); len(h) != 2 {
				t.Fatalf("history has %d changes, want 2", len(h))
			}
		})
	}
}
