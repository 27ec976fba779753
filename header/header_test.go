package header

import (
	"testing"
	"time"

	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

var addr = profile.Identifier{Key: "phonenumber", Value: "+14155550100"}

var now = time.Date(2026, 11, 29, 19, 0, 0, 0, time.UTC)

func TestFormatDate(t *testing.T) {
	tests := map[string]string{
		"2019-03-04":                "Mar 4th, 2019",
		"2019-03-01":                "Mar 1st, 2019",
		"2020-02-02T10:00:00Z":      "Feb 2nd, 2020",
		"2021-12-23 08:00:00":       "Dec 23rd, 2021",
		"2022-07-11":                "Jul 11th, 2022",
		"2022-07-12":                "Jul 12th, 2022",
		"2022-07-13":                "Jul 13th, 2022",
		"2022-07-21":                "Jul 21st, 2022",
		"2022-07-31T23:59:59+02:00": "Jul 31st, 2022",
	}
	for in, want := range tests {
		d, ok := ParseDate(in)
		if got := FormatDate(d); !ok || got != want {
			t.Errorf("FormatDate(%q) = %q (parsed %v), want %q", in, got, ok, want)
		}
	}
}

func TestTimeSince(t *testing.T) {
	tests := map[string]string{
		"2019-03-04": "7 years",
		"2025-11-29": "1 year",
		"2025-11-30": "11 months",
		"2026-10-29": "1 month",
		"2026-11-17": "12 days",
		"2026-11-28": "1 day",
		"2026-11-29": "today",
	}
	for in, want := range tests {
		d, _ := ParseDate(in)
		if got := TimeSince(d, now); got == nil || *got != want {
			t.Errorf("TimeSince(%s) = %v, want %q", in, got, want)
		}
	}
	if got := TimeSince(now.AddDate(0, 0, 1), now); got != nil {
		t.Errorf("TimeSince(tomorrow) = %q, want nil", *got)
	}
}

func person(status profile.Status, traits ...string) *profile.Profile {
	p := &profile.Profile{ID: "pf_x", Status: status, Identifiers: []profile.Identifier{{Key: "phonenumber", Value: "+14155550100"}}}
	for i := 0; i+1 < len(traits); i += 2 {
		p.Traits = append(p.Traits, profile.Trait{Key: traits[i], Value: traits[i+1], Source: "crm"})
	}
	return p
}

func snapshot(s settings.Settings) *settings.Snapshot {
	return settings.NewSnapshot(&settings.Versioned{Settings: s, Version: 1})
}

func TestRender(t *testing.T) {
	s := snapshot(settings.Default())
	t.Run("OK", func(t *testing.T) {
		h := Render(person(profile.StatusIdentified, "first_name", " Ada ", "last_name", "Lovelace",
			"customer_since", "2019-03-04", "profile_image_url", "https://example.com/a.png"), addr, 1, s, now)
		if h.Name != "Ada Lovelace" || h.Badge != nil || h.OtherMatches != 1 || *h.AvatarURL != "https://example.com/a.png" {
			t.Fatalf("header %+v", h)
		}
		st := h.SecondaryTrait
		if st.Label != "Customer since" || *st.Value != "2019-03-04" || *st.Formatted != "Mar 4th, 2019" || *st.TimeSince != "7 years" {
			t.Fatalf("secondary %+v", st)
		}
	})
	t.Run("BlankNameTraitsDropped", func(t *testing.T) {
		if h := Render(person(profile.StatusIdentified, "first_name", "  ", "last_name", "Hopper"), addr, 0, s, now); h.Name != "Hopper" {
			t.Fatalf("name %q", h.Name)
		}
	})
	t.Run("NoName", func(t *testing.T) {
		h := Render(person(profile.StatusIdentified, "customer_since", "gold member"), addr, 0, s, now)
		if h.Name != NoName || *h.SecondaryTrait.Formatted != "gold member" || h.SecondaryTrait.TimeSince != nil || h.AvatarURL != nil {
			t.Fatalf("header %+v %+v", h, h.SecondaryTrait)
		}
	})
	t.Run("Unidentified", func(t *testing.T) {
		h := Render(person(profile.StatusUnidentified), addr, 0, s, now)
		if h.Name != "+14155550100" || h.Badge == nil || *h.Badge != "New Contact" || h.SecondaryTrait.Value != nil {
			t.Fatalf("header %+v", h)
		}
	})
	t.Run("CustomSettings", func(t *testing.T) {
		c := snapshot(settings.Settings{
			Header:       settings.Header{NameTraits: []string{"name"}, SecondaryTrait: "plan", AvatarTrait: "photo"},
			Unidentified: settings.Unidentified{BadgeLabel: "Unknown caller"},
		})
		h := Render(person(profile.StatusUnidentified, "name", "Grace", "plan", "gold"), addr, 0, c, now)
		if h.Name != "+14155550100" || *h.Badge != "Unknown caller" || h.SecondaryTrait.Label != "Plan" || *h.SecondaryTrait.Value != "gold" {
			t.Fatalf("header %+v %+v", h, h.SecondaryTrait)
		}
	})
}
