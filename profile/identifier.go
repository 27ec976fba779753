package profile

import (
	"encoding/base64"
	"regexp"
	"strings"

	"github.com/profilegate/profilegate/errcode"
)

// The built-in identifier keys.
const (
	KeyUserID      = "user_id"
	KeyEmail       = "email"
	KeyPhoneNumber = "phonenumber"
	KeyAnonymousID = "anonymous_id"
)

// Identifier is a key and a value that point at a contact, e.g. email ada@example.com.
// Inside profilegate its Value is always normalized (see Normalizer).
type Identifier struct {
	Key   string
	Value string
}

func (id Identifier) String() string { return id.Key + ":" + id.Value }

// Normalization says how values of an identifier key are brought to one canonical form.
type Normalization string

// The normalizations a key can have.
const (
	NormalizePhone Normalization = "phone" // E.164 via libphonenumber
	NormalizeEmail Normalization = "email" // trimmed, lower-cased, validated
	NormalizeLower Normalization = "lower" // trimmed, lower-cased
	NormalizeNone  Normalization = "none"  // trimmed, case kept
)

// Valid reports whether n is a known normalization.
func (n Normalization) Valid() bool {
	switch n {
	case NormalizePhone, NormalizeEmail, NormalizeLower, NormalizeNone:
		return true
	}
	return false
}

// keyPattern is what a configured identifier or trait key may look like; keys are also used
// to build profile ids, which rely on them holding no ':'.
var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// ValidKey reports whether s may be used as an identifier or trait key.
func ValidKey(s string) bool { return keyPattern.MatchString(s) }

// idPrefix marks profile ids; the rest is the unpadded base64url of "key:value" of the
// identifier the id was derived from, so any replica can resolve an id without shared state.
const idPrefix = "pf_"

// ProfileID returns the stable profile id derived from an identifier.
func ProfileID(id Identifier) string {
	return idPrefix + base64.RawURLEncoding.EncodeToString([]byte(id.String()))
}

// ParseProfileID returns the identifier a profile id was derived from.
func ParseProfileID(s string) (Identifier, error) {
	bad := errcode.Errorf(errcode.BadUserInput, "%q is not a profile id: ids look like %q", errcode.Truncate(s, 40), ProfileID(Identifier{KeyEmail, "ada@example.com"}))
	raw, ok := strings.CutPrefix(s, idPrefix)
	if !ok {
		return Identifier{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return Identifier{}, bad
	}
	key, value, ok := strings.Cut(string(b), ":")
	if !ok || !ValidKey(key) || value == "" {
		return Identifier{}, bad
	}
	return Identifier{Key: key, Value: value}, nil
}
