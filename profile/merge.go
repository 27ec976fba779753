package profile

import (
	"cmp"
	"slices"
)

// group is a candidate person: records of distinct sources.
type group struct {
	records []*Record
}

func (g *group) userIDs() map[string]bool {
	ids := map[string]bool{}
	for _, r := range g.records {
		for _, id := range r.Identifiers {
			if id.Key == KeyUserID {
				ids[id.Value] = true
			}
		}
	}
	return ids
}

// compatible reports whether joining the groups keeps merge protection: two records of one
// source only when they are duplicates of one person, and at most one user_id.
func (m merger) compatible(gs ...*group) bool {
	bySource := map[string][]sourced{}
	userIDs := map[string]bool{}
	for gi, g := range gs {
		for _, r := range g.records {
			for _, other := range bySource[r.Source] {
				if other.group != gi && !m.duplicates(other.record, r) {
					return false
				}
			}
		}
		for _, r := range g.records {
			bySource[r.Source] = append(bySource[r.Source], sourced{r, gi})
		}
		for u := range g.userIDs() {
			userIDs[u] = true
		}
	}
	return len(userIDs) <= 1
}

// sourced is a record and the group it is in.
type sourced struct {
	record *Record
	group  int
}

// duplicates reports whether two records of one source are one person entered twice: they
// share a user_id or an email address. A shared phone alone is a household's, two people.
func (m merger) duplicates(a, b *Record) bool {
	for _, id := range a.Identifiers {
		if (id.Key == KeyUserID || id.Key == KeyEmail) && !m.norm.Blocked(id) && b.Has(id) {
			return true
		}
	}
	return false
}

// link is a pair of groups sharing at least one non-blocked identifier; strength is the rank
// of the best key they share (lower is stronger: a shared user_id beats a shared phone).
type link struct {
	a, b     int
	strength int
}

// merger joins records that belong to one person.
type merger struct {
	norm *Normalizer
	rank keyRank
}

// merge partitions records into people. Records that share a non-blocked identifier are one
// person, unless the join would put two records of one source that are not duplicates (a
// shared user_id or email) or two user_ids together, or the record could as well join a competing person (a family
// phone shared by two CRM contacts): then the records stay apart.
func (m merger) merge(records []*Record) [][]*Record {
	groups := make([]*group, len(records))
	for i, r := range records {
		groups[i] = &group{records: []*Record{r}}
	}
	for {
		links := m.links(groups)
		joined := false
		for _, l := range links {
			if !m.compatible(groups[l.a], groups[l.b]) || m.ambiguous(groups, links, l) {
				continue
			}
			groups[l.a].records = append(groups[l.a].records, groups[l.b].records...)
			groups = slices.Delete(groups, l.b, l.b+1)
			joined = true
			break
		}
		if !joined {
			break
		}
	}
	out := make([][]*Record, len(groups))
	for i, g := range groups {
		out[i] = g.records
	}
	return out
}

// links lists the pairs of groups sharing identifiers, strongest first.
func (m merger) links(groups []*group) []link {
	holders := map[Identifier][]int{}
	for gi, g := range groups {
		for _, r := range g.records {
			for _, id := range r.Identifiers {
				if m.norm.Blocked(id) {
					continue
				}
				if hs := holders[id]; len(hs) == 0 || hs[len(hs)-1] != gi {
					holders[id] = append(hs, gi)
				}
			}
		}
	}
	best := map[[2]int]int{}
	for id, hs := range holders {
		s := m.rank.of(id.Key)
		for i := range hs {
			for j := i + 1; j < len(hs); j++ {
				k := [2]int{hs[i], hs[j]}
				if cur, ok := best[k]; !ok || s < cur {
					best[k] = s
				}
			}
		}
	}
	links := make([]link, 0, len(best))
	for k, s := range best {
		links = append(links, link{a: k[0], b: k[1], strength: s})
	}
	slices.SortFunc(links, func(x, y link) int {
		return cmp.Or(cmp.Compare(x.strength, y.strength), cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b))
	})
	return links
}

// ambiguous reports whether a third group, linked at least as strongly to one side of l and
// free to join it, would be shut out by joining l: the record could belong to either person.
func (m merger) ambiguous(groups []*group, links []link, l link) bool {
	for _, o := range links {
		if o == l || o.strength > l.strength {
			continue
		}
		var side, other int
		switch {
		case o.a == l.a || o.a == l.b:
			side, other = o.a, o.b
		case o.b == l.a || o.b == l.b:
			side, other = o.b, o.a
		default:
			continue
		}
		if other == l.a || other == l.b {
			continue
		}
		if m.compatible(groups[side], groups[other]) && !m.compatible(groups[l.a], groups[l.b], groups[other]) {
			return true
		}
	}
	return false
}
