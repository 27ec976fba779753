package profile

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/profilegate/profilegate/errcode"
)

func testNormalizer(t *testing.T) *Normalizer {
	t.Helper()
	n, err := NewNormalizer(
		[]KeySpec{{Key: "crm_id", Normalization: NormalizeLower}, {Key: "whatsapp", Normalization: NormalizePhone}},
		"US",
		[]BlockRule{{Key: KeyEmail, Pattern: regexp.MustCompile(`@example\.invalid$`)}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNormalize(t *testing.T) {
	n := testNormalizer(t)
	tests := []struct {
		key, in, want string
		code          errcode.Code
	}{
		{KeyPhoneNumber, "(415) 555-0100", "+14155550100", ""},
		{KeyPhoneNumber, "415.555.0100", "+14155550100", ""},
		{KeyPhoneNumber, "\u202a+1 415 555 0100\u202c", "+14155550100", ""}, // bidi marks from a spreadsheet
		{KeyPhoneNumber, "４１５５５５０１００", "+14155550100", ""},
		{KeyPhoneNumber, "1-415-555-0100 ext. 12", "+14155550100", ""},
		{KeyEmail, "\u200b Ada@Example.com\ufeff", "ada@example.com", ""},
		// The KELVIN SIGN lower-cases to ASCII "k": another mailbox than katherine@, so it stays.
		{KeyEmail, "\u212Aatherine@example.com", "\u212aatherine@example.com", ""},
		{KeyEmail, "JOSÉ@Example.com", "josé@example.com", ""},
		{KeyEmail, "ada@BÜCHER.example", "ada@xn--bcher-kva.example", ""}, // domains as DNS resolves them
		{KeyEmail, "ada@ｅｘａｍｐｌｅ.com", "ada@example.com", ""},
		{KeyPhoneNumber, "+1 415-555-0100", "+14155550100", ""},
		{KeyPhoneNumber, " +14155550100 ", "+14155550100", ""},
		{KeyPhoneNumber, "+44 20 7183 8750", "+442071838750", ""},
		{KeyPhoneNumber, "Anonymous", "anonymous", ""},
		{KeyPhoneNumber, "  PRIVATE   NUMBER ", "private number", ""},
		{KeyPhoneNumber, "12", "", errcode.BadUserInput},
		{KeyPhoneNumber, "not a number", "", errcode.BadUserInput},
		{KeyPhoneNumber, "+20000A0000A0000", "", errcode.BadUserInput}, // found by FuzzNormalize: no stable E.164 form
		{"whatsapp", "415 555 0100", "+14155550100", ""},
		{KeyUserID, "u-1\x00001", "", errcode.BadUserInput},
		{KeyUserID, "u-1\n", "u-1", ""},
		{KeyAnonymousID, "a\u200bb", "a\u200bb", ""},
		{KeyUserID, "u-\xff", "", errcode.BadUserInput},
		{KeyUserID, "u-\ufffd", "", errcode.BadUserInput},
		{KeyEmail, "  Ada.Lovelace@Example.com ", "ada.lovelace@example.com", ""},
		{KeyEmail, "Ada <ada@example.com>", "", errcode.BadUserInput},
		{KeyEmail, "ada@", "", errcode.BadUserInput},
		{KeyEmail, "ada@localhost", "", errcode.BadUserInput},
		{KeyEmail, "'; DROP TABLE contacts; --@x.com", "", errcode.BadUserInput},
		{KeyUserID, "  u-1001 ", "u-1001", ""},
		{KeyUserID, "U-1001", "U-1001", ""},
		{KeyAnonymousID, "anon-42", "anon-42", ""},
		{"crm_id", " ABC-7 ", "abc-7", ""},
		{KeyUserID, "   ", "", errcode.BadUserInput},
		{KeyUserID, "bad\xffutf8", "", errcode.BadUserInput},
		{KeyUserID, strings.Repeat("x", MaxValueLength+1), "", errcode.BadUserInput},
		{"favourite_color", "blue", "", errcode.UnknownIdentifier},
	}
	// The second pass answers from the normalizations the first remembered.
	for _, pass := range []string{"cold", "remembered"} {
		for _, tt := range tests {
			t.Run(pass+"/"+tt.key+"/"+tt.in, func(t *testing.T) {
				got, err := n.Normalize(Identifier{Key: tt.key, Value: tt.in})
				if tt.code != "" {
					if errcode.Of(err) != tt.code {
						t.Fatalf("Normalize(%q) error = %v, want code %s", tt.in, err, tt.code)
					}
					return
				}
				if err != nil || got.Value != tt.want {
					t.Fatalf("Normalize(%q) = %q, %v; want %q", tt.in, got.Value, err, tt.want)
				}
			})
		}
	}
}

func TestNormalizeRemembersStableNumbers(t *testing.T) {
	n := testNormalizer(t)
	if _, err := n.Normalize(Identifier{Key: KeyPhoneNumber, Value: "(415) 555-0100"}); err != nil {
		t.Fatal(err)
	}
	// Its E.164 was checked to read back as itself: it is remembered as its own normalization.
	if r, ok := n.recent.Get(recentKey{NormalizePhone, "+14155550100"}); !ok || r.value != "+14155550100" || r.err != nil || r.parsed == nil {
		t.Fatalf("+14155550100 remembered as %+v, %v; want itself, with its parse", r, ok)
	}
	// A number whose E.164 reads back otherwise stays refused, whatever was normalized first.
	unstable := "+20000A0000A0000"
	num, err := phonenumbers.Parse(unstable, "US")
	if err != nil {
		t.Fatal(err)
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	for _, order := range [][]string{{e164, unstable}, {unstable, e164, unstable}} {
		n := testNormalizer(t)
		for _, v := range order {
			got, err := n.Normalize(Identifier{Key: KeyPhoneNumber, Value: v})
			if v == unstable && errcode.Of(err) != errcode.BadUserInput {
				t.Fatalf("after %q: Normalize(%q) = %q, %v; want BAD_USER_INPUT", order, v, got.Value, err)
			}
			if v == e164 && err == nil && got.Value == e164 {
				t.Fatalf("%q normalizes to itself, so %q is not the unstable case this test needs", e164, unstable)
			}
		}
	}
}

func TestNormalizeUnknownKeyListsConfiguredKeys(t *testing.T) {
	_, err := testNormalizer(t).Normalize(Identifier{Key: "fax", Value: "1"})
	for _, k := range []string{"user_id", "email", "phonenumber", "anonymous_id", "crm_id", "whatsapp"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not list key %s", err, k)
		}
	}
}

func TestBlocked(t *testing.T) {
	n := testNormalizer(t)
	tests := []struct {
		key, in string
		blocked bool
	}{
		{KeyPhoneNumber, "anonymous", true},
		{KeyPhoneNumber, "Restricted", true},
		{KeyPhoneNumber, "unavailable", true},
		{KeyPhoneNumber, "0000000000", true},
		{KeyPhoneNumber, "+1 111-111-1111", true},
		{KeyPhoneNumber, "(415) 555-0100", false},
		{"whatsapp", "private", true},
		{KeyEmail, "robot@example.invalid", true},
		{KeyEmail, "ada@example.com", false},
		{KeyUserID, "anonymous", false},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.in, func(t *testing.T) {
			id, err := n.Normalize(Identifier{Key: tt.key, Value: tt.in})
			if err != nil {
				t.Fatal(err)
			}
			if got := n.Blocked(id); got != tt.blocked {
				t.Fatalf("Blocked(%v) = %v, want %v", id, got, tt.blocked)
			}
		})
	}
}

func TestPhoneVariants(t *testing.T) {
	got, err := PhoneVariants("+14155550100", PhoneFormats)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"+14155550100", "(415) 555-0100", "+1 415-555-0100", "+1 415 555 0100", "14155550100", "4155550100", "tel:+1-415-555-0100"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("PhoneVariants = %q, want %q", got, want)
	}
	// The number's own text needs no parse; every format still refuses what is not E.164.
	if got, err := PhoneVariants("+442079460958", []PhoneFormat{PhoneE164, PhoneDigits, PhoneE164}); err != nil || strings.Join(got, "|") != "+442079460958|442079460958" {
		t.Fatalf("PhoneVariants(e164, digits) = %q, %v", got, err)
	}
	for _, bad := range []string{"", "+", "4155550100", "+1 415 555 0100", "+0123456", "+1234567890123456", "+1415555010x"} {
		for _, formats := range [][]PhoneFormat{{PhoneE164}, PhoneFormats} {
			if got, err := PhoneVariants(bad, formats); err == nil {
				t.Errorf("PhoneVariants(%q, %v) = %q, want an error", bad, formats, got)
			}
		}
	}
}

func TestNormalizerPhoneVariants(t *testing.T) {
	var numbers []string
	for region := range phonenumbers.GetSupportedRegions() {
		for _, kind := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE} {
			if num := phonenumbers.GetExampleNumberForType(region, kind); num != nil {
				numbers = append(numbers, phonenumbers.Format(num, phonenumbers.NATIONAL)+"|"+region,
					phonenumbers.Format(num, phonenumbers.E164)+"|"+region)
			}
		}
	}
	// An extension is no part of the number's spellings.
	numbers = append(numbers, "415-555-0100 ext. 12|US", "+39 06 6982 1234|US", "(212) 210-4729|US")
	sort.Strings(numbers)
	checked := 0
	for _, spelled := range numbers {
		value, region, _ := strings.Cut(spelled, "|")
		n, err := NewNormalizer(nil, region, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Not normalized yet, then normalized: the same spellings as the function renders.
		want, wantErr := PhoneVariants(phonenumbers.Format(mustParse(t, value, region), phonenumbers.E164), PhoneFormats)
		id, err := n.Normalize(Identifier{Key: KeyPhoneNumber, Value: value})
		if err != nil {
			continue // a number with no one reading is refused, and has no spellings to ask for
		}
		for _, when := range []string{"normalized", "forgotten"} {
			if when == "forgotten" {
				n.recent.Purge()
			}
			got, err := n.PhoneVariants(id.Value, PhoneFormats)
			if (err != nil) != (wantErr != nil) || !slices.Equal(got, want) {
				t.Fatalf("%s, %s: Normalizer.PhoneVariants(%q) = %q, %v; PhoneVariants = %q, %v", value, when, id.Value, got, err, want, wantErr)
			}
		}
		checked++
	}
	if checked < 400 {
		t.Fatalf("only %d of %d example numbers compared", checked, len(numbers))
	}

	// A number just normalized is rendered from the parse its normalization kept: without a
	// second parse, it allocates a fraction of what the function does.
	n := testNormalizer(t)
	id, err := n.Normalize(Identifier{Key: KeyPhoneNumber, Value: "(415) 555-0100"})
	if err != nil {
		t.Fatal(err)
	}
	kept := testing.AllocsPerRun(50, func() { _, _ = n.PhoneVariants(id.Value, PhoneFormats) })
	parsed := testing.AllocsPerRun(50, func() { _, _ = PhoneVariants(id.Value, PhoneFormats) })
	if kept >= parsed*3/4 {
		t.Fatalf("from the kept parse: %.0f allocations; parsing again: %.0f; want far fewer", kept, parsed)
	}
}

func mustParse(t *testing.T, value, region string) *phonenumbers.PhoneNumber {
	t.Helper()
	num, err := phonenumbers.Parse(value, region)
	if err != nil {
		t.Fatal(err)
	}
	return num
}

func TestProfileIDRoundTrip(t *testing.T) {
	id := Identifier{Key: KeyEmail, Value: "ada:lovelace@example.com"}
	got, err := ParseProfileID(ProfileID(id))
	if err != nil || got != id {
		t.Fatalf("ParseProfileID(ProfileID(%v)) = %v, %v", id, got, err)
	}
	for _, bad := range []string{"", "pf_", "pf_!!!", "xx_ZW1haWw6YQ", ProfileID(Identifier{Key: "Bad Key", Value: "x"})} {
		if _, err := ParseProfileID(bad); errcode.Of(err) != errcode.BadUserInput {
			t.Errorf("ParseProfileID(%q) error = %v, want BAD_USER_INPUT", bad, err)
		}
	}
}

func TestNewNormalizerRejects(t *testing.T) {
	for name, custom := range map[string][]KeySpec{
		"duplicate builtin": {{Key: KeyEmail, Normalization: NormalizeEmail}},
		"bad key":           {{Key: "Has Space", Normalization: NormalizeNone}},
		"bad normalization": {{Key: "crm_id", Normalization: "upper"}},
	} {
		if _, err := NewNormalizer(custom, "US", nil); err == nil {
			t.Errorf("%s: NewNormalizer accepted %v", name, custom)
		}
	}
	if _, err := NewNormalizer(nil, "XX", nil); err == nil {
		t.Error("NewNormalizer accepted region XX")
	}
}

// FuzzNormalize: any key and value normalize without panicking to a canonical form, or fail
// with a client error; a canonical value normalizes to itself.
func FuzzNormalize(f *testing.F) {
	for _, seed := range [][2]string{
		{KeyPhoneNumber, "(415) 555-0100"}, {KeyPhoneNumber, "+44 20 7183 8750"}, {KeyPhoneNumber, "Anonymous"},
		{KeyPhoneNumber, "tel:+1-415-555-0100;ext=12"}, {KeyEmail, " Ada.Lovelace@Example.com "}, {KeyEmail, "a@b"},
		{KeyUserID, " u-1001 "}, {"crm_id", "ABC"}, {"whatsapp", "0000000000"}, {"Bad Key", "x"}, {KeyUserID, "\xff"},
	} {
		f.Add(seed[0], seed[1])
	}
	n, err := NewNormalizer([]KeySpec{{Key: "crm_id", Normalization: NormalizeLower}, {Key: "whatsapp", Normalization: NormalizePhone}}, "US", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		id, err := n.Normalize(Identifier{Key: key, Value: value}) // from what earlier inputs left
		n.recent.Purge()
		if cold, coldErr := n.Normalize(Identifier{Key: key, Value: value}); cold != id || fmt.Sprint(coldErr) != fmt.Sprint(err) {
			t.Fatalf("%q %q: %q, %v remembered but %q, %v computed", key, value, id.Value, err, cold.Value, coldErr)
		}
		if err != nil {
			if c := errcode.Of(err); c != errcode.BadUserInput && c != errcode.UnknownIdentifier {
				t.Fatalf("%q %q: error code %s", key, value, c)
			}
			return
		}
		if id.Value == "" || len(id.Value) > MaxValueLength+16 {
			t.Fatalf("%q %q normalized to %q", key, value, id.Value)
		}
		n.recent.Purge()
		again, err := n.Normalize(id)
		if err != nil || again != id {
			t.Fatalf("%q %q: canonical %q normalizes to %q, %v", key, value, id.Value, again.Value, err)
		}
		n.Blocked(id)
		if got, err := ParseProfileID(ProfileID(id)); err != nil || got != id {
			t.Fatalf("profile id of %v does not round-trip: %v %v", id, got, err)
		}
	})
}
