package sqlitemem_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	"github.com/profilegate/profilegate/sqlitemem"
)

// open opens a SQLite file with a 256 KiB page cache and fills it with rows spread over many
// pages, then reads them all, so the connection caches as many pages as it may.
func open(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "t.db")+"?_pragma=cache_size(-256)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000)
INSERT INTO t SELECT i, printf('%0200d', i) FROM n`); err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := db.GetContext(ctx, &sum, `SELECT sum(length(v)) FROM t`); err != nil || sum != 2000*200 {
		t.Fatalf("read back %d, %v", sum, err)
	}
	return db
}

func TestReserve(t *testing.T) {
	if os.Getenv("SQLITEMEM_OPEN_FIRST") != "" {
		return // the child of TestReserveAfterOpen
	}
	lines := sqlitemem.Lines(4, 256)
	// A line is a 4 KiB page and SQLite's few hundred bytes of headers.
	if per := lines / 4; per < 50 || per >= 64 {
		t.Fatalf("Lines(4, 256) = %d: %d a connection, want 50..63", lines, per)
	}
	n, err := sqlitemem.Reserve(lines)
	if err != nil || n != lines {
		t.Fatalf("Reserve(%d) = %d, %v", lines, n, err)
	}
	open(t)
	reserved, used := sqlitemem.Reserved()
	if reserved != lines {
		t.Errorf("Reserved() lines = %d, want %d", reserved, lines)
	}
	// The connection's cache (about 60 pages of the 2000 rows' hundred) comes from the buffer.
	if used < lines/4/2 || used > lines {
		t.Errorf("SQLite uses %d of %d lines of the buffer, want at least %d", used, lines, lines/8)
	}
	// Only the first call does anything.
	if n, err := sqlitemem.Reserve(2 * lines); err != nil || n != lines {
		t.Errorf("second Reserve = %d, %v; want the first's %d", n, err, lines)
	}
}

// TestReserveAfterOpen runs itself in a child process that opens SQLite before Reserve, which
// SQLite refuses: the child reports ErrTooLate and its database still works.
func TestReserveAfterOpen(t *testing.T) {
	if os.Getenv("SQLITEMEM_OPEN_FIRST") != "" {
		open(t)
		n, err := sqlitemem.Reserve(100)
		if !errors.Is(err, sqlitemem.ErrTooLate) || n != 0 {
			t.Fatalf("Reserve after open = %d, %v; want 0, ErrTooLate", n, err)
		}
		if _, used := sqlitemem.Reserved(); used != 0 {
			t.Fatalf("%d lines in use without a buffer", used)
		}
		fmt.Println("refused as too late")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReserveAfterOpen$", "-test.v")
	cmd.Env = append(os.Environ(), "SQLITEMEM_OPEN_FIRST=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "refused as too late") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
