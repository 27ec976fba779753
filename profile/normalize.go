package profile

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/idna"

	"github.com/profilegate/profilegate/errcode"
)

// MaxValueLength bounds an identifier value in bytes; nothing longer is a real address.
const MaxValueLength = 512

// KeySpec is one identifier key and how its values are normalized.
type KeySpec struct {
	Key           string
	Normalization Normalization
}

// BuiltinKeys are the identifier keys every deployment has.
var BuiltinKeys = []KeySpec{
	{KeyUserID, NormalizeNone},
	{KeyEmail, NormalizeEmail},
	{KeyPhoneNumber, NormalizePhone},
	{KeyAnonymousID, NormalizeNone},
}

// BlockRule blocks the normalized values of one key (or of every key when Key is empty) that
// match Pattern.
type BlockRule struct {
	Key     string
	Pattern *regexp.Regexp
}

// Normalizer brings identifier values to their canonical form and tells which values are
// blocked. The same rules apply to what an agent searches and to what sources hold.
type Normalizer struct {
	keys   map[string]Normalization
	order  []string
	region string
	rules  []BlockRule
	// recent holds the latest phone and email normalizations. A lookup meets the same
	// numbers several times (the caller's, the CRM's spelling, the warehouse's E.164, in
	// each round), and each phone costs libphonenumber a parse or two. A number's E.164 keeps
	// its parse, which PhoneVariants renders the number's stored spellings from.
	recent *lru.Cache[recentKey, normalized]
}

// recentNormalizations bounds Normalizer.recent: enough for the lookups of many concurrent
// requests (each meets a handful of values), small beside the process (about 200 bytes each,
// 400 with a parsed number: live heap the garbage collector marks every cycle).
const recentNormalizations = 512

type recentKey struct {
	norm  Normalization
	value string
}

type normalized struct {
	value string
	err   error
	// parsed is libphonenumber's reading of value when value is an E.164 number read from its
	// own text (nil otherwise): it has no extension and is only ever read.
	parsed *phonenumbers.PhoneNumber
}

// NewNormalizer returns a Normalizer for the built-in keys plus custom ones. Phone numbers
// without a country code are read in region (an ISO 3166 code such as "US").
func NewNormalizer(custom []KeySpec, region string, rules []BlockRule) (*Normalizer, error) {
	recent, err := lru.New[recentKey, normalized](recentNormalizations)
	if err != nil {
		return nil, err
	}
	n := &Normalizer{keys: map[string]Normalization{}, region: strings.ToUpper(region), rules: rules, recent: recent}
	if !phonenumbers.GetSupportedRegions()[n.region] {
		return nil, fmt.Errorf("default region %q is not a region libphonenumber knows", region)
	}
	for _, k := range slices.Concat(BuiltinKeys, custom) {
		if !ValidKey(k.Key) || !k.Normalization.Valid() {
			return nil, fmt.Errorf("identifier %q with normalization %q is not valid", k.Key, k.Normalization)
		}
		if _, dup := n.keys[k.Key]; dup {
			return nil, fmt.Errorf("identifier %q is declared twice", k.Key)
		}
		n.keys[k.Key] = k.Normalization
		n.order = append(n.order, k.Key)
	}
	return n, nil
}

// Keys returns the configured identifier keys, built-in ones first.
func (n *Normalizer) Keys() []string { return slices.Clone(n.order) }

// Normalization returns how values of key are normalized, and whether key is configured.
func (n *Normalizer) Normalization(key string) (Normalization, bool) {
	norm, ok := n.keys[key]
	return norm, ok
}

// Normalize checks id's key and brings its value to canonical form. A withheld caller id
// ("Anonymous", "Restricted", ...) is not an error: it normalizes to its lower-cased word,
// which Blocked reports as blocked.
func (n *Normalizer) Normalize(id Identifier) (Identifier, error) {
	norm, ok := n.keys[id.Key]
	if !ok {
		return Identifier{}, errcode.Errorf(errcode.UnknownIdentifier, "unknown identifier key %q; the configured keys are %s",
			errcode.Truncate(id.Key, 64), strings.Join(n.order, ", "))
	}
	v, err := n.NormalizeValue(norm, id.Value)
	if err != nil {
		return Identifier{}, errcode.Errorf(errcode.BadUserInput, "%s: %v", id.Key, err)
	}
	return Identifier{Key: id.Key, Value: v}, nil
}

