package sqlsource

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/profilegate/profilegate/profile"
)

// StoredMixedCase says a column holds text in any case: it is compared lower-cased, so give it
// an index on lower(column).
const StoredMixedCase = "mixed_case"

// StoredAnyPhone says a column holds phone numbers in any of the known formats.
const StoredAnyPhone = "any"

// IdentifierColumn maps a column of a record table to an identifier key.
type IdentifierColumn struct {
	Column string `yaml:"column"`
	Key    string `yaml:"key"`
	// StoredAs says how the column holds values: phone formats (e164, national,
	// international, spaced, digits, national_digits, rfc3966, or any) for phone keys, mixed_case for
	// text stored in any case. Empty means the normalized form.
	StoredAs []string `yaml:"stored_as"`
}

// TraitColumn maps a column of a record table to a trait.
type TraitColumn struct {
	Column string `yaml:"column"`
	Key    string `yaml:"key"`
}

// RecordTable is a CRM's contacts: one row per record.
type RecordTable struct {
	Table         string             `yaml:"table"`
	IDColumn      string             `yaml:"id_column"`
	UpdatedColumn string             `yaml:"updated_column"`
	Identifiers   []IdentifierColumn `yaml:"identifiers"`
	Traits        []TraitColumn      `yaml:"traits"`
}

// IdentityGraph is a warehouse's identity graph: one row per (profile, identifier) and one per
// (profile, trait), as in Segment Profiles Sync's user_identifiers and user_traits.
type IdentityGraph struct {
	IdentifiersTable string `yaml:"identifiers_table"`
	TraitsTable      string `yaml:"traits_table"`
	ProfileIDColumn  string `yaml:"profile_id_column"`
	TypeColumn       string `yaml:"type_column"`
	ValueColumn      string `yaml:"value_column"`
	NameColumn       string `yaml:"name_column"`
	TraitValueColumn string `yaml:"trait_value_column"`
	// TimestampColumn, on both tables, tells when a row changed; "none" says the tables have
	// none (then the match index is only rebuilt in full).
	TimestampColumn string `yaml:"timestamp_column"`
	// Types maps the type column's values to identifier keys where they differ
	// (Segment's "phone" is profilegate's "phonenumber").
	Types map[string]string `yaml:"types"`
	// StoredAs says, per identifier key, how values are stored (see IdentifierColumn).
	StoredAs map[string][]string `yaml:"stored_as"`
}

// NoTimestamp is the timestamp_column of identity graphs without one.
const NoTimestamp = "none"

// SegmentDefaults fills the names Segment Profiles Sync uses wherever g leaves them empty;
// NewIdentityGraph applies them, so a configuration names only what differs.
func (g *IdentityGraph) SegmentDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&g.IdentifiersTable, "user_identifiers")
	def(&g.TraitsTable, "user_traits")
	def(&g.ProfileIDColumn, "canonical_segment_id")
	def(&g.TypeColumn, "type")
	def(&g.ValueColumn, "value")
	def(&g.NameColumn, "name")
	def(&g.TraitValueColumn, "value")
	def(&g.TimestampColumn, "timestamp")
}

var sqlName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// quote validates a table or column name (schema-qualified names allowed) and quotes it.
func quote(name string) (string, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("%q is not a table or column name", name)
	}
	for i, p := range parts {
		if !sqlName.MatchString(p) {
			return "", fmt.Errorf("%q is not a table or column name: use letters, digits and _", name)
		}
		parts[i] = `"` + p + `"`
	}
	return strings.Join(parts, "."), nil
}

// names quotes every name, collecting all problems.
func names(errs *[]error, what string, ns ...*string) {
	for _, n := range ns {
		q, err := quote(*n)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s: %w", what, err))
			continue
		}
		*n = q
	}
}

// matcher says how to compare one key's values against a column.
type matcher struct {
	key     string
	norm    profile.Normalization
	formats []profile.PhoneFormat
	lower   bool
	// spell renders the phone formats, from the number's parse its normalization kept.
	spell *profile.Normalizer
}

func newMatcher(norm *profile.Normalizer, key string, storedAs []string) (matcher, error) {
	n, ok := norm.Normalization(key)
	if !ok {
		return matcher{}, fmt.Errorf("identifier key %q is not configured", key)
	}
	m := matcher{key: key, norm: n, spell: norm}
	for _, s := range storedAs {
		switch {
		case s == StoredMixedCase && n != profile.NormalizePhone:
			m.lower = true
		case s == StoredAnyPhone && n == profile.NormalizePhone:
			m.formats = profile.PhoneFormats
		case n == profile.NormalizePhone && slices.Contains(profile.PhoneFormats, profile.PhoneFormat(s)):
			m.formats = append(m.formats, profile.PhoneFormat(s))
		default:
			return matcher{}, fmt.Errorf("identifier %q: stored_as %q does not apply to %s values", key, s, n)
		}
	}
	if n == profile.NormalizePhone && len(m.formats) == 0 {
		m.formats = []profile.PhoneFormat{profile.PhoneE164}
	}
	return m, nil
}

// variants are the stored forms to query for a normalized value.
func (m matcher) variants(value string) []string {
	if m.norm == profile.NormalizePhone {
		if vs, err := m.spell.PhoneVariants(value, m.formats); err == nil {
			return vs
		}
	}
	return []string{value}
}

// condition renders `col IN (?, ...)` for values, comparing lower-cased when stored so.
func (m matcher) condition(col string, values []string) (string, []any) {
	var st statement
	m.write(&st, col, values)
	return st.text.String(), st.args
}

// write writes the condition of values on col into st.
func (m matcher) write(st *statement, col string, values []string) {
	// The distinct variants are gathered at the end of st.args, then handed to in, which
	// writes them back in place and pads them.
	from := len(st.args)
	for _, v := range values {
		for _, x := range m.variants(v) {
			if a := any(x); !slices.Contains(st.args[from:], a) {
				st.args = append(st.args, a)
			}
		}
	}
	vals := st.args[from:]
	st.args = st.args[:from]
	if m.lower {
		st.text.WriteString("lower(")
		st.text.WriteString(col)
		st.text.WriteByte(')')
		col = ""
	}
	st.in(col, vals)
}

var errNoIdentifiers = errors.New("no identifier columns configured")
