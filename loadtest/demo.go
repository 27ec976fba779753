package loadtest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/profilegate/profilegate/goclient"
)

// known is an identifier of a demo customer and the name the header must show for it.
type known struct{ key, value, name string }

// demoCustomers are identifiers the demo's sources hold, in the forms agents' desktops send
// them, with the person each belongs to.
var demoCustomers = []known{
	{"email", "ada.lovelace@example.com", "Ada Lovelace"},
	{"phonenumber", "(415) 555-0100", "Ada Lovelace"},
	{"user_id", "u-1001", "Ada Lovelace"},
	{"email", "grace.hopper@example.com", "Grace Hopper"},
	{"email", "alan.turing@example.com", "Alan Turing"},
	{"email", "katherine@example.com", "Katherine Johnson"},
}

// DemoMix is an agent desktop's traffic on the demo data: headers of known customers
// (stitched across both sources), headers of first-time callers (each a new unidentified
// profile, so the store is written), headers of repeat unknown callers, and searches of a
// family phone shared by two customers. start seeds the first-time callers' numbers, so runs
// started at different times call from different numbers.
func DemoMix(start time.Time) []Scenario {
	first := uint64(start.UnixNano()/int64(time.Millisecond)) % 8_000_000
	return []Scenario{
		{
			Name: "header_known", Weight: 50, Operation: goclient.CustomerHeader_Operation,
			Variables: func(n uint64) any {
				c := demoCustomers[n%uint64(len(demoCustomers))]
				return identifier(c.key, c.value)
			},
			Check: func(n uint64, data json.RawMessage) error {
				var r goclient.CustomerHeaderResponse
				if err := json.Unmarshal(data, &r); err != nil {
					return err
				}
				h, c := r.CustomerHeader, demoCustomers[n%uint64(len(demoCustomers))]
				if h.Profile.Status != goclient.ProfileStatusIdentified || h.Badge != nil || h.Name != c.name {
					return fmt.Errorf("%s %s shown as %q (%s), want %s", c.key, c.value, h.Name, h.Profile.Status, c.name)
				}
				return nil
			},
		},
		{
			Name: "header_new", Weight: 20, Operation: goclient.CustomerHeader_Operation,
			Variables: func(n uint64) any {
				return identifier("phonenumber", fmt.Sprintf("+1 646 %07d", 1_000_000+(first+n)%8_000_000))
			},
			Check: unidentified,
		},
		{
			Name: "header_repeat", Weight: 15, Operation: goclient.CustomerHeader_Operation,
			Variables: func(n uint64) any {
				return identifier("phonenumber", fmt.Sprintf("+1 212 555 01%02d", n%100))
			},
			Check: unidentified,
		},
		{
			Name: "search_family_phone", Weight: 15, Operation: goclient.SearchProfiles_Operation,
			Variables: func(uint64) any { return identifier("phonenumber", "+1 415 555 0199") },
			Check: func(_ uint64, data json.RawMessage) error {
				var r goclient.SearchProfilesResponse
				if err := json.Unmarshal(data, &r); err != nil {
					return err
				}
				s := r.SearchProfiles
				if s.TotalCount != 2 || len(s.Edges) != 2 || s.Edges[0].Node.Id == s.Edges[1].Node.Id {
					return fmt.Errorf("the family phone lists %d profiles, want Grace and Alan apart", s.TotalCount)
				}
				return nil
			},
		},
	}
}

func identifier(key, value string) map[string]any {
	return map[string]any{"identifier": map[string]string{"key": key, "value": value}}
}

// unidentified checks the header of a caller no source knows.
func unidentified(_ uint64, data json.RawMessage) error {
	var r goclient.CustomerHeaderResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	h := r.CustomerHeader
	if h.Profile.Status != goclient.ProfileStatusUnidentified || h.Badge == nil {
		return fmt.Errorf("an unknown caller shown as %q (%s) with no badge", h.Name, h.Profile.Status)
	}
	return nil
}