// Region is the region phone numbers without a country code are read in.
func (n *Normalizer) Region() string { return n.region }

// NormalizeValue brings a value to the canonical form of a normalization.
func (n *Normalizer) NormalizeValue(norm Normalization, raw string) (string, error) {
	if !utf8.ValidString(raw) {
		return "", fmt.Errorf("value is not valid UTF-8")
	}
	if len(raw) > MaxValueLength {
		return "", fmt.Errorf("value is %d bytes long; at most %d are allowed", len(raw), MaxValueLength)
	}
	v := strings.TrimFunc(raw, invisible)
	if v == "" {
		return "", fmt.Errorf("value is empty")
	}
	if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }) {
		return "", fmt.Errorf("value contains control characters or replaced invalid UTF-8")
	}
	switch norm {
	case NormalizePhone:
		return n.remember(norm, strings.Map(dropFormat, v), n.normalizePhone)
	case NormalizeEmail:
		return n.remember(norm, v, func(v string) normalized {
			value, err := normalizeEmail(v)
			return normalized{value: value, err: err}
		})
	case NormalizeLower:
		return lower(v), nil
	}
	return v, nil
}

// remember returns normalize(v), from recent when v was normalized lately. Normalizations are
// pure: the same value always gives the same result or the same error.
func (n *Normalizer) remember(norm Normalization, v string, normalize func(string) normalized) (string, error) {
	if r, ok := n.recent.Get(recentKey{norm, v}); ok {
		return r.value, r.err
	}
	r := normalize(v)
	n.recent.Add(recentKey{norm, strings.Clone(v)}, r)
	return r.value, r.err
}

// invisible reports whether r shows nothing: white space, or a format character (bidi marks,
// zero-width spaces, a byte order mark) that exports and copy-paste leave in values.
func invisible(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) }

// dropFormat drops format characters from a phone number, wherever they are.
func dropFormat(r rune) rune {
	if unicode.Is(unicode.Cf, r) {
		return -1
	}
	return r
}

// lower lower-cases v, but never into ASCII from outside it: the KELVIN SIGN stays itself rather
// than become "k", and "\u212Aatherine@example.com" another mailbox than katherine's. No
// normalization form is applied either (NFC, too, turns the Kelvin sign into "K").
func lower(v string) string {
	return strings.Map(func(r rune) rune {
		if l := unicode.ToLower(r); r < utf8.RuneSelf || l >= utf8.RuneSelf {
			return l
		}
		return r
	}, v)
}

// normalizeEmail lower-cases the local part as lower does, and brings the domain to its ASCII
// (IDNA) form as DNS resolves it: "ada@EXAMPLE.com" and "ada@bücher.example" in any case or
// width name the domains mail is delivered to.
func normalizeEmail(v string) (string, error) {
	local, domain, ok := strings.Cut(v, "@")
	if ok && !strings.Contains(domain, "@") {
		if ascii, err := idna.Lookup.ToASCII(domain); err == nil {
			v = lower(local) + "@" + ascii
		}
	}
	addr, err := mail.ParseAddress(v)
	if err != nil || addr.Name != "" || addr.Address != v || !strings.Contains(v[strings.LastIndexByte(v, '@'):], ".") {
		return "", fmt.Errorf("%q is not an email address", errcode.Truncate(v, 64))
	}
	return v, nil
}

// withheld are the words carriers and desktops put in place of a caller id they do not pass on.
var withheld = map[string]bool{
	"anonymous": true, "restricted": true, "private": true, "unknown": true, "unavailable": true,
	"withheld": true, "blocked": true, "private number": true, "no caller id": true,
}

func (n *Normalizer) normalizePhone(v string) normalized {
	if w := strings.Join(strings.Fields(strings.ToLower(v)), " "); withheld[w] {
		return normalized{value: w}
	}
	num, err := phonenumbers.Parse(v, n.region)
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return normalized{err: fmt.Errorf("%q is not a phone number (numbers without a country code are read as %s numbers)", errcode.Truncate(v, 64), n.region)}
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	// A number libphonenumber reads differently once in E.164 (a national prefix inside an
	// international number, such as +20 0...) has no stable form to match by.
	// A value already in E.164 is its own check (the common case: sources store E.164).
	switch {
	case e164 == v:
		return normalized{value: e164, parsed: num}
	case n.stable(e164):
		return normalized{value: e164}
	}
	return normalized{err: fmt.Errorf("%q is not a phone number libphonenumber can read one way", errcode.Truncate(v, 64))}
}

