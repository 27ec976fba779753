package store_test

import (
	"context"
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

// backends opens a fresh store on each database the gateway supports.
func backends(t *testing.T) map[string]func(t *testing.T) (*store.Store, *sqlx.DB) {
	return map[string]func(t *testing.T) (*store.Store, *sqlx.DB){
		"sqlite": func(t *testing.T) (*store.Store, *sqlx.DB) {
			return open(t, "sqlite", "file:"+filepath.Join(t.TempDir(), "gw.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
		},
		"postgres": func(t *testing.T) (*store.Store, *sqlx.DB) { return open(t, "pgx", pgtest.DSN(t)) },
	}
}

func open(t *testing.T, driver, dsn string) (*store.Store, *sqlx.DB) {
	t.Helper()
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := store.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

func TestRecordContact(t *testing.T) {
	ctx := context.Background()
	id := profile.Identifier{Key: profile.KeyPhoneNumber, Value: "+14155550142"}
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	for name, openStore := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s, db := openStore(t)
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
			if _, err := store.New(ctx, db); err != nil {
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
			s, db := openStore(t)
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
			var rows, count int
			if err := db.QueryRowx(`SELECT COUNT(*), MAX(contact_count) FROM unidentified_contacts`).Scan(&rows, &count); err != nil {
				t.Fatal(err)
			}
			if rows != 1 || count != callers {
				t.Fatalf("%d records with count %d, want 1 record with count %d", rows, count, callers)
			}
		})
	}
}
