package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/matchindex"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/store"
)

// TestMatchRecords: a lookup of several identifiers finds the records filed under any of them,
// in the asked source only, and on SQLite probes the primary key once per identifier instead
// of reading the source's whole index (which took seconds at a million contacts).
func TestMatchRecords(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, db, _ := open(t)
			now := time.Now()
			var entries []matchindex.Entry
			for i := range 500 {
				entries = append(entries,
					matchindex.Entry{Key: "email", Value: fmt.Sprintf("p%d@example.com", i), RecordID: fmt.Sprintf("c-%d", i)},
					matchindex.Entry{Key: "phonenumber", Value: fmt.Sprintf("+1415555%04d", i), RecordID: fmt.Sprintf("c-%d", i)})
			}
			for _, source := range []string{"crm", "other"} {
				if ok, err := s.AcquireMatchLease(ctx, source, "me", now, now.Add(time.Minute)); err != nil || !ok {
					t.Fatal(ok, err)
				}
				if err := s.ReplaceMatchRecords(ctx, source, nil, entries, matchindex.State{RefreshedAt: now}); err != nil {
					t.Fatal(err)
				}
			}
			ids := []profile.Identifier{{Key: "email", Value: "p7@example.com"}, {Key: "phonenumber", Value: "+14155550042"},
				{Key: "phonenumber", Value: "+14155550007"}, {Key: "email", Value: "nobody@example.com"}}
			got, err := s.MatchRecords(ctx, "crm", ids)
			slices.Sort(got)
			if err != nil || !slices.Equal(got, []string{"c-42", "c-7"}) {
				t.Fatalf("records %v, %v; want c-42 and c-7 once each", got, err)
			}
			if name != "sqlite" {
				return
			}
			q, args := store.MatchQuery("crm", ids)
			rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			joined := strings.Join(plan, "\n")
			if !strings.Contains(joined, "USING PRIMARY KEY (source=? AND key=? AND value=?)") {
				t.Fatalf("the lookup does not probe the primary key:\n%s", joined)
			}
		})
	}
}

// TestRebuildLetsOthersWrite: a full rebuild keeps no transaction open between its chunks, so
// on SQLite (one writer at a time) a new contact is recorded while a rebuild is under way, even
// with no busy timeout to wait in; lookups see the old entries until the rebuild commits, then
// only the new ones.
func TestRebuildLetsOthersWrite(t *testing.T) {
	ctx := context.Background()
	s, db, _ := openWith(t, openDB(t, "sqlite", sqliteDSN(filepath.Join(t.TempDir(), "gw.db"), 0)), nil)
	now := time.Now()
	if ok, err := s.AcquireMatchLease(ctx, "crm", "me", now, now.Add(time.Minute)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	old := []matchindex.Entry{{Key: "email", Value: "old@example.com", RecordID: "c-old"}}
	if err := s.ReplaceMatchRecords(ctx, "crm", nil, old, matchindex.State{RefreshedAt: now}); err != nil {
		t.Fatal(err)
	}
	rb, err := s.BeginMatchRebuild(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	var entries []matchindex.Entry
	for i := range 3 * 5000 {
		entries = append(entries, matchindex.Entry{Key: "email", Value: fmt.Sprintf("p%d@example.com", i), RecordID: fmt.Sprintf("c-%d", i)})
	}
	if err := rb.Add(ctx, entries...); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordContact(ctx, profile.Identifier{Key: "email", Value: "new@example.com"}, now); err != nil {
		t.Fatalf("a new contact during a rebuild: %v", err)
	}
	find := func(value string) []string {
		got, err := s.MatchRecords(ctx, "crm", []profile.Identifier{{Key: "email", Value: value}})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := find("old@example.com"); len(got) != 1 || len(find("p7@example.com")) != 0 {
		t.Fatalf("during the rebuild: old entry %v, new entry %v; want the old index only", got, find("p7@example.com"))
	}
	if err := rb.Commit(ctx, matchindex.State{Shape: "s", RefreshedAt: now, ReconciledAt: now}); err != nil {
		t.Fatal(err)
	}
	if len(find("old@example.com")) != 0 || !slices.Equal(find("p7@example.com"), []string{"c-7"}) {
		t.Fatalf("after the rebuild: old %v, new %v", find("old@example.com"), find("p7@example.com"))
	}
	if st, err := s.MatchState(ctx, "crm"); err != nil || !st.Built || st.Rows != int64(len(entries)) {
		t.Fatalf("state %+v %v", st, err)
	}

	// An abandoned rebuild leaves its entries for the next one to drop; none is ever read.
	rb, err = s.BeginMatchRebuild(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if err := rb.Add(ctx, entries[:6000]...); err != nil || rb.Rollback() != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginMatchRebuild(ctx, "crm"); err != nil {
		t.Fatal(err)
	}
	var stored int
	if err := db.Get(&stored, `SELECT COUNT(*) FROM match_index`); err != nil || stored != len(entries) {
		t.Fatalf("%d entries stored after an abandoned rebuild and a new one began, want the %d of the index (%v)", stored, len(entries), err)
	}
}

// TestIndexWritersOfTwoSources: each source's index renews its lease and saves its refresh on
// its own schedule, so two sources' writes meet (their tickers start together). On the DSN the
// gateway opens its SQLite files with, a refresh waits for the other to commit instead of
// failing: it read first and could not wait for the write lock then (SQLITE_BUSY or
// BUSY_SNAPSHOT within 0.1 s here), and the bench logged such failures every few minutes.
func TestIndexWritersOfTwoSources(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openWith(t, openDB(t, "sqlite", config.SQLiteDSN(filepath.Join(t.TempDir(), "gw.db"))), nil)
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for _, source := range []string{"crm", "warehouse", "crm", "warehouse"} {
		wg.Go(func() {
			for i := range 50 {
				now := time.Now()
				if _, err := s.AcquireMatchLease(ctx, source, "me", now, now.Add(time.Minute)); err != nil {
					errs <- fmt.Errorf("%s lease: %w", source, err)
				}
				if _, err := s.MatchState(ctx, source); err != nil {
					errs <- fmt.Errorf("%s state: %w", source, err)
				}
				e := []matchindex.Entry{{Key: "email", Value: fmt.Sprintf("%s-%d@example.com", source, i), RecordID: fmt.Sprint(i)}}
				if err := s.ReplaceMatchRecords(ctx, source, []string{fmt.Sprint(i)}, e, matchindex.State{Watermark: fmt.Sprint(i), RefreshedAt: now}); err != nil {
					errs <- fmt.Errorf("%s refresh: %w", source, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
