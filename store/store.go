package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/stmtcache"
)

var _ profile.UnidentifiedStore = (*Store)(nil)

// Store is the gateway's own database.
type Store struct {
	db    *sqlx.DB
	stmts *stmtcache.Cache // the statements every request may send, prepared once
	// chunks takes the chunks of match index rebuilds one at a time. Two sources rebuilding
	// at once on SQLite kept one chunk waiting for the write lock, holding a read mark, while
	// the other wrote, so the WAL was never restarted: it grew to 14 GB on the bench's 10M data.
	chunks sync.Mutex
	// matchTexts holds the match index's lookup statements by number of probes, rebound.
	matchTexts sync.Map
}

// New migrates db and returns a store over it. db's driver must be "sqlite" or "pgx".
func New(ctx context.Context, db *sqlx.DB) (*Store, error) {
	s := &Store{db: db, stmts: stmtcache.New(db, 64)}
	if err := s.migrate(ctx); err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	return s, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

type contactRow struct {
	Key          string    `db:"identifier_key"`
	Value        string    `db:"identifier_value"`
	FirstSeen    time.Time `db:"first_seen"`
	LastSeen     time.Time `db:"last_seen"`
	ContactCount int       `db:"contact_count"`
}

func (r *contactRow) contact() *profile.UnidentifiedContact {
	return &profile.UnidentifiedContact{
		Identifier:   profile.Identifier{Key: r.Key, Value: r.Value},
		FirstSeen:    r.FirstSeen.UTC(),
		LastSeen:     r.LastSeen.UTC(),
		ContactCount: r.ContactCount,
	}
}

const contactColumns = "identifier_key, identifier_value, first_seen, last_seen, contact_count"

// RecordContact records a contact from id at the given time in one statement, so concurrent
// first contacts from one address make exactly one record.
func (s *Store) RecordContact(ctx context.Context, id profile.Identifier, at time.Time) (*profile.UnidentifiedContact, error) {
	var r contactRow
	err := s.stmts.QueryRowx(ctx, s.db.Rebind(`INSERT INTO unidentified_contacts (`+contactColumns+`)
VALUES (?, ?, ?, ?, 1)
ON CONFLICT (identifier_key, identifier_value) DO UPDATE
SET last_seen = excluded.last_seen, contact_count = unidentified_contacts.contact_count + 1
RETURNING `+contactColumns), id.Key, id.Value, at.UTC(), at.UTC()).StructScan(&r)
	if err != nil {
		return nil, fmt.Errorf("store: record contact: %w", err)
	}
	return r.contact(), nil
}

// FindContact returns the record for id, or nil when there is none.
func (s *Store) FindContact(ctx context.Context, id profile.Identifier) (*profile.UnidentifiedContact, error) {
	var r contactRow
	err := s.stmts.QueryRowx(ctx, s.db.Rebind(`SELECT `+contactColumns+` FROM unidentified_contacts
WHERE identifier_key = ? AND identifier_value = ?`), id.Key, id.Value).StructScan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: find contact: %w", err)
	}
	return r.contact(), nil
}
