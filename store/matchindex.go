package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/matchindex"
	"github.com/profilegate/profilegate/profile"
)

var _ matchindex.Store = (*Store)(nil)

// MatchRecords returns the ids of the source's records the index holds under any of ids.
func (s *Store) MatchRecords(ctx context.Context, source string, ids []profile.Identifier) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	n := probes(len(ids))
	q, ok := s.matchTexts.Load(n)
	if !ok {
		q, _ = s.matchTexts.LoadOrStore(n, s.db.Rebind(matchText(n)))
	}
	rows, err := s.stmts.PointQueryx(ctx, q.(string), matchArgs(source, ids, n)...) // primary-key probes
	if err != nil {
		return nil, fmt.Errorf("store: match index: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: match index: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: match index: %w", err)
	}
	return out, nil
}

// matchQuery finds the records under ids with one primary-key probe per identifier, the
// probes joined by UNION. Written as `source = ? AND ((key = ? AND value = ?) OR ...)`, or as a
// VALUES list joined to the index, SQLite may read every entry of the source instead (3 s at
// a million contacts, where one probe takes 12 µs).
//
// The probes are padded to a power of two by repeating the last (UNION drops what repeats), so
// the statement takes a few shapes, each prepared once per connection.
func matchQuery(source string, ids []profile.Identifier) (string, []any) {
	n := probes(len(ids))
	return matchText(n), matchArgs(source, ids, n)
}

// probes is the number of probes for n identifiers: n rounded up to a power of two.
func probes(n int) int { return 1 << bits.Len(uint(n-1)) }

// matchText is the statement of n probes; the store keeps each it sends, rebound for its
// driver, so a lookup does not build its text again.
func matchText(n int) string {
	probe := "SELECT record_id FROM match_index WHERE source = (" + entriesKey + ") AND key = ? AND value = ?"
	return strings.Repeat(probe+"\nUNION\n", n-1) + probe + "\nLIMIT " + fmt.Sprint(profile.MaxRecords)
}

// matchArgs are the arguments of n probes for ids, the last identifier repeated.
func matchArgs(source string, ids []profile.Identifier, n int) []any {
	args := make([]any, 0, 3*n)
	for i := range n {
		id := ids[min(i, len(ids)-1)]
		args = append(args, source, id.Key, id.Value)
	}
	return args
}

// entriesKey is the key a source's current entries are stored under, for the source given as
// its one parameter: the source's name until a rebuild has switched the index to its own.
const entriesKey = `SELECT COALESCE(NULLIF(entries, ''), source) FROM match_index_state WHERE source = ?`

type stateRow struct {
	Shape        string    `db:"shape"`
	Built        bool      `db:"built"`
	Watermark    string    `db:"watermark"`
	Rows         int64     `db:"rows"`
	RefreshedAt  time.Time `db:"refreshed_at"`
	ReconciledAt time.Time `db:"reconciled_at"`
}

