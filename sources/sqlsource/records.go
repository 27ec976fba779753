package sqlsource

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/stmtcache"
)

// recordTable looks contacts up in a table with one row per record.
type recordTable struct {
	selectList  string
	from        string
	idCol       string // quoted, like the other names
	updatedCol  string // "" when the table has none
	identifiers []identifierColumn
	traits      []TraitColumn
}

type identifierColumn struct {
	col string // quoted
	matcher
}

// NewRecordTable returns a source over a record table; every problem with t is reported.
func NewRecordTable(name string, db *sqlx.DB, norm *profile.Normalizer, t RecordTable) (*Source, error) {
	var errs []error
	rt := &recordTable{from: t.Table, idCol: t.IDColumn, updatedCol: t.UpdatedColumn}
	names(&errs, "records.table", &rt.from)
	names(&errs, "records.id_column", &rt.idCol)
	cols := []string{rt.idCol}
	if rt.updatedCol != "" {
		names(&errs, "records.updated_column", &rt.updatedCol)
		cols = append(cols, rt.updatedCol)
	}
	if len(t.Identifiers) == 0 {
		errs = append(errs, fmt.Errorf("records.identifiers: %w", errNoIdentifiers))
	}
	for i, ic := range t.Identifiers {
		c := identifierColumn{col: ic.Column}
		at := fmt.Sprintf("records.identifiers[%d]", i)
		names(&errs, at+".column", &c.col)
		m, err := newMatcher(norm, ic.Key, ic.StoredAs)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", at, err))
		}
		c.matcher = m
		rt.identifiers = append(rt.identifiers, c)
		cols = append(cols, c.col)
	}
	for i, tc := range t.Traits {
		c := tc.Column
		at := fmt.Sprintf("records.traits[%d]", i)
		names(&errs, at+".column", &c)
		if !profile.ValidKey(tc.Key) {
			errs = append(errs, fmt.Errorf("%s.key: %q is not a trait key: use lower-case letters, digits and _", at, tc.Key))
		}
		rt.traits = append(rt.traits, TraitColumn{Column: c, Key: tc.Key})
		cols = append(cols, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rt.selectList = strings.Join(cols, ", ")
	return &Source{name: name, db: db, norm: norm, shape: rt, stmts: stmtcache.New(db, maxStmts)}, nil
}

// limitRecords ends a lookup: a hub identifier cannot make it unbounded.
var limitRecords = " LIMIT " + strconv.Itoa(profile.MaxRecords)

func (rt *recordTable) lookup(ctx context.Context, s *Source, byKey []keyValues, recordIDs []string) ([]profile.Record, error) {
	var st statement
	st.text.Grow(len(rt.selectList) + len(rt.from) + 256)
	st.text.WriteString("SELECT ")
	st.text.WriteString(rt.selectList)
	st.text.WriteString(" FROM ")
	st.text.WriteString(rt.from)
	st.text.WriteString(" WHERE ")
	for _, ic := range rt.identifiers {
		if values := valuesOf(byKey, ic.key); len(values) > 0 {
			st.or()
			ic.write(&st, ic.col, values)
		}
	}
	if len(recordIDs) > 0 {
		st.or()
		st.in(rt.idCol, anys(recordIDs))
	}
	if st.conds == 0 {
		return nil, nil
	}
	st.text.WriteString(limitRecords)
	rows, err := s.lookupQuery(ctx, st.text.String(), st.args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []profile.Record
	err = each(rows, func(vals []any) error {
		out = append(out, rt.record(s, vals))
		return nil
	})
	return out, err
}

func (rt *recordTable) record(s *Source, vals []any) profile.Record {
	id, _ := text(vals[0])
	r := profile.Record{Source: s.name, ID: id}
	vals = vals[1:]
	if rt.updatedCol != "" {
		r.UpdatedAt = updated(vals[0])
		vals = vals[1:]
	}
	for i, ic := range rt.identifiers {
		if raw, ok := text(vals[i]); ok {
			if ident, ok := s.identifier(ic.key, raw); ok && !r.Has(ident) {
				r.Identifiers = append(r.Identifiers, ident)
			}
		}
	}
	vals = vals[len(rt.identifiers):]
	for i, tc := range rt.traits {
		if v, ok := text(vals[i]); ok {
			r.Traits = append(r.Traits, profile.TraitValue{Key: tc.Key, Value: v})
		}
	}
	return r
}

func (rt *recordTable) incremental() bool { return rt.updatedCol != "" }

func (rt *recordTable) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "records %s id=%s updated=%s", rt.from, rt.idCol, rt.updatedCol)
	for _, ic := range rt.identifiers {
		fmt.Fprintf(&b, " %s:%s/%s", ic.col, ic.key, ic.norm)
	}
	return b.String()
}

// scan streams the table's identifier columns, of the rows updated after since when it is
// set.
func (rt *recordTable) scan(ctx context.Context, s *Source, since string, fn func(string, []profile.Identifier) error) (string, error) {
	cols := []string{rt.idCol, "NULL"}
	if rt.updatedCol != "" {
		cols[1] = "CAST(" + rt.updatedCol + " AS TEXT)"
	}
	for _, ic := range rt.identifiers {
		cols = append(cols, ic.col)
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + rt.from
	var args []any
	if since != "" && rt.updatedCol != "" {
		q += " WHERE " + rt.updatedCol + " > ?"
		args = append(args, since)
	}
	w := watermark{text: since, at: updated(since)}
	err := s.scanRows(ctx, q, args, func(vals []any) error {
		id, ok := text(vals[0])
		if !ok {
			return nil
		}
		w.see(vals[1])
		var ids []profile.Identifier
		for i, ic := range rt.identifiers {
			if raw, ok := text(vals[2+i]); ok {
				if ident, ok := s.indexable(ic.key, raw); ok && !slices.Contains(ids, ident) {
					ids = append(ids, ident)
				}
			}
		}
		return fn(id, ids)
	})
	return w.text, err
}
