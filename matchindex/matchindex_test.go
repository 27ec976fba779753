package matchindex_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/matchindex"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/store"
)

// records is a source in memory: record i carries the email user<i>@example.com, changed at
// the time in changed[i].
type records struct {
	mu      sync.Mutex
	n       int
	changed map[int]string
	scans   int
}

func (r *records) Name() string      { return "crm" }
func (r *records) Shape() string     { return "test" }
func (r *records) Incremental() bool { return true }

func (r *records) Scan(ctx context.Context, since string, fn func(string, []profile.Identifier) error) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scans++
	watermark := since
	for i := range r.n {
		at := r.changed[i]
		if since != "" && at <= since {
			continue
		}
		watermark = max(watermark, at)
		if err := fn(fmt.Sprint(i), []profile.Identifier{{Key: "email", Value: fmt.Sprintf("user%d@example.com", i)}}); err != nil {
			return "", err
		}
	}
	return watermark, nil
}

func openStore(t *testing.T) *store.Store {
	db, err := sqlx.Open("sqlite", config.SQLiteDSN(filepath.Join(t.TempDir(), "store.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := store.New(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func cfg(owner string) matchindex.Config {
	return matchindex.Config{Refresh: 20 * time.Millisecond, Reconcile: time.Hour, Owner: owner, Lease: time.Minute,
		Now: time.Now, Log: slog.New(slog.DiscardHandler)}
}

func email(i int) profile.Identifier {
	return profile.Identifier{Key: "email", Value: fmt.Sprintf("user%d@example.com", i)}
}

// TestBuildAndRefresh: a first build larger than a lease renewal's stride (the renewal runs
// inside the build's transaction, as SQLite has one writer) makes the index ready; a changed
// record is picked up by the next refresh.
func TestBuildAndRefresh(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src := &records{n: 25_000, changed: map[int]string{}}
	for i := range src.n {
		src.changed[i] = "2026-01-01T00:00:00Z"
	}
	ix := matchindex.New(src, openStore(t), cfg("a"))
	if ix.Ready() || ix.Check(ctx) == nil {
		t.Fatal("ready before its first build")
	}
	go ix.Run(ctx)
	if err := ix.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if ids, err := ix.Records(ctx, []profile.Identifier{email(24_999), email(3)}); err != nil || len(ids) != 2 {
		t.Fatalf("records %v, %v", ids, err)
	}
	src.mu.Lock()
	added := src.n
	src.changed[added] = "2026-02-01T00:00:00Z"
	src.n++
	src.mu.Unlock()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if ids, _ := ix.Records(ctx, []profile.Identifier{email(added)}); len(ids) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a new record never reached the index")
		}
	}
}

// TestOneMaintainer: replicas sharing a store build the index once: the one holding the lease
// builds, the other waits for it and is ready when it is done.
func TestOneMaintainer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := openStore(t)
	a, b := &records{n: 2000, changed: map[int]string{}}, &records{n: 2000, changed: map[int]string{}}
	ixA, ixB := matchindex.New(a, st, cfg("a")), matchindex.New(b, st, cfg("b"))
	go ixA.Run(ctx)
	if err := ixA.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	go ixB.Run(ctx)
	if err := ixB.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // several refreshes
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.scans != 0 {
		t.Fatalf("the replica without the lease scanned the source %d times", b.scans)
	}
}
