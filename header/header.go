package header

import (
	"strings"
	"time"

	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

// NoName is the name of an identified profile whose name traits are all blank.
const NoName = "No name recorded"

// CustomerHeader is what an agent desktop shows about a contact.
type CustomerHeader struct {
	Profile        *profile.Profile
	Name           string
	SecondaryTrait *SecondaryTrait
	AvatarURL      *string
	Badge          *string
	OtherMatches   int
}

// SecondaryTrait is the header's line under the name.
type SecondaryTrait struct {
	Key       string
	Label     string
	Value     *string
	Formatted *string
	TimeSince *string
}

// Render builds the header of p for a contact from address (normalized); otherMatches is how
// many other people matched the address. An unidentified profile is named by its address.
// s is the settings version the header is rendered under.
func Render(p *profile.Profile, address profile.Identifier, otherMatches int, s *settings.Snapshot, now time.Time) *CustomerHeader {
	h := &CustomerHeader{Profile: p, OtherMatches: otherMatches, Name: name(p, s.Header.NameTraits)}
	if p.Status == profile.StatusUnidentified {
		badge := s.Unidentified.BadgeLabel
		h.Badge = &badge
		h.Name = address.Value
	}
	if s.Header.SecondaryTrait != "" {
		h.SecondaryTrait = secondary(p, s.Header.SecondaryTrait, s.SecondaryLabel, now)
	}
	if t, ok := p.Trait(s.Header.AvatarTrait); ok && strings.TrimSpace(t.Value) != "" {
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

func secondary(p *profile.Profile, key, label string, now time.Time) *SecondaryTrait {
	ht := &SecondaryTrait{Key: key, Label: label}
	t, ok := p.Trait(key)
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
