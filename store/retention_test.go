package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/store"
)

// TestPruneContacts: contacts unseen for longer than the TTL are dropped, in batches smaller
// than their number, then the oldest beyond the cap; a recent repeat contact keeps a record.
func TestPruneContacts(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s, _, _ := open(t)
			phone := func(i int) profile.Identifier {
				return profile.Identifier{Key: "phonenumber", Value: fmt.Sprintf("+1212555%04d", i)}
			}
			for i := range 10 { // contacts 0..9, last seen i days ago
				if _, err := s.RecordContact(ctx, phone(i), now.AddDate(0, 0, -i)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.RecordContact(ctx, phone(9), now); err != nil { // contact 9 calls again today
				t.Fatal(err)
			}
			pruned, remaining, err := s.PruneContacts(ctx, store.Retention{TTL: 5*24*time.Hour + time.Hour, Batch: 2}, now)
			if err != nil || pruned != 3 || remaining != 7 {
				t.Fatalf("TTL prune: %d pruned, %d remaining, %v; want contacts 6, 7 and 8 gone", pruned, remaining, err)
			}
			for _, i := range []int{6, 7, 8} {
				if c, _ := s.FindContact(ctx, phone(i)); c != nil {
					t.Errorf("contact %d was kept", i)
				}
			}
			pruned, remaining, err = s.PruneContacts(ctx, store.Retention{Max: 3, Batch: 2}, now)
			if err != nil || pruned != 4 || remaining != 3 {
				t.Fatalf("cap prune: %d pruned, %d remaining, %v", pruned, remaining, err)
			}
			for _, i := range []int{0, 1, 9} {
				if c, _ := s.FindContact(ctx, phone(i)); c == nil {
					t.Errorf("contact %d, among the three seen last, was dropped", i)
				}
			}
		})
	}
}
