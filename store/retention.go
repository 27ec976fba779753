package store

import (
	"context"
	"fmt"
	"time"
)

// Retention says how long unidentified contacts are kept.
type Retention struct {
	// TTL drops a contact this long after its last contact; 0 keeps them.
	TTL time.Duration `yaml:"ttl"`
	// Max keeps at most this many, dropping those contacted longest ago; 0 for no cap.
	Max int64 `yaml:"max"`
	// Every is how often contacts are pruned; Batch how many one statement drops, so a prune
	// never holds the table long.
	Every time.Duration `yaml:"every"`
	Batch int           `yaml:"batch"`
}

// CountContacts counts the unidentified contacts.
func (s *Store) CountContacts(ctx context.Context) (int64, error) {
	var n int64
	if err := s.contacts.GetContext(ctx, &n, `SELECT COUNT(*) FROM unidentified_contacts`); err != nil {
		return 0, fmt.Errorf("store: count contacts: %w", err)
	}
	return n, nil
}

// PruneContacts drops, batch by batch, the contacts last seen before now minus r.TTL, then the
// oldest beyond r.Max. It returns how many it dropped and how many remain.
func (s *Store) PruneContacts(ctx context.Context, r Retention, now time.Time) (pruned, remaining int64, err error) {
	if r.TTL > 0 {
		for {
			n, err := s.dropOldest(ctx, r.Batch, now.Add(-r.TTL))
			pruned += n
			if err != nil || n < int64(r.Batch) {
				if err != nil {
					return pruned, 0, err
				}
				break
			}
		}
	}
	if remaining, err = s.CountContacts(ctx); err != nil || r.Max <= 0 {
		return pruned, remaining, err
	}
	for remaining > r.Max {
		n, err := s.dropOldest(ctx, int(min(int64(r.Batch), remaining-r.Max)), time.Time{})
		pruned, remaining = pruned+n, remaining-n
		if err != nil || n == 0 {
			return pruned, remaining, err
		}
	}
	return pruned, remaining, nil
}

// dropOldest drops up to limit contacts, longest unseen first; with before set, only those
// last seen before it.
func (s *Store) dropOldest(ctx context.Context, limit int, before time.Time) (int64, error) {
	where, args := "", []any{}
	if !before.IsZero() {
		where, args = "WHERE last_seen < ?", append(args, before.UTC())
	}
	res, err := s.contacts.ExecContext(ctx, s.contacts.Rebind(`DELETE FROM unidentified_contacts WHERE (identifier_key, identifier_value) IN (
	SELECT identifier_key, identifier_value FROM unidentified_contacts `+where+` ORDER BY last_seen LIMIT ?)`), append(args, limit)...)
	if err != nil {
		return 0, fmt.Errorf("store: prune contacts: %w", err)
	}
	return res.RowsAffected()
}