// MatchState returns how far the source's index is built, or nil before its first build.
func (s *Store) MatchState(ctx context.Context, source string) (*matchindex.State, error) {
	var r stateRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT shape, built, watermark, rows, refreshed_at, reconciled_at
FROM match_index_state WHERE source = ?`), source)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: match index state: %w", err)
	}
	return &matchindex.State{Shape: r.Shape, Built: r.Built, Watermark: r.Watermark, Rows: r.Rows,
		RefreshedAt: r.RefreshedAt.UTC(), ReconciledAt: r.ReconciledAt.UTC()}, nil
}

const leaseQuery = `INSERT INTO match_index_state
	(source, shape, built, watermark, rows, refreshed_at, reconciled_at, lease_owner, lease_until)
VALUES (?, '', ?, '', 0, ?, ?, ?, ?)
ON CONFLICT (source) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
WHERE match_index_state.lease_owner = excluded.lease_owner OR match_index_state.lease_until < ?
RETURNING lease_owner`

// AcquireMatchLease makes owner the one replica maintaining the source's index until until,
// unless another holds an unexpired lease; it reports whether owner holds it.
func (s *Store) AcquireMatchLease(ctx context.Context, source, owner string, now, until time.Time) (bool, error) {
	return acquireLease(ctx, s.db, source, owner, now, until)
}

func acquireLease(ctx context.Context, q sqlx.QueryerContext, source, owner string, now, until time.Time) (bool, error) {
	var held string
	err := sqlx.GetContext(ctx, q, &held, sqlx.Rebind(sqlx.BindType(driverName(q)), leaseQuery), source, false, time.Time{}, time.Time{}, owner, until.UTC(), now.UTC())
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // another replica's lease holds
	}
	if err != nil {
		return false, fmt.Errorf("store: match index lease: %w", err)
	}
	return held == owner, nil
}

// ReplaceMatchRecords replaces what the index holds for the given records of a source with
// entries (none: the records are gone), and saves st, in one transaction. Its first statement
// writes: on SQLite a transaction that reads first cannot wait for the write lock when it
// comes to write (SQLite skips the busy handler then, as waiting could deadlock), so two
// sources' refreshes, whose tickers start together, failed with SQLITE_BUSY when they met.
func (s *Store) ReplaceMatchRecords(ctx context.Context, source string, recordIDs []string, entries []matchindex.Entry, st matchindex.State) error {
	return inTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE match_index_state SET watermark = ?, refreshed_at = ? WHERE source = ?`),
			st.Watermark, st.RefreshedAt.UTC(), source); err != nil {
			return fmt.Errorf("store: match index state: %w", err)
		}
		var key string
		if err := tx.GetContext(ctx, &key, tx.Rebind(entriesKey), source); err != nil {
			return fmt.Errorf("store: match index: %w", err)
		}
		var delta int64
		for start := 0; start < len(recordIDs); start += insertBatch {
			ids := recordIDs[start:min(start+insertBatch, len(recordIDs))]
			q, args, err := sqlx.In(`DELETE FROM match_index WHERE source = ? AND record_id IN (?)`, key, ids)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
			if err != nil {
				return fmt.Errorf("store: match index: %w", err)
			}
			n, _ := res.RowsAffected()
			delta -= n
		}
		n, err := insertEntries(ctx, tx, key, entries)
		if err != nil {
			return err
		}
		if delta+n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE match_index_state SET rows = rows + ? WHERE source = ?`), delta+n, source); err != nil {
			return fmt.Errorf("store: match index state: %w", err)
		}
		return nil
	})
}

// Rebuild is a full rebuild of one source's index under way. Its entries are written under a
// key of their own in short transactions, and Commit switches lookups to them in one small
// one: a rebuild in a single transaction held SQLite's write lock for its whole length (a
// minute at 1M contacts), and every other writer (a new contact, a settings change, the
// gateway starting) failed after the busy timeout meanwhile.
type Rebuild struct {
	s       *Store
	source  string
	key     string // the key the new entries are written under
	pending []matchindex.Entry
	rows    int64
}

// rebuildChunk is how many entries one of a rebuild's transactions writes.
const rebuildChunk = 20 * insertBatch

// BeginMatchRebuild starts a full rebuild of source, first dropping what an abandoned one left.
func (s *Store) BeginMatchRebuild(ctx context.Context, source string) (matchindex.Rebuild, error) {
	var leftover string
	err := s.db.GetContext(ctx, &leftover, s.db.Rebind(`SELECT building FROM match_index_state WHERE source = ?`), source)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: match index rebuild: %w", err)
	}
	if leftover != "" {
		if err := s.dropEntries(ctx, leftover); err != nil {
			return nil, err
		}
	}
	key := fmt.Sprintf("%s@%d", source, time.Now().UnixNano())
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE match_index_state SET building = ? WHERE source = ?`), key, source); err != nil {
		return nil, fmt.Errorf("store: match index rebuild: %w", err)
	}
	return &Rebuild{s: s, source: source, key: key}, nil
}

