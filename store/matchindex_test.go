package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

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
			s, db := open(t)
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
