package stmtcache_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // SQLite

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/pgtest"
	"github.com/profilegate/profilegate/stmtcache"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, driver, dsn string) *stmtcache.Cache {
	t.Helper()
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return stmtcache.New(db, 8)
}

// reader returns a reader of the one integer a query answers.
func reader(t *testing.T) func(*sqlx.Rows, error) int {
	return func(rows *sqlx.Rows, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var n int
		if !rows.Next() {
			t.Fatalf("no row: %v", rows.Err())
		}
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// TestPointQueryxSQLite: on a SQLite file in WAL mode a point read answers without watching
// its context, so it allocates less than the same statement under a context that can end, and
// a context that has already ended is refused before the statement runs.
func TestPointQueryxSQLite(t *testing.T) {
	c := open(t, "sqlite", config.SQLiteDSN(filepath.Join(t.TempDir(), "t.db")))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const q = "SELECT ? + 1"
	one := reader(t)
	if n := one(c.PointQueryx(ctx, q, 41)); n != 42 {
		t.Fatalf("point read = %d, want 42", n)
	}
	// Both prepared now: what differs is what watches the context.
	_ = one(c.Queryx(ctx, q, 1))
	watched := testing.AllocsPerRun(200, func() { _ = one(c.Queryx(ctx, q, 1)) })
	point := testing.AllocsPerRun(200, func() { _ = one(c.PointQueryx(ctx, q, 1)) })
	t.Logf("allocations: %.1f watched, %.1f as a point read", watched, point)
	if point > watched-4 {
		t.Fatalf("point read: %.1f allocations, watched: %.1f; want the two watchers' allocations gone", point, watched)
	}

	ended, end := context.WithCancel(context.Background())
	end()
	if rows, err := c.PointQueryx(ended, q, 1); !errors.Is(err, context.Canceled) {
		if rows != nil {
			rows.Close()
		}
		t.Fatalf("point read in an ended context: %v, want context.Canceled", err)
	}
}

// TestPointQueryxRollbackJournal: in SQLite's rollback journal a reader waits for a writer's lock
// up to the busy timeout (5 s here); a point read there keeps its context, whose end cuts the
// wait.
func TestPointQueryxRollbackJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	c := open(t, "sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(DELETE)")
	if _, err := c.DB.Exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	writer, err := open(t, "sqlite", "file:"+path).DB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if _, err := writer.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	defer writer.ExecContext(context.Background(), "ROLLBACK")
	if took, err := cutShort(c, "SELECT v FROM t"); err == nil || took > 3*time.Second {
		t.Fatalf("a read behind a writer's lock under a 200 ms deadline: %v after %s", err, took)
	}
}

// TestPointQueryxPostgres: on PostgreSQL a point read keeps its context, whose end cuts a
// statement waiting on the server.
func TestPointQueryxPostgres(t *testing.T) {
	c := open(t, "pgx", pgtest.DSN(t))
	if took, err := cutShort(c, "SELECT 1 FROM pg_sleep(30)"); err == nil || took > 10*time.Second {
		t.Fatalf("a 30 s statement under a 200 ms deadline: %v after %s", err, took)
	}
}

// cutShort reads q as a point read under a 200 ms deadline, and returns when and how it ended.
func cutShort(c *stmtcache.Cache, q string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	rows, err := c.PointQueryx(ctx, q)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	return time.Since(start), err
}