// Add adds entries, writing them in chunks of their own transactions.
func (r *Rebuild) Add(ctx context.Context, entries ...matchindex.Entry) error {
	r.pending = append(r.pending, entries...)
	if len(r.pending) < rebuildChunk {
		return nil
	}
	return r.flush(ctx)
}

func (r *Rebuild) flush(ctx context.Context) error {
	r.s.chunks.Lock()
	defer r.s.chunks.Unlock()
	err := inTx(ctx, r.s.db, func(tx *sqlx.Tx) error {
		n, err := insertEntries(ctx, tx, r.key, r.pending)
		r.rows += n
		return err
	})
	r.pending = r.pending[:0]
	return err
}

// Renew extends owner's lease while the rebuild runs.
func (r *Rebuild) Renew(ctx context.Context, owner string, now, until time.Time) (bool, error) {
	return acquireLease(ctx, r.s.db, r.source, owner, now, until)
}

// Commit writes what is pending, switches lookups to the new entries with st, and drops the
// old ones. The old key is kept in building until they are gone, so entries a drop cut short
// (the gateway stopping) are dropped by the next rebuild.
func (r *Rebuild) Commit(ctx context.Context, st matchindex.State) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	var old string
	err := inTx(ctx, r.s.db, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &old, tx.Rebind(entriesKey), r.source); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE match_index_state
SET shape = ?, built = ?, watermark = ?, rows = ?, refreshed_at = ?, reconciled_at = ?, entries = ?, building = ? WHERE source = ?`),
			st.Shape, true, st.Watermark, r.rows, st.RefreshedAt.UTC(), st.ReconciledAt.UTC(), r.key, old, r.source)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: match index state: %w", err)
	}
	if err := r.s.dropEntries(ctx, old); err != nil {
		return err
	}
	_, err = r.s.db.ExecContext(ctx, r.s.db.Rebind(`UPDATE match_index_state SET building = '' WHERE source = ? AND building = ?`), r.source, old)
	return err
}

// Rollback abandons the rebuild; the old entries stay. What it wrote stays under its key in
// building until the next rebuild drops it: dropping millions of entries now would hold up
// the shutdown that is often what ended the rebuild.
func (r *Rebuild) Rollback() error { return nil }

// dropEntries deletes the entries under key a chunk per transaction, so no writer waits long.
func (s *Store) dropEntries(ctx context.Context, key string) error {
	for {
		s.chunks.Lock()
		res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM match_index WHERE (source, key, value, record_id) IN
(SELECT source, key, value, record_id FROM match_index WHERE source = ? LIMIT `+fmt.Sprint(rebuildChunk)+`)`), key)
		s.chunks.Unlock()
		if err != nil {
			return fmt.Errorf("store: match index: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
	}
}

// insertBatch is how many entries one INSERT writes (4 parameters each, well under SQLite's and
// PostgreSQL's limits).
const insertBatch = 250

// insertEntries writes entries and returns how many were new.
func insertEntries(ctx context.Context, tx *sqlx.Tx, source string, entries []matchindex.Entry) (int64, error) {
	var added int64
	for start := 0; start < len(entries); start += insertBatch {
		batch := entries[start:min(start+insertBatch, len(entries))]
		args := make([]any, 0, 4*len(batch))
		for _, e := range batch {
			args = append(args, source, e.Key, e.Value, e.RecordID)
		}
		q := `INSERT INTO match_index (source, key, value, record_id) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(batch)), ", ") +
			` ON CONFLICT DO NOTHING`
		res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
		if err != nil {
			return added, fmt.Errorf("store: match index: %w", err)
		}
		n, _ := res.RowsAffected()
		added += n
	}
	return added, nil
}

// driverName is the driver of a database or transaction.
func driverName(q sqlx.QueryerContext) string {
	switch q := q.(type) {
	case *sqlx.DB:
		return q.DriverName()
	case *sqlx.Tx:
		return q.DriverName()
	}
	return ""
}
