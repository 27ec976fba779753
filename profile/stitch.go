package profile

import (
	"cmp"
	"context"
	"slices"

	"github.com/profilegate/profilegate/errcode"
)

// DefaultDepth is how many rounds of stitching follow the first lookup unless configured.
const DefaultDepth = 2

// MaxRecords bounds the records one resolution gathers, so a hub identifier (a switchboard
// number on thousands of records) cannot make a lookup unbounded.
const MaxRecords = 200

// Options configure a Stitcher.
type Options struct {
	// Sources in priority order: a trait comes from the first source that has it.
	Sources []SourceInfo
	// Depth is how many stitching rounds follow the first lookup; 0 disables stitching.
	Depth int
	// IDPriority orders identifier keys for profile ids ("custom" stands for custom keys);
	// DefaultIDPriority when empty.
	IDPriority []string
	// TraitLabels are display names by trait key; unnamed traits get Label(key).
	TraitLabels map[string]string
	// TraitSources overrides, per trait key, the order of sources its value is taken from.
	TraitSources map[string][]string
}

// Stitcher finds the people behind an identifier: it looks the identifier up in every source
// at once, follows the identifiers it finds into the other sources, merges what belongs to one
// person and ranks the people.
type Stitcher struct {
	opts   Options
	norm   *Normalizer
	rank   keyRank
	merger merger
	prio   map[string]int
}

// NewStitcher returns a Stitcher over the sources in opts.
func NewStitcher(norm *Normalizer, opts Options) *Stitcher {
	if len(opts.IDPriority) == 0 {
		opts.IDPriority = DefaultIDPriority
	}
	rank := newKeyRank(opts.IDPriority)
	s := &Stitcher{opts: opts, norm: norm, rank: rank, merger: merger{norm: norm, rank: rank}, prio: map[string]int{}}
	for i, src := range opts.Sources {
		s.prio[src.Name] = i
	}
	return s
}

// Match is what the sources know about one identifier.
type Match struct {
	// Identifier is the searched identifier, normalized.
	Identifier Identifier
	// Blocked is set when the identifier is blocked: no source was asked.
	Blocked bool
	// People are the persons found, best-ranked first.
	People []*Profile
	// Errors holds one SOURCE_UNAVAILABLE error per source that failed.
	Errors []*errcode.Error
}

// Complete reports whether every source answered.
func (m *Match) Complete() bool { return len(m.Errors) == 0 }

// Match normalizes raw and finds the people behind it.
func (s *Stitcher) Match(ctx context.Context, f Fetcher, raw Identifier) (*Match, error) {
	defer f.Done(ctx)
	id, err := s.norm.Normalize(raw)
	if err != nil {
		return nil, err
	}
	m := &Match{Identifier: id, People: []*Profile{}}
	if s.norm.Blocked(id) {
		m.Blocked = true
		return m, nil
	}
	records, seeds, errs := s.gather(ctx, f, id)
	m.Errors = errs
	for _, people := range s.merger.merge(records) {
		if slices.ContainsFunc(people, func(r *Record) bool { return seeds[r] }) {
			m.People = append(m.People, s.build(people))
		}
	}
	slices.SortFunc(m.People, compareRank)
	return m, nil
}

// gather runs the lookup rounds: the identifier in every source, then each new identifier in
// the sources it did not come from, up to the configured depth. It returns the records found,
// those found by the first round (seeds), and the failures of sources that did not answer.
func (s *Stitcher) gather(ctx context.Context, f Fetcher, id Identifier) ([]*Record, map[*Record]bool, []*errcode.Error) {
	asked := map[asking]bool{} // identifiers asked of a source
	failed, incomplete := map[string]*errcode.Error{}, map[string]*errcode.Error{}
	byKey := map[[2]string]*Record{}
	var records []*Record
	seeds := map[*Record]bool{}

	frontier := map[string][]Identifier{}
	for _, src := range s.opts.Sources {
		frontier[src.Name] = []Identifier{id}
		asked[asking{src.Name, id}] = true
	}
	for round := 0; round <= s.opts.Depth && len(frontier) > 0; round++ {
		found, errs := s.fetchRound(ctx, f, frontier)
		for name, e := range errs {
			if e.Code == errcode.SourceIncomplete {
				incomplete[name] = e // it answered: its records count and it is asked again
			} else {
				failed[name] = e
			}
		}
		var fresh []*Record
		for _, src := range s.opts.Sources {
			for i := range found[src.Name] {
				r := &found[src.Name][i]
				k := [2]string{r.Source, r.ID}
				if byKey[k] != nil || len(records) >= MaxRecords {
					continue
				}
				byKey[k] = r
				records = append(records, r)
				fresh = append(fresh, r)
				if round == 0 {
					seeds[r] = true
				}
			}
		}
		frontier = s.next(fresh, asked, failed)
	}
	errs := make([]*errcode.Error, 0, len(failed)+len(incomplete))
	for _, src := range s.opts.Sources {
		if e := cmp.Or(failed[src.Name], incomplete[src.Name]); e != nil {
			errs = append(errs, e)
		}
	}
	return records, seeds, errs
}

// fetchRound asks every source in frontier at once, in one round of the request's loaders.
func (s *Stitcher) fetchRound(ctx context.Context, f Fetcher, frontier map[string][]Identifier) (map[string][]Record, map[string]*errcode.Error) {
	found, failures := f.Fetch(ctx, frontier)
	errs := make(map[string]*errcode.Error, len(failures))
	for name, err := range failures {
		errs[name] = asSourceError(name, err)
		if errs[name].Code != errcode.SourceIncomplete {
			delete(found, name)
		}
	}
	return found, errs
}

