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

// Store is the gateway's own database: settings and the match index in one, unidentified
// contacts in another or the same (see New).
type Store struct {
	db    *sqlx.DB
	stmts *stmtcache.Cache // the statements every request may send, prepared once
	// contacts holds the unidentified contacts, with its own statements.
	contacts *sqlx.DB
	cstmts   *stmtcache.Cache
	// chunks takes the chunks of match index rebuilds one at a time. Two sources rebuilding
	// at once on SQLite kept one chunk waiting for the write lock, holding a read mark, while
	// the other wrote, so the WAL was never restarted: it grew to 14 GB on the bench's 10M data.
	chunks sync.Mutex
	// matchTexts holds the match index's lookup statements by number of probes, rebound.
	matchTexts sync.Map
}

// New migrates db and returns a store over it; db's driver must be "sqlite" or "pgx". With
// contacts (a SQLite store's second file, see config.ContactsDatabase) the unidentified
// contacts live there: contacts recorded in db by an earlier version are moved over first.
// Without, they live in db.
func New(ctx context.Context, db, contacts *sqlx.DB) (*Store, error) {
	s := &Store{db: db, stmts: stmtcache.New(db, 64), contacts: db}
	if err := migrate(ctx, db, migrations); err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	if contacts != nil {
		if contacts.DriverName() != "sqlite" || db.DriverName() != "sqlite" {
			return nil, errors.New("store: contacts in a database of their own are for a SQLite store")
		}
		s.contacts = contacts
		if err := migrate(ctx, contacts, contactMigrations); err != nil {
			return nil, fmt.Errorf("store: migrate contacts: %w", err)
		}
		if err := s.moveContacts(ctx); err != nil {
			return nil, fmt.Errorf("store: move contacts: %w", err)
		}
	}
	s.cstmts = stmtcache.New(s.contacts, 16)
	return s, nil
}

// Ping reports whether the databases answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return err
	}
	return s.contacts.PingContext(ctx)
}

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
	err := s.cstmts.QueryRowx(ctx, s.contacts.Rebind(`INSERT INTO unidentified_contacts (`+contactColumns+`)
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
	err := s.cstmts.QueryRowx(ctx, s.contacts.Rebind(`SELECT `+contactColumns+` FROM unidentified_contacts
WHERE identifier_key = ? AND identifier_value = ?`), id.Key, id.Value).StructScan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: find contact: %w", err)
	}
	return r.contact(), nil
}

// moveContacts moves the contacts an earlier version recorded in the store's own file to the
// contacts database, a batch at a time: each batch is written there, then deleted here. A
// batch written twice (a stop between the two) merges to the same record.
func (s *Store) moveContacts(ctx context.Context) error {
	for {
		var batch []contactRow
		if err := s.db.SelectContext(ctx, &batch, `SELECT `+contactColumns+` FROM unidentified_contacts
ORDER BY identifier_key, identifier_value LIMIT 1000`); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		err := inTx(ctx, s.contacts, func(tx *sqlx.Tx) error {
			for _, r := range batch {
				if _, err := tx.ExecContext(ctx, `INSERT INTO unidentified_contacts (`+contactColumns+`) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (identifier_key, identifier_value) DO UPDATE
SET first_seen = MIN(unidentified_contacts.first_seen, excluded.first_seen), last_seen = MAX(unidentified_contacts.last_seen, excluded.last_seen),
contact_count = MAX(unidentified_contacts.contact_count, excluded.contact_count)`,
					r.Key, r.Value, r.FirstSeen.UTC(), r.LastSeen.UTC(), r.ContactCount); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = inTx(ctx, s.db, func(tx *sqlx.Tx) error {
			for _, r := range batch {
				if _, err := tx.ExecContext(ctx, `DELETE FROM unidentified_contacts WHERE identifier_key = ? AND identifier_value = ?`, r.Key, r.Value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
}

// inTx runs fn in a transaction of db and commits it unless fn fails.
func inTx(ctx context.Context, db *sqlx.DB, fn func(*sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
