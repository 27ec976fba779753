package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	"github.com/profilegate/profilegate/internal/pgtest"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// opener opens a fresh store, returning its database and what opens the store again.
type opener func(t *testing.T) (*store.Store, *sqlx.DB, func() (*store.Store, error))

// backends opens a fresh store in each layout the gateway uses: SQLite with the contacts in a
// file of their own (as the gateway opens a SQLite store), SQLite in one file (as earlier
// versions did), PostgreSQL.
func backends(t *testing.T) map[string]opener {
	return map[string]opener{
		"sqlite": func(t *testing.T) (*store.Store, *sqlx.DB, func() (*store.Store, error)) {
			dir := t.TempDir()
			contacts := openDB(t, "sqlite", sqliteDSN(filepath.Join(dir, "gw-contacts.db"), 5000))
			return openWith(t, openDB(t, "sqlite", sqliteDSN(filepath.Join(dir, "gw.db"), 5000)), contacts)
		},
		"sqlite-one-file": func(t *testing.T) (*store.Store, *sqlx.DB, func() (*store.Store, error)) {
			return openWith(t, openDB(t, "sqlite", sqliteDSN(filepath.Join(t.TempDir(), "gw.db"), 5000)), nil)
		},
		"postgres": func(t *testing.T) (*store.Store, *sqlx.DB, func() (*store.Store, error)) {
			return openWith(t, openDB(t, "pgx", pgtest.DSN(t)), nil)
		},
	}
}

func sqliteDSN(path string, busyMS int) string {
	return fmt.Sprintf("file:%s?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)", path, busyMS)
}

func openDB(t *testing.T, driver, dsn string) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openWith(t *testing.T, db, contacts *sqlx.DB) (*store.Store, *sqlx.DB, func() (*store.Store, error)) {
	t.Helper()
	reopen := func() (*store.Store, error) { return store.New(context.Background(), db, contacts) }
	s, err := reopen()
	if err != nil {
		t.Fatal(err)
	}
	return s, db, reopen
}

func TestRecordContact(t *testing.T) {
	ctx := context.Background()
	id := profile.Identifier{Key: profile.KeyPhoneNumber, Value: "+14155550142"}
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	for name, openStore := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s, _, reopen := openStore(t)
			if c, err := s.FindContact(ctx, id); err != nil || c != nil {
				t.Fatalf("FindContact before any contact = %v, %v; want nil", c, err)
			}
			first, err := s.RecordContact(ctx, id, t0)
			if err != nil {
				t.Fatal(err)
			}
			second, err := s.RecordContact(ctx, id, t0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if !first.FirstSeen.Equal(t0) || !second.FirstSeen.Equal(t0) || !second.LastSeen.Equal(t0.Add(time.Hour)) || second.ContactCount != 2 {
				t.Fatalf("after two contacts: %+v", second)
			}
			found, err := s.FindContact(ctx, id)
			if err != nil || found == nil || *found != *second {
				t.Fatalf("FindContact = %+v, %v; want %+v", found, err, second)
			}
			// Reopening migrates nothing twice and keeps the data.
			if _, err := reopen(); err != nil {
				t.Fatalf("second migrate: %v", err)
			}
			if again, _ := s.FindContact(ctx, id); again == nil || again.ContactCount != 2 {
				t.Fatalf("after reopening: %+v", again)
			}
		})
	}
}

func TestRecordContactConcurrentFirstContacts(t *testing.T) {
	const callers = 60
	ctx := context.Background()
	id := profile.Identifier{Key: profile.KeyEmail, Value: "new@example.com"}
	for name, openStore := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s, _, _ := openStore(t)
			var wg sync.WaitGroup
			errs := make(chan error, callers)
			start := make(chan struct{})
			for range callers {
				wg.Go(func() {
					<-start
					if _, err := s.RecordContact(ctx, id, time.Now()); err != nil {
						errs <- err
					}
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			rows, err := s.CountContacts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c, err := s.FindContact(ctx, id); err != nil || rows != 1 || c == nil || c.ContactCount != callers {
				t.Fatalf("%d records, %+v (%v); want 1 record with count %d", rows, c, err, callers)
			}
		})
	}
}

// TestContactsMoveToTheirFile: a SQLite store from before the contacts had a file of their
// own keeps every contact when opened with one: all are moved, the same, and the old table is
// left empty; a move interrupted between writing a batch and deleting it does not count the
// batch's contacts twice.
func TestContactsMoveToTheirFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	main := openDB(t, "sqlite", sqliteDSN(filepath.Join(dir, "gw.db"), 5000))
	old, _, _ := openWith(t, main, nil)
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	const n = 2500 // more than a batch
	for i := range n {
		id := profile.Identifier{Key: profile.KeyPhoneNumber, Value: fmt.Sprintf("+1415555%04d", i)}
		for c := range 1 + i%3 {
			if _, err := old.RecordContact(ctx, id, t0.Add(time.Duration(i+c)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, err := old.FindContact(ctx, profile.Identifier{Key: profile.KeyPhoneNumber, Value: "+14155552498"})
	if err != nil || want == nil || want.ContactCount != 3 {
		t.Fatalf("before the move: %+v, %v", want, err)
	}

	contacts := openDB(t, "sqlite", sqliteDSN(filepath.Join(dir, "gw-contacts.db"), 5000))
	moved, _, reopen := openWith(t, main, contacts)
	check := func(when string) {
		t.Helper()
		if got, err := moved.CountContacts(ctx); err != nil || got != n {
			t.Fatalf("%s: %d contacts (%v), want %d", when, got, err, n)
		}
		if got, err := moved.FindContact(ctx, want.Identifier); err != nil || got == nil || *got != *want {
			t.Fatalf("%s: %+v (%v), want %+v", when, got, err, want)
		}
		var left int
		if err := main.Get(&left, `SELECT COUNT(*) FROM unidentified_contacts`); err != nil || left != 0 {
			t.Fatalf("%s: %d contacts left in the store's file (%v)", when, left, err)
		}
	}
	check("after the move")

	// A batch written to the contacts file but not yet deleted from the store's.
	main.MustExec(`INSERT INTO unidentified_contacts (identifier_key, identifier_value, first_seen, last_seen, contact_count) VALUES (?, ?, ?, ?, ?)`,
		want.Identifier.Key, want.Identifier.Value, want.FirstSeen, want.LastSeen, want.ContactCount)
	if _, err := reopen(); err != nil {
		t.Fatal(err)
	}
	check("after an interrupted move")
}
