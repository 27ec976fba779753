package settings

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
)

// ErrorCode classifies a FieldError.
type ErrorCode string

// The codes of FieldErrors.
const (
	// ErrInvalid: the value itself is wrong (empty, too long, malformed key).
	ErrInvalid ErrorCode = "INVALID"
	// ErrDuplicate: a key is listed twice.
	ErrDuplicate ErrorCode = "DUPLICATE"
	// ErrNotConfigured: the header or search names an identifier or trait that is not configured.
	ErrNotConfigured ErrorCode = "NOT_CONFIGURED"
	// ErrMissing: a configured identifier is left out of the list.
	ErrMissing ErrorCode = "MISSING"
	// ErrFixed: a suggested trait's display name cannot be changed.
	ErrFixed ErrorCode = "FIXED"
	// ErrNotSearchable: search names an identifier that is hidden from agents.
	ErrNotSearchable ErrorCode = "NOT_SEARCHABLE"
)

// FieldError is one problem of a settings change, at Field: the path into the settings, e.g.
// ["customerHeader", "nameTraits", "1"].
type FieldError struct {
	Field   []string
	Message string
	Code    ErrorCode
}

// Limits of what settings hold.
const (
	MaxDisplayName = 64
	MaxBadgeLabel  = 32
	MaxTraits      = 500
	MaxNameTraits  = 5
)

type validator struct {
	errs []FieldError
}

func (v *validator) add(code ErrorCode, format string, args []any, field ...string) {
	v.errs = append(v.errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...), Code: code})
}

func (v *validator) text(value string, max int, required bool, field ...string) {
	switch {
	case required && strings.TrimSpace(value) == "":
		v.add(ErrInvalid, "must not be empty", nil, field...)
	case !utf8.ValidString(value) || strings.IndexFunc(value, unicode.IsControl) >= 0:
		v.add(ErrInvalid, "must be printable text", nil, field...)
	case utf8.RuneCountInString(value) > max:
		v.add(ErrInvalid, "is longer than %d characters", []any{max}, field...)
	}
}

// Validate reports every problem of s at once; norm knows the configured identifier keys.
func Validate(s *Settings, norm *profile.Normalizer) []FieldError {
	v := &validator{}
	v.identifiers(s, norm)
	traits := v.traits(s)
	v.header(s, traits)
	v.search(s)
	v.text(s.Unidentified.BadgeLabel, MaxBadgeLabel, true, "unidentifiedProfiles", "badgeLabel")
	return v.errs
}

func (v *validator) identifiers(s *Settings, norm *profile.Normalizer) {
	seen := map[string]bool{}
	for i, id := range s.Identifiers {
		at := strconv.Itoa(i)
		if _, ok := norm.Normalization(id.Key); !ok {
			v.add(ErrNotConfigured, "identifier %q is not declared in the configuration; custom identifiers are declared there with the source columns that hold them",
				[]any{errcode.Truncate(id.Key, 64)}, "identifiers", at, "key")
		} else if seen[id.Key] {
			v.add(ErrDuplicate, "identifier %q is listed twice", []any{id.Key}, "identifiers", at, "key")
		}
		seen[id.Key] = true
		v.text(id.DisplayName, MaxDisplayName, false, "identifiers", at, "displayName")
	}
	for _, key := range norm.Keys() {
		if !seen[key] {
			v.add(ErrMissing, "identifier %q is configured and must be listed (the list's order is the priority)", []any{key}, "identifiers")
		}
	}
}

func (v *validator) traits(s *Settings) map[string]bool {
	if len(s.Traits) > MaxTraits {
		v.add(ErrInvalid, "at most %d traits can be configured", []any{MaxTraits}, "traits")
	}
	seen := map[string]bool{}
	for i, t := range s.Traits {
		at := strconv.Itoa(i)
		switch {
		case !profile.ValidKey(t.Key):
			v.add(ErrInvalid, "%q is not a trait key: lower-case letters, digits and _, starting with a letter", []any{errcode.Truncate(t.Key, 64)}, "traits", at, "key")
		case seen[t.Key]:
			v.add(ErrDuplicate, "trait %q is listed twice", []any{t.Key}, "traits", at, "key")
		}
		seen[t.Key] = true
		if fixed, ok := SuggestedTraits[t.Key]; ok && t.DisplayName != "" && t.DisplayName != fixed {
			v.add(ErrFixed, "%q is a suggested trait; its display name is always %q", []any{t.Key, fixed}, "traits", at, "displayName")
		}
		v.text(t.DisplayName, MaxDisplayName, false, "traits", at, "displayName")
	}
	return seen
}

const configureFirst = "configure identifiers and traits first"

func (v *validator) header(s *Settings, traits map[string]bool) {
	h := s.Header
	if len(h.NameTraits) == 0 || len(h.NameTraits) > MaxNameTraits {
		v.add(ErrInvalid, "name the header with 1 to %d traits", []any{MaxNameTraits}, "customerHeader", "nameTraits")
	}
	seen := map[string]bool{}
	for i, key := range h.NameTraits {
		at := strconv.Itoa(i)
		switch {
		case !traits[key]:
			v.add(ErrNotConfigured, "trait %q is not configured; "+configureFirst, []any{errcode.Truncate(key, 64)}, "customerHeader", "nameTraits", at)
		case seen[key]:
			v.add(ErrDuplicate, "trait %q is listed twice", []any{key}, "customerHeader", "nameTraits", at)
		}
		seen[key] = true
	}
	for _, f := range [][2]string{{"secondaryTrait", h.SecondaryTrait}, {"avatarTrait", h.AvatarTrait}} {
		if f[1] != "" && !traits[f[1]] {
			v.add(ErrNotConfigured, "trait %q is not configured; "+configureFirst, []any{errcode.Truncate(f[1], 64)}, "customerHeader", f[0])
		}
	}
	v.text(h.SecondaryLabel, MaxDisplayName, false, "customerHeader", "secondaryLabel")
}

func (v *validator) search(s *Settings) {
	if s.Search.AllIdentifiers {
		return
	}
	ids := map[string]IdentifierSetting{}
	for _, id := range s.Identifiers {
		ids[id.Key] = id
	}
	seen := map[string]bool{}
	for i, key := range s.Search.Identifiers {
		at := strconv.Itoa(i)
		id, ok := ids[key]
		switch {
		case !ok:
			v.add(ErrNotConfigured, "identifier %q is not configured; "+configureFirst, []any{errcode.Truncate(key, 64)}, "profileSearch", "identifiers", at)
		case !id.AgentSearchable():
			v.add(ErrNotSearchable, "identifier %q is hidden from agents; make it searchable first", []any{key}, "profileSearch", "identifiers", at)
		case seen[key]:
			v.add(ErrDuplicate, "identifier %q is listed twice", []any{key}, "profileSearch", "identifiers", at)
		}
		seen[key] = true
	}
}

// MarshalGQL writes the code as a GraphQL enum value.
func (c ErrorCode) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL reads the code from a GraphQL enum value.
func (c *ErrorCode) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%v is not a SettingsErrorCode", v)
	}
	*c = ErrorCode(s)
	return nil
}
