package sqlsource

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/stmtcache"
)

var _ profile.Source = (*Source)(nil)

// shape is how one kind of table layout turns identifiers into one query and rows into
// records, and streams its records for the match index.
type shape interface {
	// lookup finds the records carrying any of the values by key, or whose ids are recordIDs.
	lookup(ctx context.Context, s *Source, byKey []keyValues, recordIDs []string) ([]profile.Record, error)
	scan(ctx context.Context, s *Source, since string, fn func(recordID string, ids []profile.Identifier) error) (string, error)
	incremental() bool
	describe() string
	// probes are the conditions lookups send, one by one, for Explain.
	probes() []probe
}

// MatchIndex finds a source's records by identifiers however the source spells them; the match
// index (package matchindex) implements it.
type MatchIndex interface {
	Records(ctx context.Context, ids []profile.Identifier) ([]string, error)
	// Ready reports whether the index is complete.
	Ready() bool
}

// Source is a profile source over a SQL database.
type Source struct {
	name    string
	db      *sqlx.DB
	norm    *profile.Normalizer
	shape   shape
	index   MatchIndex
	queries atomic.Int64
	stmts   *stmtcache.Cache
	// pointReads is set once Explain's plans show every lookup SEARCHes an index.
	pointReads atomic.Bool
}

// UsePlans takes Explain's plans of the source's lookups. When none reads a table whole, each
// lookup's statement is a point read from then on (stmtcache.PointQueryx): on a SQLite file in
// WAL mode it runs without the lookup's deadline, which is checked before it instead; an
// indexed lookup ends within moments anyway. Before the plans are known, and while a lookup
// scans, the deadline ends a lookup's statement wherever it is. The match index's refresh is
// no lookup: its plan does not count.
func (s *Source) UsePlans(plans []Plan) {
	lookups, scans := 0, 0
	for _, p := range plans {
		if !p.Refresh {
			lookups++
			scans += len(p.Scans)
		}
	}
	s.pointReads.Store(lookups > 0 && scans == 0)
}

// PointReads reports whether the source's lookups run as point reads (UsePlans).
func (s *Source) PointReads() bool { return s.pointReads.Load() }

// UseIndex makes lookups ask ix as well as the live tables.
func (s *Source) UseIndex(ix MatchIndex) { s.index = ix }

// Shape describes the layout and normalization a match index of the source depends on.
func (s *Source) Shape() string { return s.shape.describe() + " region=" + s.norm.Region() }

// Incremental reports whether the source tells when a record changed.
func (s *Source) Incremental() bool { return s.shape.incremental() }

// Scan streams the identifiers of the source's records, normalized (values that do not
// normalize, and blocked ones, left out): every record when since is empty, else those changed
// after since, the text of the source's updated column. Rows that share since's instant but
// commit after it was read are found by the next full rebuild: re-reading every row at the
// newest instant made a bulk import with one timestamp read whole at every refresh. It returns the newest updated
// value seen.
func (s *Source) Scan(ctx context.Context, since string, fn func(recordID string, ids []profile.Identifier) error) (string, error) {
	w, err := s.shape.scan(ctx, s, since, fn)
	if err != nil {
		return "", fmt.Errorf("%s: scan: %w", s.name, err)
	}
	return w, nil
}

// Name returns the source's configured name.
func (s *Source) Name() string { return s.name }

// Queries returns how many queries the source has sent; each Lookup is one.
func (s *Source) Queries() int64 { return s.queries.Load() }

// Ping reports whether the source's database answers.
func (s *Source) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Lookup returns every record that carries any of ids, in one query of the source: the
// values in the spellings SQL can compare, and the records the match index holds under them
// in any other. While the index is still being built it returns what it found with a
// SOURCE_INCOMPLETE error: a contact it did not find may be stored in another spelling.
func (s *Source) Lookup(ctx context.Context, ids []profile.Identifier) ([]profile.Record, error) {
	byKey := group(ids)
	var recordIDs []string
	if s.index != nil {
		var err error
		if recordIDs, err = s.index.Records(ctx, ids); err != nil {
			return nil, fmt.Errorf("%s: match index: %w", s.name, err)
		}
	}
	recs, err := s.shape.lookup(ctx, s, byKey, recordIDs)
	if err != nil {
		return nil, fmt.Errorf("%s: lookup: %w", s.name, err)
	}
	if s.index != nil && !s.index.Ready() {
		return recs, &errcode.Error{Code: errcode.SourceIncomplete, Source: s.name,
			Message: "its match index is still being built, so a contact it stores in another spelling may not be found yet; nobody is taken as a new contact meanwhile"}
	}
	return recs, nil
}

func (s *Source) query(ctx context.Context, q string, args []any) (*sqlx.Rows, error) {
	s.queries.Add(1)
	return s.stmts.Queryx(ctx, s.db.Rebind(q), args...)
}

