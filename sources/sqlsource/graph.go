package sqlsource

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/stmtcache"
)

// identityGraph looks profiles up in an identifiers table and a traits table.
type identityGraph struct {
	g        IdentityGraph       // names quoted
	keyOf    map[string]string   // stored type -> identifier key
	typesOf  map[string][]string // identifier key -> stored types
	matchers map[string]matcher
	// typeIn is "(type IN (?, ...) AND " per identifier key; head and tail surround a
	// lookup's conditions: the statement's text is made by joining, not formatting.
	typeIn     map[string]string
	head, tail string
}

// NewIdentityGraph returns a source over an identity graph; every problem with g is reported.
func NewIdentityGraph(name string, db *sqlx.DB, norm *profile.Normalizer, g IdentityGraph) (*Source, error) {
	var errs []error
	ig := &identityGraph{keyOf: map[string]string{}, typesOf: map[string][]string{}, matchers: map[string]matcher{}, typeIn: map[string]string{}}
	g.SegmentDefaults()
	if g.TimestampColumn == NoTimestamp {
		g.TimestampColumn = ""
	}
	for key, name := range map[string]*string{
		"identifiers_table": &g.IdentifiersTable, "traits_table": &g.TraitsTable, "profile_id_column": &g.ProfileIDColumn,
		"type_column": &g.TypeColumn, "value_column": &g.ValueColumn, "name_column": &g.NameColumn,
		"trait_value_column": &g.TraitValueColumn, "timestamp_column": &g.TimestampColumn,
	} {
		if *name != "" || key != "timestamp_column" {
			names(&errs, "identity_graph."+key, name)
		}
	}
	ig.g = g
	ts := "NULL"
	if g.TimestampColumn != "" {
		ts = "x." + g.TimestampColumn
	}
	ig.head = fmt.Sprintf("WITH m AS (SELECT DISTINCT %s AS pid FROM %s WHERE ", g.ProfileIDColumn, g.IdentifiersTable)
	ig.tail = fmt.Sprintf(` LIMIT %[4]d)
SELECT 'i' AS kind, x.%[1]s, x.%[5]s, CAST(x.%[6]s AS TEXT), %[7]s FROM %[2]s x WHERE x.%[1]s IN (SELECT pid FROM m)
UNION ALL
SELECT 't' AS kind, x.%[1]s, x.%[8]s, CAST(x.%[9]s AS TEXT), %[7]s FROM %[10]s x WHERE x.%[1]s IN (SELECT pid FROM m)
ORDER BY 1, 2, 3`,
		g.ProfileIDColumn, g.IdentifiersTable, "", profile.MaxRecords,
		g.TypeColumn, g.ValueColumn, ts, g.NameColumn, g.TraitValueColumn, g.TraitsTable)
	for _, key := range norm.Keys() {
		ig.keyOf[key] = key
	}
	for _, stored := range slices.Sorted(maps.Keys(g.Types)) {
		key := g.Types[stored]
		if _, ok := norm.Normalization(key); !ok {
			errs = append(errs, fmt.Errorf("identity_graph.types: %q maps to identifier key %q, which is not configured", stored, key))
		}
		ig.keyOf[stored] = key
	}
	for stored, key := range ig.keyOf {
		ig.typesOf[key] = append(ig.typesOf[key], stored)
	}
	for _, key := range norm.Keys() {
		slices.Sort(ig.typesOf[key])
		m, err := newMatcher(norm, key, g.StoredAs[key])
		if err != nil {
			errs = append(errs, fmt.Errorf("identity_graph.stored_as: %w", err))
		}
		ig.matchers[key] = m
		ig.typeIn[key] = "(" + g.TypeColumn + " IN (" + placeholders(len(ig.typesOf[key])) + ") AND "
	}
	for key := range g.StoredAs {
		if _, ok := norm.Normalization(key); !ok {
			errs = append(errs, fmt.Errorf("identity_graph.stored_as: identifier key %q is not configured", key))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Source{name: name, db: db, norm: norm, shape: ig, stmts: stmtcache.New(db, maxStmts)}, nil
}

// lookup finds the matching profile ids and reads all their identifier and trait rows in one
// statement; values are read as text, so a traits table with typed values still unions.
func (ig *identityGraph) lookup(ctx context.Context, s *Source, byKey []keyValues, profileIDs []string) ([]profile.Record, error) {
	g := ig.g
	var st statement
	st.text.Grow(len(ig.head) + len(ig.tail) + 256)
	st.text.WriteString(ig.head)
	for _, kv := range byKey { // in key order
		m, ok := ig.matchers[kv.key]
		if !ok || len(ig.typesOf[kv.key]) == 0 {
			continue
		}
		st.or()
		st.text.WriteString(ig.typeIn[kv.key])
		for _, t := range ig.typesOf[kv.key] {
			st.args = append(st.args, t)
		}
		m.write(&st, g.ValueColumn, kv.values)
		st.text.WriteByte(')')
	}
	if len(profileIDs) > 0 {
		st.or()
		st.in(g.ProfileIDColumn, anys(profileIDs))
	}
	if st.conds == 0 {
		return nil, nil
	}
	st.text.WriteString(ig.tail)
	rows, err := s.lookupQuery(ctx, st.text.String(), st.args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	b := newGraphBuilder(s, ig.keyOf)
	if err := each(rows, func(vals []any) error { b.add(vals); return nil }); err != nil {
		return nil, err
	}
	return b.records(), nil
}

// graphBuilder assembles records from identity-graph rows.
type graphBuilder struct {
	s       *Source
	keyOf   map[string]string
	order   []string
	recs    map[string]*profile.Record
	traitAt map[[2]string]time.Time
}

func newGraphBuilder(s *Source, keyOf map[string]string) *graphBuilder {
	return &graphBuilder{s: s, keyOf: keyOf, recs: map[string]*profile.Record{}, traitAt: map[[2]string]time.Time{}}
}

func (b *graphBuilder) add(vals []any) {
	kind, _ := text(vals[0])
	pid, _ := text(vals[1])
	name, _ := text(vals[2])
	value, ok := text(vals[3])
	at := updated(vals[4])
	r := b.recs[pid]
	if r == nil {
		r = &profile.Record{Source: b.s.name, ID: pid}
		b.recs[pid] = r
		b.order = append(b.order, pid)
	}
	if at.After(r.UpdatedAt) {
		r.UpdatedAt = at
	}
	if !ok {
		return
	}
	if kind == "i" {
		if key, known := b.keyOf[name]; known {
			if id, ok := b.s.identifier(key, value); ok && !r.Has(id) {
				r.Identifiers = append(r.Identifiers, id)
			}
		}
		return
	}
	// A trait may have several rows over time; the latest wins.
	k := [2]string{pid, name}
	if prev, seen := b.traitAt[k]; seen {
		if at.Before(prev) {
			return
		}
		r.Traits = slices.DeleteFunc(r.Traits, func(t profile.TraitValue) bool { return t.Key == name })
	}
	b.traitAt[k] = at
	r.Traits = append(r.Traits, profile.TraitValue{Key: name, Value: value, UpdatedAt: at})
}

func (b *graphBuilder) records() []profile.Record {
	out := make([]profile.Record, 0, len(b.order))
	for _, pid := range b.order {
		out = append(out, *b.recs[pid])
	}
	return out
}

func (ig *identityGraph) incremental() bool { return ig.g.TimestampColumn != "" }

func (ig *identityGraph) describe() string {
	g := ig.g
	var b strings.Builder
	fmt.Fprintf(&b, "identity graph %s id=%s type=%s value=%s ts=%s", g.IdentifiersTable, g.ProfileIDColumn, g.TypeColumn, g.ValueColumn, g.TimestampColumn)
	for _, stored := range slices.Sorted(maps.Keys(ig.keyOf)) {
		fmt.Fprintf(&b, " %s:%s/%s", stored, ig.keyOf[stored], ig.matchers[ig.keyOf[stored]].norm)
	}
	return b.String()
}

// scan streams the identifiers table: every row, or all rows of the profiles that have a row
// changed after since. Profiles are handed over row by row.
func (ig *identityGraph) scan(ctx context.Context, s *Source, since string, fn func(string, []profile.Identifier) error) (string, error) {
	g := ig.g
	ts := "NULL"
	if g.TimestampColumn != "" {
		ts = "CAST(" + g.TimestampColumn + " AS TEXT)"
	}
	q := fmt.Sprintf("SELECT %s, %s, %s, %s FROM %s", g.ProfileIDColumn, g.TypeColumn, g.ValueColumn, ts, g.IdentifiersTable)
	var args []any
	if since != "" && g.TimestampColumn != "" {
		q += fmt.Sprintf(" WHERE %[1]s IN (SELECT %[1]s FROM %[2]s WHERE %[3]s > ?)", g.ProfileIDColumn, g.IdentifiersTable, g.TimestampColumn)
		args = append(args, since)
	}
	w := watermark{text: since, at: updated(since)}
	err := s.scanRows(ctx, q, args, func(vals []any) error {
		pid, ok := text(vals[0])
		if !ok {
			return nil
		}
		w.see(vals[3])
		stored, _ := text(vals[1])
		key, known := ig.keyOf[stored]
		raw, ok := text(vals[2])
		var ids []profile.Identifier
		if known && ok {
			if id, ok := s.indexable(key, raw); ok {
				ids = append(ids, id)
			}
		}
		return fn(pid, ids)
	})
	return w.text, err
}