// next returns, per source, the identifiers of fresh records not yet asked of it, and notes
// them as asked; a record's identifiers are followed only into the other sources, and blocked
// ones not at all.
func (s *Stitcher) next(fresh []*Record, asked map[asking]bool, failed map[string]*errcode.Error) map[string][]Identifier {
	next := map[string][]Identifier{}
	for _, r := range fresh {
		for _, id := range r.Identifiers {
			if s.norm.Blocked(id) {
				continue
			}
			for _, src := range s.opts.Sources {
				n := src.Name
				if n == r.Source || failed[n] != nil || asked[asking{n, id}] {
					continue
				}
				asked[asking{n, id}] = true // it is, in the next round
				next[n] = append(next[n], id)
			}
		}
	}
	return next
}

// asking is an identifier asked of a source.
type asking struct {
	source string
	id     Identifier
}

func asSourceError(name string, err error) *errcode.Error {
	if e, ok := err.(*errcode.Error); ok && (e.Code == errcode.SourceUnavailable || e.Code == errcode.SourceIncomplete) {
		return e
	}
	return errcode.SourceError(name, "lookup failed", err)
}

// build merges one person's records into a profile.
func (s *Stitcher) build(records []*Record) *Profile {
	// By source priority; a source's duplicate records newest first, so its traits come from
	// the latest entry.
	slices.SortStableFunc(records, func(a, b *Record) int {
		return cmp.Or(cmp.Compare(s.prio[a.Source], s.prio[b.Source]), b.UpdatedAt.Compare(a.UpdatedAt))
	})
	p := &Profile{Status: StatusUnidentified, Identifiers: []Identifier{}, Traits: []Trait{}, Sources: []string{}}
	seen := map[Identifier]bool{}
	for _, r := range records {
		if !slices.Contains(p.Sources, r.Source) {
			p.Sources = append(p.Sources, r.Source)
		}
		p.Records = append(p.Records, RecordRef{Source: r.Source, ID: r.ID})
		if r.UpdatedAt.After(p.UpdatedAt) {
			p.UpdatedAt = r.UpdatedAt
		}
		if s.opts.Sources[s.prio[r.Source]].SystemOfRecord {
			p.Status = StatusIdentified
		}
		for _, id := range r.Identifiers {
			if id.Key == KeyUserID {
				p.Status = StatusIdentified
			}
			if !seen[id] {
				seen[id] = true
				p.Identifiers = append(p.Identifiers, id)
			}
		}
	}
	s.rank.sortIdentifiers(p.Identifiers)
	p.Traits = s.traits(records)
	best := p.Identifiers[0]
	for _, id := range p.Identifiers {
		if !s.norm.Blocked(id) {
			best = id
			break
		}
	}
	p.ID = ProfileID(best)
	return p
}

// traits takes each trait from the highest-priority source that has it.
func (s *Stitcher) traits(records []*Record) []Trait {
	n := 0
	for _, r := range records {
		n += len(r.Traits)
	}
	// One map of (trait, source) pairs rather than a map of sources per trait: a header's
	// dozen traits cost two maps, not thirteen.
	values := make(map[traitSource]TraitValue, n)
	keys := make(map[string]int, n) // trait key -> place of its first appearance
	for _, r := range records {
		for _, t := range r.Traits {
			k := traitSource{t.Key, r.Source}
			if _, ok := values[k]; ok { // a source's newest record comes first
				continue
			}
			if _, ok := keys[t.Key]; !ok {
				keys[t.Key] = len(keys)
			}
			if t.UpdatedAt.IsZero() {
				t.UpdatedAt = r.UpdatedAt
			}
			values[k] = t
		}
	}
	ordered := make([]string, len(keys))
	for k, i := range keys {
		ordered[i] = k
	}
	out := make([]Trait, 0, len(keys))
	for _, k := range ordered {
		if t, ok := s.pick(values, k, s.opts.TraitSources[k]); ok {
			out = append(out, t)
		}
	}
	return out
}

// traitSource is a trait as one source holds it.
type traitSource struct{ key, source string }

// pick takes trait key from the first of override's sources that has it, else from the first
// source in priority order that does.
func (s *Stitcher) pick(values map[traitSource]TraitValue, key string, override []string) (Trait, bool) {
	for i := range len(override) + len(s.opts.Sources) {
		var src string
		if i < len(override) {
			src = override[i]
		} else {
			src = s.opts.Sources[i-len(override)].Name
		}
		if v, ok := values[traitSource{key, src}]; ok {
			return Trait{Key: key, Label: s.label(key), Value: v.Value, Source: src, UpdatedAt: v.UpdatedAt}, true
		}
	}
	return Trait{}, false
}

func (s *Stitcher) label(key string) string {
	if l := s.opts.TraitLabels[key]; l != "" {
		return l
	}
	return Label(key)
}

// compareRank orders people best first: more sources, then has a user_id, then a known
// customer (a system-of-record entry) before an unidentified one, then most recently updated;
// the id breaks ties so the order is stable. Known customers come before anonymous records so
// that a header never shows "New Contact" while a known customer matched.
func compareRank(a, b *Profile) int {
	_, ua := a.Identifier(KeyUserID)
	_, ub := b.Identifier(KeyUserID)
	return cmp.Or(
		cmp.Compare(len(b.Sources), len(a.Sources)),
		boolRank(ub)-boolRank(ua),
		cmp.Compare(a.Status, b.Status), // IDENTIFIED sorts before UNIDENTIFIED
		b.UpdatedAt.Compare(a.UpdatedAt),
		cmp.Compare(a.ID, b.ID),
	)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
