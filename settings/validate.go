package settings

import (
	"fmt"
	"io"
	"regexp"
	"slices"
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
	// MaxGroups bounds the customer details' groups, MaxGroupTraits each group's traits.
	MaxGroups      = 20
	MaxGroupTraits = 50
	// MaxHistoryEvents bounds the event names the history lists, MaxEventProperties each
	// one's properties.
	MaxHistoryEvents   = 200
	MaxEventProperties = 50
	// MaxEventName bounds an event name and a property key.
	MaxEventName = 128
	// MaxHistoryPageSize bounds the history's default page size.
	MaxHistoryPageSize = 100
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
	v.details(s, traits)
	v.history(s)
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

func (v *validator) details(s *Settings, traits map[string]bool) {
	groups := s.Details.Groups
	if len(groups) > MaxGroups {
		v.add(ErrInvalid, "at most %d groups can be configured", []any{MaxGroups}, "details", "groups")
	}
	names, keys := map[string]bool{}, map[string]bool{}
	for gi, g := range groups {
		at := strconv.Itoa(gi)
		v.text(g.Name, MaxDisplayName, true, "details", "groups", at, "name")
		if names[g.Name] || g.Name == OtherGroup && !s.Details.HideOther {
			v.add(ErrDuplicate, "group %q is listed twice (\"Other\" holds the traits no group names unless hideOther)", []any{errcode.Truncate(g.Name, 64)}, "details", "groups", at, "name")
		}
		names[g.Name] = true
		if len(g.Traits) > MaxGroupTraits {
			v.add(ErrInvalid, "a group holds at most %d traits", []any{MaxGroupTraits}, "details", "groups", at, "traits")
		}
		for ti, t := range g.Traits {
			tat := strconv.Itoa(ti)
			switch {
			case !traits[t.Key]:
				v.add(ErrNotConfigured, "trait %q is not configured; "+configureFirst, []any{errcode.Truncate(t.Key, 64)}, "details", "groups", at, "traits", tat, "key")
			case keys[t.Key]:
				v.add(ErrDuplicate, "trait %q is in the details twice", []any{t.Key}, "details", "groups", at, "traits", tat, "key")
			}
			keys[t.Key] = true
			v.text(t.Label, MaxDisplayName, false, "details", "groups", at, "traits", tat, "label")
			if t.Type != "" && !slices.Contains(TraitTypes, t.Type) {
				v.add(ErrInvalid, "%q is not a trait type", []any{errcode.Truncate(string(t.Type), 32)}, "details", "groups", at, "traits", tat, "type")
			}
			if t.Currency != "" && !currencyCode.MatchString(t.Currency) {
				v.add(ErrInvalid, "%q is not an ISO 4217 currency code such as USD", []any{errcode.Truncate(t.Currency, 16)}, "details", "groups", at, "traits", tat, "currency")
			}
		}
	}
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

func (v *validator) history(s *Settings) {
	h := s.History
	if h.PageSize != 0 && (h.PageSize < 1 || h.PageSize > MaxHistoryPageSize) {
		v.add(ErrInvalid, "the page size is 1 to %d", []any{MaxHistoryPageSize}, "history", "pageSize")
	}
	if len(h.Events) > MaxHistoryEvents {
		v.add(ErrInvalid, "at most %d events can be listed", []any{MaxHistoryEvents}, "history", "events")
	}
	seen := map[string]bool{}
	for i, e := range h.Events {
		at := strconv.Itoa(i)
		v.text(e.Name, MaxEventName, true, "history", "events", at, "name")
		if seen[e.Name] {
			v.add(ErrDuplicate, "event %q is listed twice", []any{errcode.Truncate(e.Name, 64)}, "history", "events", at, "name")
		}
		seen[e.Name] = true
		v.text(e.Label, MaxDisplayName, false, "history", "events", at, "label")
		if len(e.Properties) > MaxEventProperties {
			v.add(ErrInvalid, "an event shows at most %d properties", []any{MaxEventProperties}, "history", "events", at, "properties")
		}
		props := map[string]bool{}
		for pi, p := range e.Properties {
			pat := strconv.Itoa(pi)
			v.text(p.Key, MaxEventName, true, "history", "events", at, "properties", pat, "key")
			if props[p.Key] {
				v.add(ErrDuplicate, "property %q is listed twice", []any{errcode.Truncate(p.Key, 64)}, "history", "events", at, "properties", pat, "key")
			}
			props[p.Key] = true
			v.text(p.Label, MaxDisplayName, false, "history", "events", at, "properties", pat, "label")
		}
	}
}