// lookupQuery runs a lookup's statement: a point read once the plans allow (UsePlans).
func (s *Source) lookupQuery(ctx context.Context, q string, args []any) (*sqlx.Rows, error) {
	if !s.pointReads.Load() {
		return s.query(ctx, q, args)
	}
	s.queries.Add(1)
	return s.stmts.PointQueryx(ctx, s.db.Rebind(q), args...)
}

// maxStmts bounds the prepared statements a source keeps.
const maxStmts = 256

// identifier normalizes a stored value of key; ok is false when the value is not usable
// (a malformed phone number in the CRM cannot match anything).
func (s *Source) identifier(key, raw string) (profile.Identifier, bool) {
	n, ok := s.norm.Normalization(key)
	if !ok {
		return profile.Identifier{}, false
	}
	v, err := s.norm.NormalizeValue(n, raw)
	if err != nil {
		return profile.Identifier{}, false
	}
	return profile.Identifier{Key: key, Value: v}, true
}

// indexable normalizes a stored value for the match index: nothing that cannot match
// (malformed or blocked values) is kept.
func (s *Source) indexable(key, raw string) (profile.Identifier, bool) {
	id, ok := s.identifier(key, raw)
	return id, ok && !s.norm.Blocked(id)
}

// scanRows streams rows of q and hands each to row; rows are not prepared, they are read once.
func (s *Source) scanRows(ctx context.Context, q string, args []any, row func(vals []any) error) error {
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return each(rows, row)
}

// each scans every row of rows into one slice of values, reused from row to row, and hands it
// to fn, which must not keep it. sqlx's SliceScan allocated the column names, the slice and a
// pointer a column for every row: a fifth of a lookup's allocations.
func each(rows *sqlx.Rows, fn func(vals []any) error) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// watermark keeps the newest of updated values seen, as the source's own text, so it can be
// handed back to the source to compare.
type watermark struct {
	text string
	at   time.Time
}

func (w *watermark) see(v any) {
	raw, ok := text(v)
	if !ok {
		return
	}
	if at := updated(raw); !at.IsZero() && at.After(w.at) {
		w.text, w.at = raw, at
	}
}

// keyValues are the values a lookup asks of one identifier key.
type keyValues struct {
	key    string
	values []string
}

// group gathers the values of ids by key, in key order. A lookup asks one to three keys, so a
// short sorted slice serves where a map cost every lookup its buckets.
func group(ids []profile.Identifier) []keyValues {
	out := make([]keyValues, 0, 4)
	for _, id := range ids {
		i, found := slices.BinarySearchFunc(out, id.Key, func(kv keyValues, key string) int { return strings.Compare(kv.key, key) })
		if !found {
			out = slices.Insert(out, i, keyValues{key: id.Key})
		}
		out[i].values = append(out[i].values, id.Value)
	}
	return out
}

// valuesOf returns the values of key in groups.
func valuesOf(groups []keyValues, key string) []string {
	for _, g := range groups {
		if g.key == key {
			return g.values
		}
	}
	return nil
}

// placeholders is "?, ?, ..." for n values.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// inList renders `col IN (?, ...)` for values, the list padded to a power of two by repeating
// its last value. A lookup's text then takes a few shapes rather than one per count of values:
// every shape is prepared on every connection that runs it, and at one per count the prepared
// statements were most of the gateway's memory.
func inList(col string, values []any) (string, []any) {
	var st statement
	st.in(col, values)
	return st.text.String(), st.args
}

// statement is a lookup's text and arguments, written condition by condition into one buffer:
// joining parts made one by one cost a lookup a dozen allocations and three copies of its text.
type statement struct {
	text  strings.Builder
	args  []any
	conds int
}

// or starts a condition, after " OR " unless it is the first.
func (st *statement) or() {
	if st.conds > 0 {
		st.text.WriteString(" OR ")
	}
	st.conds++
}

// in writes `col IN (?, ...)` for values and adds them to the arguments, padded as inList pads.
func (st *statement) in(col string, values []any) {
	n := paddedLen(len(values))
	st.text.WriteString(col)
	st.text.WriteString(" IN (")
	for i := range n {
		if i > 0 {
			st.text.WriteString(", ")
		}
		st.text.WriteByte('?')
	}
	st.text.WriteByte(')')
	st.args = append(st.args, values...)
	for range n - len(values) {
		st.args = append(st.args, values[len(values)-1])
	}
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// paddedLen is the power of two at or above n (n itself when 0).
func paddedLen(n int) int {
	if n <= 1 {
		return n
	}
	return 1 << bits.Len(uint(n-1))
}

// text renders a scanned column value as a trait or identifier value; ok is false for NULL.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case []byte:
		return string(x), true
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly), true
		}
		return x.Format(time.RFC3339Nano), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return fmt.Sprint(v), true
}

// updated reads a timestamp column, as drivers return it or as text.
func updated(v any) time.Time {
	if t, ok := v.(time.Time); ok {
		return t.UTC()
	}
	if s, ok := text(v); ok {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999-07", "2006-01-02 15:04:05.999999999", time.DateOnly} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}