// stable reports whether e164 normalizes to itself. It is then remembered as its own
// normalization, which it is: the warehouse's E.164 of a number the caller spelled
// nationally costs no parse.
func (n *Normalizer) stable(e164 string) bool {
	if r, ok := n.recent.Get(recentKey{NormalizePhone, e164}); ok {
		return r.err == nil && r.value == e164
	}
	again, err := phonenumbers.Parse(e164, n.region)
	if err != nil || !phonenumbers.IsPossibleNumber(again) || phonenumbers.Format(again, phonenumbers.E164) != e164 {
		return false
	}
	n.recent.Add(recentKey{NormalizePhone, e164}, normalized{value: e164, parsed: again})
	return true
}

// PhoneVariants renders a normalized number in each of formats, as the function PhoneVariants
// does, from the parse its normalization kept when that is still remembered: the spellings a
// lookup asks a source for then cost no second parse of the number.
func (n *Normalizer) PhoneVariants(e164 string, formats []PhoneFormat) ([]string, error) {
	var num *phonenumbers.PhoneNumber
	if r, ok := n.recent.Get(recentKey{NormalizePhone, e164}); ok && r.value == e164 {
		num = r.parsed
	}
	return phoneVariants(e164, formats, num)
}

// Blocked reports whether a normalized identifier must never match, merge or be recorded:
// withheld caller ids, all-zero or one-digit-repeated numbers, and the configured patterns.
func (n *Normalizer) Blocked(id Identifier) bool {
	if n.keys[id.Key] == NormalizePhone && blockedPhone(id.Value) {
		return true
	}
	for _, r := range n.rules {
		if (r.Key == "" || r.Key == id.Key) && r.Pattern.MatchString(id.Value) {
			return true
		}
	}
	return false
}

// blockedPhone reports whether a normalized number is withheld or a placeholder: its national
// number is one digit repeated (0000000000, 1111111111). It reads the E.164 text directly —
// this runs for every identifier a resolution meets, where parsing would dominate its cost.
func blockedPhone(v string) bool {
	if withheld[v] {
		return true
	}
	digits, ok := strings.CutPrefix(v, "+")
	if !ok || len(digits) < 2 {
		return true
	}
	for cc := 1; cc <= 3 && cc < len(digits); cc++ {
		code, err := strconv.Atoi(digits[:cc])
		if err != nil || phonenumbers.GetRegionCodeForCountryCode(code) == phonenumbers.UNKNOWN_REGION {
			continue
		}
		national := digits[cc:]
		return strings.Count(national, national[:1]) == len(national)
	}
	return true
}

// keyRank orders identifier keys by a priority list in which "custom" stands for every key
// that is not built in; keys the list does not name come last, in name order.
type keyRank struct {
	rank map[string]int
}

// DefaultIDPriority is the order in which identifiers are preferred for profile ids and lists.
var DefaultIDPriority = []string{KeyUserID, KeyEmail, KeyPhoneNumber, "custom", KeyAnonymousID}

func newKeyRank(priority []string) keyRank {
	r := keyRank{rank: map[string]int{}}
	for i, k := range priority {
		r.rank[k] = i
	}
	return r
}

func (r keyRank) of(key string) int {
	if i, ok := r.rank[key]; ok {
		return i
	}
	if !slices.ContainsFunc(BuiltinKeys, func(k KeySpec) bool { return k.Key == key }) {
		if i, ok := r.rank["custom"]; ok {
			return i
		}
	}
	return len(r.rank)
}

// sortIdentifiers orders ids best first: by key rank, then key, then value.
func (r keyRank) sortIdentifiers(ids []Identifier) {
	sort.SliceStable(ids, func(i, j int) bool {
		a, b := ids[i], ids[j]
		if ra, rb := r.of(a.Key), r.of(b.Key); ra != rb {
			return ra < rb
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Value < b.Value
	})
}
