package flexapi

import (
	"time"

	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
)

// The answers' shapes, as @twilio/flex-ui 2.17.1 declares them in
// src/flex-ui-core/src/FlexSDK/API/ProfileConnector/types.d.ts (and the Identifier and Trait
// types of internal-flex-commons' ProfileConnectorContext). CI type-checks real answers
// against those declarations.

// ProfilesResponse answers Profiles/Find.
type ProfilesResponse struct {
	Profiles []RankedProfile `json:"profiles"`
}

// RankedProfile is one profile Find found.
type RankedProfile struct {
	Profile         Profile `json:"profile"`
	MatchPercentage *int    `json:"match_percentage,omitempty"`
	Status          string  `json:"status,omitempty"`
}

// The statuses of a ranked profile.
const (
	StatusIdentified = "identified"
	StatusUnknown    = "unknown"
)

// Profile is a profile as Flex reads it.
type Profile struct {
	Sid                  string            `json:"sid"`
	Type                 *string           `json:"type"`
	GivenName            *string           `json:"given_name,omitempty"`
	FamilyName           *string           `json:"family_name,omitempty"`
	EmailAddress         *string           `json:"email_address,omitempty"`
	PhoneNumber          *string           `json:"phone_number,omitempty"`
	DateCreated          *string           `json:"date_created,omitempty"`
	DateUpdated          *string           `json:"date_updated,omitempty"`
	ProfileImageURL      *string           `json:"profile_image_url,omitempty"`
	AdditionalAttributes map[string]string `json:"additional_attributes,omitempty"`
	Status               string            `json:"status,omitempty"`
}

// IdentifiersResponse answers Identifiers.
type IdentifiersResponse struct {
	Identifiers []Identifier `json:"identifiers"`
}

// Identifier is an identifier key Flex may search by.
type Identifier struct {
	Key          string `json:"key"`
	Priority     *int   `json:"priority,omitempty"`
	FriendlyName string `json:"friendly_name,omitempty"`
}

// TraitsResponse answers Traits.
type TraitsResponse struct {
	Traits []Trait `json:"traits"`
}

// Trait maps a trait to the Flex profile field it fills.
type Trait struct {
	From         string   `json:"from"`
	To           *string  `json:"to,omitempty"`
	Categories   []string `json:"categories,omitempty"`
	FriendlyName string   `json:"friendly_name,omitempty"`
}

// Flex's profile fields and the trait keys that fill them when the header does not say.
var fieldTraits = map[string][]string{
	"given_name":    {"first_name", "given_name"},
	"family_name":   {"last_name", "family_name"},
	"email_address": {"email"},
	"phone_number":  {"phone"},
}

// Field returns the Flex profile field a trait fills, "" for none: the header's avatar trait
// is profile_image_url; a one-trait header name is given_name.
func Field(key string, s *settings.Snapshot) string {
	if key == s.Header.AvatarTrait {
		return "profile_image_url"
	}
	if len(s.Header.NameTraits) == 1 && key == s.Header.NameTraits[0] {
		return "given_name"
	}
	for f, keys := range fieldTraits {
		for _, k := range keys {
			if k == key {
				return f
			}
		}
	}
	return ""
}

// render draws p as Flex reads a profile: the traits that fill Flex's fields there, the others
// in additional_attributes; email and phone from the identifiers when no trait holds them.
func render(p *profile.Profile, s *settings.Snapshot) Profile {
	out := Profile{Sid: p.ID, Status: StatusUnknown}
	if p.Status == profile.StatusIdentified {
		out.Status = StatusIdentified
	}
	for _, t := range p.Traits {
		v := t.Value
		switch Field(t.Key, s) {
		case "given_name":
			out.GivenName = &v
		case "family_name":
			out.FamilyName = &v
		case "email_address":
			out.EmailAddress = &v
		case "phone_number":
			out.PhoneNumber = &v
		case "profile_image_url":
			out.ProfileImageURL = &v
		default:
			if out.AdditionalAttributes == nil {
				out.AdditionalAttributes = map[string]string{}
			}
			out.AdditionalAttributes[t.Key] = v
		}
	}
	if id, ok := p.Identifier(profile.KeyEmail); ok && out.EmailAddress == nil {
		out.EmailAddress = &id.Value
	}
	if id, ok := p.Identifier(profile.KeyPhoneNumber); ok && out.PhoneNumber == nil {
		out.PhoneNumber = &id.Value
	}
	if p.FirstSeen != nil {
		created := p.FirstSeen.UTC().Format(time.RFC3339)
		out.DateCreated = &created
	}
	if !p.UpdatedAt.IsZero() {
		updated := p.UpdatedAt.UTC().Format(time.RFC3339)
		out.DateUpdated = &updated
	}
	return out
}
