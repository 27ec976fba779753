package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Lookup is one customer header request of the traffic and the answer it must get.
type Lookup struct {
	Key, Value string
	// Names are the names the header may show: one, two for a household's shared number; the
	// address itself for an unknown number (an unidentified profile).
	Names []string
	// Unknown is set for a number no source holds.
	Unknown bool
}

// phoneSpellings are the seven ways the desktop's address may spell a known number.
var phoneSpellings = []func(d string) string{
	func(d string) string { return "+1" + d },
	func(d string) string { return d },
	func(d string) string { return "(" + d[:3] + ") " + d[3:6] + "-" + d[6:] },
	func(d string) string { return d[:3] + "-" + d[3:6] + "-" + d[6:] },
	func(d string) string { return d[:3] + "." + d[3:6] + "." + d[6:] },
	func(d string) string { return "+1 " + d[:3] + " " + d[3:6] + " " + d[6:] },
	func(d string) string { return "1 (" + d[:3] + ") " + d[3:6] + "-" + d[6:] },
}

// unknownCallers is how many distinct unknown numbers call: most call again, as real new
// contacts do, so their unidentified profile is updated rather than created.
const unknownCallers = 5000

// Traffic draws the lookups of a run over n people: 75 % known phones in seven spellings, 15 %
// emails (in any case), 10 % unknown numbers. It is deterministic for a seed.
type Traffic struct {
	n   int
	rnd *rand.Rand
}

// NewTraffic returns the traffic over n people for seed.
func NewTraffic(n int, seed uint64) *Traffic {
	return &Traffic{n: n, rnd: rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))}
}

// Next returns the next lookup; a Traffic is not safe for concurrent use.
func (t *Traffic) Next() Lookup {
	p := Person{t.rnd.IntN(t.n)}
	switch r := t.rnd.IntN(100); {
	case r < 75:
		d := p.Digits()
		return Lookup{Key: "phonenumber", Value: phoneSpellings[t.rnd.IntN(len(phoneSpellings))](d), Names: household(p, t.n)}
	case r < 90:
		e := p.Email()
		if r%2 == 0 {
			e = strings.ToUpper(e)
		}
		return Lookup{Key: "email", Value: e, Names: []string{p.Name()}}
	default:
		d := digits(unknownAreas, t.rnd.IntN(unknownCallers))
		return Lookup{Key: "phonenumber", Value: "+1" + d, Names: []string{"+1" + d}, Unknown: true}
	}
}

// household returns the names a header for p's number may show: the number is shared by
// every hundredth person and the one before.
func household(p Person, n int) []string {
	switch {
	case p.I%100 == 99:
		return []string{p.Name(), Person{p.I - 1}.Name()}
	case p.I%100 == 98 && p.I+1 < n:
		return []string{p.Name(), Person{p.I + 1}.Name()}
	}
	return []string{p.Name()}
}

// Check reports what is wrong with a header's name and badge for l.
func (l Lookup) Check(name string, badge *string) error {
	ok := false
	for _, want := range l.Names {
		ok = ok || name == want
	}
	switch {
	case !ok:
		return fmt.Errorf("%s %q: name %q, want one of %q", l.Key, l.Value, name, l.Names)
	case l.Unknown != (badge != nil):
		return fmt.Errorf("%s %q: badge %v, want a badge only for unknown numbers", l.Key, l.Value, badge)
	}
	return nil
}
