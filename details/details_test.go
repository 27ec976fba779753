package details

import (
	"testing"
	"time"

	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		value string
		typ   settings.TraitType
		code  string
		want  string // "<nil>" for no formatted value
	}{
		{"gold", settings.TypeString, "", "gold"},
		{"1234567.5", settings.TypeNumber, "", "1,234,567.5"},
		{"-12", settings.TypeNumber, "", "-12"},
		{"twelve", settings.TypeNumber, "", "twelve"},
		{"NaN", settings.TypeNumber, "", "NaN"},
		{"2019-03-04", settings.TypeDate, "", "Mar 4th, 2019"},
		{"2019-03-04T21:07:00Z", settings.TypeDateTime, "", "Mar 4th, 2019, 9:07 PM UTC"},
		{"2019-03-04T21:07:00+02:00", settings.TypeDateTime, "", "Mar 4th, 2019, 7:07 PM UTC"},
		{"yesterday", settings.TypeDate, "", "yesterday"},
		{"1234.5", settings.TypeCurrency, "", "$1,234.50"},
		{"1234.5", settings.TypeCurrency, "EUR", "€1,234.50"},
		{"1234.5", settings.TypeCurrency, "JPY", "¥1,235"},
		{"-3", settings.TypeCurrency, "USD", "-$3.00"},
		{"12", settings.TypeCurrency, "CHF", "CHF 12.00"},
		{"lots", settings.TypeCurrency, "USD", "lots"},
		{"87", settings.TypePercentile, "", "87th percentile"},
		{"0.92", settings.TypePercentile, "", "92nd percentile"},
		{"1", settings.TypePercentile, "", "1st percentile"},
		{"13", settings.TypePercentile, "", "13th percentile"},
		{"140", settings.TypePercentile, "", "140"},
		{"https://example.com/a?b=1", settings.TypeLink, "", "https://example.com/a?b=1"},
		{"javascript:alert(1)", settings.TypeLink, "", "<nil>"},
		{"//evil.example.com", settings.TypeLink, "", "<nil>"},
		{"example.com", settings.TypeLink, "", "<nil>"},
	} {
		got := "<nil>"
		if f := Format(c.value, c.typ, c.code); f != nil {
			got = *f
		}
		if got != c.want {
			t.Errorf("Format(%q, %s, %q) = %q, want %q", c.value, c.typ, c.code, got, c.want)
		}
	}
}

func TestRender(t *testing.T) {
	at := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	p := &profile.Profile{Status: profile.StatusIdentified, Traits: []profile.Trait{
		{Key: "first_name", Label: "First name", Value: "Ada", Source: "crm", UpdatedAt: at},
		{Key: "profile_image_url", Label: "Avatar", Value: "https://example.com/a.png", Source: "crm"},
		{Key: "plan", Label: "Plan", Value: "gold", Source: "warehouse"},
		{Key: "zodiac", Label: "Zodiac", Value: "leo", Source: "warehouse"},
	}}
	s := settings.Default()
	snap := settings.NewSnapshot(&settings.Versioned{Settings: s})
	d := Render(p, snap)
	// The default: a Contact group of the header's traits, then Other without the avatar.
	if len(d.Groups) != 2 || d.Groups[0].Name != "Contact" || d.Groups[1].Name != settings.OtherGroup {
		t.Fatalf("groups %+v", d.Groups)
	}
	contact := d.Groups[0].Traits
	if len(contact) != 3 || contact[0].Key != "first_name" || *contact[0].Source != "crm" || !contact[0].UpdatedAt.Equal(at) {
		t.Fatalf("contact %+v", contact[0])
	}
	if contact[1].Key != "last_name" || contact[1].Value != nil || contact[1].Formatted != nil || contact[1].Source != nil {
		t.Fatalf("a trait the person lacks: %+v", contact[1])
	}
	if contact[2].Key != "customer_since" || contact[2].Label != "Customer since" || contact[2].Type != settings.TypeDate {
		t.Fatalf("secondary trait: %+v", contact[2])
	}
	if other := d.Groups[1].Traits; len(other) != 2 || other[0].Key != "plan" || other[1].Key != "zodiac" {
		t.Fatalf("other: %+v %+v", other[0], other)
	}

	s.Details = settings.Details{HideOther: true, Groups: []settings.TraitGroup{
		{Name: "Money", Traits: []settings.DetailTrait{{Key: "plan", Label: "Tier", Type: settings.TypeString}}},
	}}
	d = Render(p, settings.NewSnapshot(&settings.Versioned{Settings: s}))
	if len(d.Groups) != 1 || d.Groups[0].Traits[0].Label != "Tier" || *d.Groups[0].Traits[0].Formatted != "gold" {
		t.Fatalf("configured groups, other hidden: %+v", d.Groups)
	}

	unknown := (&profile.UnidentifiedContact{Identifier: profile.Identifier{Key: "phonenumber", Value: "+14155550123"}}).Profile()
	if d := Render(unknown, snap); len(d.Groups) != 0 {
		t.Fatalf("an unidentified contact has groups: %+v", d.Groups)
	}
}
