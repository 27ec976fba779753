package header

import (
	"strings"
	"time"

	"github.com/profilegate/profilegate/profile"
)

// Settings say which traits make up the header.
type Settings struct {
	// NameTraits are joined with one space, blanks dropped, to make the name.
	NameTraits []string
	// SecondaryTrait is shown under the name; none when empty.
	SecondaryTrait string
	// SecondaryLabel is shown before the secondary trait's value.
	SecondaryLabel string
	// AvatarTrait holds the avatar's URL.
	AvatarTrait string
	// BadgeLabel badges unidentified profiles.
	BadgeLabel string
}

// DefaultSettings are the header settings of a new deployment.
func DefaultSettings() Settings {
	return Settings{
		NameTraits:     []string{"first_name", "last_name"},
		SecondaryTrait: "customer_since",
		SecondaryLabel: "Customer since",
		AvatarTrait:    "profile_image_url",
		BadgeLabel:     "New Contact",
	}
}

// NoName is the name of an identified profile whose name traits are all blank.
const NoName = "No name recorded"

// CustomerHeader is what an agent desktop shows about a contact.
type CustomerHeader struct {
	Profile        *profile.Profile
	Name           string
	SecondaryTrait *Trait
	AvatarURL      *string
	Badge          *string
	OtherMatches   int
}

// Trait is the header's secondary line.
type Trait struct {
	Key       string
	Label     string
	Value     *string
	Formatted *string
	TimeSince *string
}

// Render builds the header of p for a contact from address (normalized); otherMatches is how
// many other people matched the address. An unidentified profile is named by its address.
func Render(p *profile.Profile, address profile.Identifier, otherMatches int, s Settings, now time.Time) *CustomerHeader {
	h := &CustomerHeader{Profile: p, OtherMatches: otherMatches, Name: name(p, s.NameTraits)}
	if p.Status == profile.StatusUnidentified {
		badge := s.BadgeLabel
		h.Badge = &badge
		h.Name = address.Value
	}
	if s.SecondaryTrait != "" {
		h.SecondaryTrait = secondary(p, s, now)
	}
	if t, ok := p.Trait(s.AvatarTrait); ok && strings.TrimSpace(t.Value) != "" {
		url := strings.TrimSpace(t.Value)
		h.AvatarURL = &url
	}
	return h
}

func name(p *profile.Profile, traits []string) string {
	var parts []string
	for _, key := range traits {
		if t, ok := p.Trait(key); ok {
			if v := strings.Join(strings.Fields(t.Value), " "); v != "" {
				parts = append(parts, v)
			}
		}
	}
	if len(parts) == 0 {
		return NoName
	}
	return strings.Join(parts, " ")
}

func secondary(p *profile.Profile, s Settings, now time.Time) *Trait {
	label := s.SecondaryLabel
	if label == "" {
		label = profile.Label(s.SecondaryTrait)
	}
	ht := &Trait{Key: s.SecondaryTrait, Label: label}
	t, ok := p.Trait(s.SecondaryTrait)
	if !ok {
		return ht
	}
	value, formatted := t.Value, t.Value
	ht.Value, ht.Formatted = &value, &formatted
	if d, ok := ParseDate(t.Value); ok {
		formatted = FormatDate(d)
		ht.TimeSince = TimeSince(d, now)
	}
	return ht
}
