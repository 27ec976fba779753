package profile

import (
	"fmt"
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
func PhoneVariants(e164 string, formats []PhoneFormat) ([]string, error) {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return nil, fmt.Errorf("%q is not an E.164 number: %w", e164, err)
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range formats {
		var v string
		switch f {
		case PhoneE164:
			v = phonenumbers.Format(num, phonenumbers.E164)
		case PhoneNational:
			v = phonenumbers.Format(num, phonenumbers.NATIONAL)
		case PhoneInternational:
			v = phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
		case PhoneSpaced:
			v = strings.ReplaceAll(phonenumbers.Format(num, phonenumbers.INTERNATIONAL), "-", " ")
		case PhoneDigits:
			v = strings.TrimPrefix(phonenumbers.Format(num, phonenumbers.E164), "+")
		case PhoneNationalDigits:
			v = phonenumbers.GetNationalSignificantNumber(num)
		case PhoneRFC3966:
			v = phonenumbers.Format(num, phonenumbers.RFC3966)
		default:
			return nil, fmt.Errorf("unknown phone format %q", f)
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}
