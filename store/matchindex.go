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
	q, args := matchQuery(source, ids)
	rows, err := s.stmts.Queryx(ctx, s.db.Rebind(q), args...)
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
	n := 1 << bits.Len(uint(len(ids)-1))
	probes := make([]string, n)
	args := make([]any, 0, 3*n)
	for i := range n {
		id := ids[min(i, len(ids)-1)]
		probes[i] = "SELECT record_id FROM match_index WHERE source = ? AND key = ? AND value = ?"
		args = append(args, source, id.Key, id.Value)
	}
	return strings.Join(probes, "\nUNION\n") + "\nLIMIT " + fmt.Sprint(profile.MaxRecords), args
}

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
// entries (none: the records are gone), and saves st, in one transaction.
func (s *Store) ReplaceMatchRecords(ctx context.Context, source string, recordIDs []string, entries []matchindex.Entry, st matchindex.State) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var delta int64
		for start := 0; start < len(recordIDs); start += insertBatch {
			ids := recordIDs[start:min(start+insertBatch, len(recordIDs))]
			q, args, err := sqlx.In(`DELETE FROM match_index WHERE source = ? AND record_id IN (?)`, source, ids)
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
		n, err := insertEntries(ctx, tx, source, entries)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE match_index_state SET watermark = ?, rows = rows + ?, refreshed_at = ? WHERE source = ?`),
			st.Watermark, delta+n, st.RefreshedAt.UTC(), source)
		if err != nil {
			return fmt.Errorf("store: match index state: %w", err)
		}
		return nil
	})
}

// Rebuild is a full rebuild of one source's index under way: the old entries stay visible to
// lookups until Commit replaces them all at once.
type Rebuild struct {
	tx      *sqlx.Tx
	source  string
	pending []matchindex.Entry
}

// BeginMatchRebuild starts replacing every entry of the source's index.
func (s *Store) BeginMatchRebuild(ctx context.Context, source string) (matchindex.Rebuild, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: match index rebuild: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM match_index WHERE source = ?`), source); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("store: match index rebuild: %w", err)
	}
	return &Rebuild{tx: tx, source: source}, nil
}

// Add adds entries, writing them in batches.
func (r *Rebuild) Add(ctx context.Context, entries ...matchindex.Entry) error {
	r.pending = append(r.pending, entries...)
	if len(r.pending) < insertBatch {
		return nil
	}
	_, err := insertEntries(ctx, r.tx, r.source, r.pending)
	r.pending = r.pending[:0]
	return err
}

// Renew extends owner's lease from within the rebuild, whose transaction holds the store's
// write lock on SQLite.
func (r *Rebuild) Renew(ctx context.Context, owner string, now, until time.Time) (bool, error) {
	return acquireLease(ctx, r.tx, r.source, owner, now, until)
}

// Commit writes what is pending and st, and makes the new entries the index.
func (r *Rebuild) Commit(ctx context.Context, st matchindex.State) error {
	if _, err := insertEntries(ctx, r.tx, r.source, r.pending); err != nil {
		r.tx.Rollback()
		return err
	}
	var rows int64
	if err := r.tx.GetContext(ctx, &rows, r.tx.Rebind(`SELECT COUNT(*) FROM match_index WHERE source = ?`), r.source); err != nil {
		r.tx.Rollback()
		return fmt.Errorf("store: match index: %w", err)
	}
	_, err := r.tx.ExecContext(ctx, r.tx.Rebind(`UPDATE match_index_state
SET shape = ?, built = ?, watermark = ?, rows = ?, refreshed_at = ?, reconciled_at = ? WHERE source = ?`),
		st.Shape, true, st.Watermark, rows, st.RefreshedAt.UTC(), st.ReconciledAt.UTC(), r.source)
	if err != nil {
		r.tx.Rollback()
		return fmt.Errorf("store: match index state: %w", err)
	}
	return r.tx.Commit()
}

// Rollback abandons the rebuild; the old entries stay.
func (r *Rebuild) Rollback() error { return r.tx.Rollback() }

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

func (s *Store) inTx(ctx context.Context, f func(*sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
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
