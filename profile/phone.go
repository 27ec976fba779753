package profile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// PhoneFormat names a way a source may store a phone number.
type PhoneFormat string

// The phone formats a source column can hold, shown for +14155550100.
const (
	PhoneE164           PhoneFormat = "e164"            // +14155550100
	PhoneNational       PhoneFormat = "national"        // (415) 555-0100
	PhoneInternational  PhoneFormat = "international"   // +1 415-555-0100
	PhoneSpaced         PhoneFormat = "spaced"          // +1 415 555 0100
	PhoneDigits         PhoneFormat = "digits"          // 14155550100
	PhoneNationalDigits PhoneFormat = "national_digits" // 4155550100
	PhoneRFC3966        PhoneFormat = "rfc3966"         // tel:+1-415-555-0100
)

// PhoneFormats lists every phone format, for validating configuration.
var PhoneFormats = []PhoneFormat{PhoneE164, PhoneNational, PhoneInternational, PhoneSpaced, PhoneDigits, PhoneNationalDigits, PhoneRFC3966}

// PhoneVariants renders an E.164 number in each of formats, without duplicates, so a source
// can match the stored text exactly and keep using its index.
//
// E.164 and its digits are the number's own text: only the other formats parse it (a source
// storing E.164, as Segment does, costs no parse).
func PhoneVariants(e164 string, formats []PhoneFormat) ([]string, error) {
	return phoneVariants(e164, formats, nil)
}

// phoneVariants is PhoneVariants with num, libphonenumber's reading of e164, when known.
func phoneVariants(e164 string, formats []PhoneFormat, num *phonenumbers.PhoneNumber) ([]string, error) {
	if !plainE164(e164) {
		return nil, fmt.Errorf("%q is not an E.164 number", e164)
	}
	var international string // both international and spaced spell it
	out := make([]string, 0, len(formats))
	for _, f := range formats {
		if num == nil && f != PhoneE164 && f != PhoneDigits {
			var err error
			if num, err = phonenumbers.Parse(e164, ""); err != nil {
				return nil, fmt.Errorf("%q is not an E.164 number: %w", e164, err)
			}
		}
		var v string
		switch f {
		case PhoneE164:
			v = e164
		case PhoneNational:
			v = phonenumbers.Format(num, phonenumbers.NATIONAL)
		case PhoneInternational, PhoneSpaced:
			if international == "" {
				international = phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
			}
			v = international
			if f == PhoneSpaced {
				v = strings.ReplaceAll(international, "-", " ")
			}
		case PhoneDigits:
			v = e164[1:]
		case PhoneNationalDigits:
			v = phonenumbers.GetNationalSignificantNumber(num)
		case PhoneRFC3966:
			v = phonenumbers.Format(num, phonenumbers.RFC3966)
		default:
			return nil, fmt.Errorf("unknown phone format %q", f)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// plainE164 reports whether s is written as E.164: "+", a non-zero digit, at most 15 digits.
func plainE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
