package desk

import (
	"cmp"
	"context"
	"slices"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
)

// Ranked is one profile of an automated search, with how sure the match is.
type Ranked struct {
	Profile *profile.Profile
	// MatchPercentage is 0 to 100: the strength of the identifier that matched, shared among
	// the people it matched (see MatchPercentage).
	MatchPercentage int
}

// Known reports whether the profile is a known customer (Flex's "identified").
func (r Ranked) Known() bool { return r.Profile.Status == profile.StatusIdentified }

// keyStrength is how surely an identifier names one person, in percent: an id the business
// assigned names one customer; an email is a person's own but sometimes shared at work; a phone
// may be a household's or reassigned; an anonymous id is a browser.
func keyStrength(key string) int {
	switch key {
	case profile.KeyUserID:
		return 100
	case profile.KeyEmail:
		return 90
	case profile.KeyPhoneNumber:
		return 80
	case profile.KeyAnonymousID:
		return 50
	}
	return 100 // a custom key is an id a system assigned
}

// MatchPercentage is the match percentage of a person found through an identifier of key that
// matched people persons: the key's strength shared among them (a household phone of two
// gives each 40).
func MatchPercentage(key string, people int) int {
	return keyStrength(key) / max(people, 1)
}

// FindProfiles is the Profile Connector's automated search: every person any of the addresses
// finds, best match first (each person's best percentage over the addresses, then the ranking
// of the lookup). When nobody is found and every source answered, the recorded unidentified
// profile of the first address comes back, recorded first when writeIfNotFound (as
// customerHeader records it). When a source failed and nobody identified was found, only the
// failures come back: a known customer is never answered as unknown. Addresses that do not
// normalize are skipped; if none does, the first one's error is returned.
func (s *Service) FindProfiles(ctx context.Context, f profile.Fetcher, addresses []profile.Identifier, writeIfNotFound bool) ([]Ranked, []*errcode.Error, error) {
	snap, dir := s.current()
	if err := snap.CheckComponent(); err != nil {
		return nil, nil, err
	}
	var found []Ranked
	var failures []*errcode.Error
	var first *profile.Identifier
	var firstErr error
	for _, a := range addresses {
		m, err := dir.Stitcher.Match(ctx, f, a)
		if err != nil {
			if errcode.Of(err) == errcode.BadUserInput || errcode.Of(err) == errcode.UnknownIdentifier {
				firstErr = cmp.Or(firstErr, err)
				continue
			}
			return nil, nil, err
		}
		if first == nil {
			first = &a
		}
		failures = append(failures, m.Errors...)
		for _, p := range m.People {
			pct := MatchPercentage(m.Identifier.Key, len(m.People))
			i := slices.IndexFunc(found, func(r Ranked) bool { return r.Profile.ID == p.ID })
			switch {
			case i < 0:
				found = append(found, Ranked{Profile: p, MatchPercentage: pct})
			case pct > found[i].MatchPercentage:
				found[i].MatchPercentage = pct
			}
		}
	}
	if first == nil {
		if firstErr == nil {
			firstErr = errcode.Errorf(errcode.BadUserInput, "no attribute names an identifier to search by")
		}
		return nil, nil, firstErr
	}
	slices.SortStableFunc(found, func(a, b Ranked) int {
		return cmp.Or(cmp.Compare(b.MatchPercentage, a.MatchPercentage), boolOrder(b.Known(), a.Known()))
	})
	known := slices.ContainsFunc(found, Ranked.Known)
	switch {
	case len(failures) > 0 && !known:
		// A failed source may know the contact: no unknown profile, not even an anonymous one.
		return nil, dedupe(failures), nil
	case len(found) > 0: // known people, or only anonymous profiles (a warehouse visitor)
		return found, dedupe(failures), nil
	}
	// Nobody: the address's unidentified profile, recorded when asked to.
	lookup := profile.WithoutRecording(ctx)
	if writeIfNotFound {
		lookup = ctx
	}
	id, err := dir.Identify(lookup, f, *first)
	if err != nil {
		return nil, nil, err
	}
	if id.Profile == nil {
		return nil, id.Errors, nil
	}
	if !writeIfNotFound && id.Profile.ContactCount == 0 {
		return []Ranked{}, nil, nil // nobody has recorded it yet
	}
	return []Ranked{{Profile: id.Profile}}, nil, nil
}

func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// dedupe keeps one failure per source.
func dedupe(errs []*errcode.Error) []*errcode.Error {
	var out []*errcode.Error
	for _, e := range errs {
		if !slices.ContainsFunc(out, func(o *errcode.Error) bool { return o.Source == e.Source }) {
			out = append(out, e)
		}
	}
	return out
}
