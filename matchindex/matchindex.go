// Package matchindex keeps, for each source, an index from identifiers as profilegate
// normalizes them to the source's record ids, so a contact is found however the source spells
// the address ("617.507.4070", " Ada@Example.com ", full-width digits): SQL can compare only
// the spellings it is given. The index is built by streaming the source at start, kept current
// by polling the source's updated column, and rebuilt in full now and then to catch changes
// without a timestamp and deletions. It lives in the gateway's store, so replicas sharing a
// store share one index, which one of them (holding a lease) maintains. The source is only
// read. Lookups ask the index and the live source together (sqlsource), so a contact created a
// second ago in a standard format is found at once and traits are never stale.
package matchindex

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/profilegate/profilegate/profile"
)

// Entry is one identifier of one record.
type Entry struct {
	Key, Value, RecordID string
}

// State is how far a source's index is built.
type State struct {
	// Shape describes the source's layout and normalization the index was built for; a
	// different shape needs a full rebuild.
	Shape string
	// Built is set once a full build has finished.
	Built bool
	// Watermark is the newest updated value the index has seen, as the source's text.
	Watermark string
	// Rows counts the entries.
	Rows int64
	// RefreshedAt is when the index last caught up with the source; ReconciledAt when it was
	// last rebuilt in full.
	RefreshedAt, ReconciledAt time.Time
}

// Rebuild replaces a source's whole index; lookups see the old entries until Commit.
type Rebuild interface {
	Add(ctx context.Context, entries ...Entry) error
	// Renew extends owner's lease while the rebuild runs.
	Renew(ctx context.Context, owner string, now, until time.Time) (bool, error)
	Commit(ctx context.Context, st State) error
	Rollback() error
}

// Store keeps the indexes; the gateway's store implements it.
type Store interface {
	// MatchRecords returns the ids of the source's records held under any of ids.
	MatchRecords(ctx context.Context, source string, ids []profile.Identifier) ([]string, error)
	// MatchState returns the source's state, nil before its first build.
	MatchState(ctx context.Context, source string) (*State, error)
	// AcquireMatchLease makes owner the maintainer of the source's index until until, unless
	// another replica's lease runs past now; it reports whether owner holds it.
	AcquireMatchLease(ctx context.Context, source, owner string, now, until time.Time) (bool, error)
	// ReplaceMatchRecords replaces the entries of the given records (none: they are gone)
	// and saves the watermark and refresh time of st.
	ReplaceMatchRecords(ctx context.Context, source string, recordIDs []string, entries []Entry, st State) error
	// BeginMatchRebuild starts a full rebuild.
	BeginMatchRebuild(ctx context.Context, source string) (Rebuild, error)
}

// Scanner reads a source's records for the index; sqlsource implements it.
type Scanner interface {
	Name() string
	// Shape describes the layout and normalization the entries depend on.
	Shape() string
	// Incremental reports whether the source tells when a record changed.
	Incremental() bool
	// Scan calls fn with the identifiers (normalized) of each record, of every record when
	// since is empty, else of those changed after since. It returns the newest updated value
	// it saw (since when none).
	Scan(ctx context.Context, since string, fn func(recordID string, ids []profile.Identifier) error) (watermark string, err error)
}

// Observer is told what the index does; telemetry implements it.
type Observer interface {
	MatchIndex(source string, rows int64, refreshedAt, reconciledAt time.Time, building bool)
}

// Config says how an index is kept.
type Config struct {
	// Refresh is how often the index catches up with the source's changes: how stale it may
	// be for a record written in a spelling SQL does not find.
	Refresh time.Duration
	// Reconcile is how often it is rebuilt in full (changes without a timestamp, deletions).
	Reconcile time.Duration
	// Owner names this replica for the lease; Lease is how long a lease lasts without renewal.
	Owner string
	Lease time.Duration
	Now   func() time.Time
	Log   *slog.Logger
	// Observer, when set, is told the index's size and age.
	Observer Observer
}

// Index is one source's match index.
type Index struct {
	src   Scanner
	store Store
	cfg   Config
	shape string
	// built is set while the stored index is complete for the source's current shape.
	built atomic.Bool
	// building holds how many entries the first build has written, for readiness.
	building atomic.Int64
}

// New returns the index of src in store; Run maintains it.
func New(src Scanner, store Store, cfg Config) *Index {
	return &Index{src: src, store: store, cfg: cfg, shape: src.Shape()}
}

// Records returns the ids of the source's records carrying any of ids in any spelling.
func (ix *Index) Records(ctx context.Context, ids []profile.Identifier) ([]string, error) {
	return ix.store.MatchRecords(ctx, ix.src.Name(), ids)
}

// Ready reports whether the index is complete: until then a contact the live query does not
// find may still be the source's, stored in another spelling.
func (ix *Index) Ready() bool { return ix.built.Load() }

// WaitReady blocks until the index is complete or ctx ends.
func (ix *Index) WaitReady(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !ix.Ready() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("match index %s: %w", ix.src.Name(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Check is the readiness check: nil once the index is complete.
func (ix *Index) Check(context.Context) error {
	if ix.Ready() {
		return nil
	}
	return fmt.Errorf("first build under way (%d entries so far)", ix.building.Load())
}

// Run keeps the index until ctx ends: at once and then every Refresh it reads the stored
// state, and the replica holding the lease builds, refreshes or reconciles it.
func (ix *Index) Run(ctx context.Context) {
	t := time.NewTicker(ix.cfg.Refresh)
	defer t.Stop()
	for {
		if err := ix.step(ctx); err != nil && ctx.Err() == nil {
			ix.cfg.Log.WarnContext(ctx, "match index: refresh failed; lookups go on with the index as it is", "source", ix.src.Name(), "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// step does one round of Run.
func (ix *Index) step(ctx context.Context) error {
	name := ix.src.Name()
	st, err := ix.store.MatchState(ctx, name)
	if err != nil {
		return err
	}
	ix.observe(st)
	now := ix.cfg.Now()
	owner, err := ix.store.AcquireMatchLease(ctx, name, ix.cfg.Owner, now, now.Add(ix.cfg.Lease))
	if err != nil || !owner {
		return err // another replica maintains it; this one follows the stored state
	}
	switch {
	case st == nil || !st.Built || st.Shape != ix.shape:
		return ix.rebuild(ctx, st == nil || !st.Built)
	case now.Sub(st.ReconciledAt) >= ix.cfg.Reconcile:
		return ix.rebuild(ctx, false)
	case ix.src.Incremental():
		return ix.refresh(ctx, st)
	}
	return nil
}

// renewEvery is how many records a rebuild reads between renewals of its lease, so a long
// build is not taken over by another replica.
const renewEvery = 10_000

// errLeaseLost stops a rebuild another replica has taken over.
var errLeaseLost = errors.New("another replica took over the index")

func (ix *Index) observe(st *State) {
	ready := st != nil && st.Built && st.Shape == ix.shape
	ix.built.Store(ready)
	if ix.cfg.Observer != nil && st != nil {
		ix.cfg.Observer.MatchIndex(ix.src.Name(), st.Rows, st.RefreshedAt, st.ReconciledAt, !ready)
	}
}

// rebuild streams the whole source into a new index; first says no complete index exists yet.
func (ix *Index) rebuild(ctx context.Context, first bool) error {
	name, start := ix.src.Name(), ix.cfg.Now()
	if first {
		ix.cfg.Log.InfoContext(ctx, "match index: first build under way; until it ends, contacts are matched live only and none is taken as new", "source", name)
	}
	rb, err := ix.store.BeginMatchRebuild(ctx, name)
	if err != nil {
		return err
	}
	var rows, records int64
	watermark, err := ix.src.Scan(ctx, "", func(recordID string, ids []profile.Identifier) error {
		rows += int64(len(ids))
		if first {
			ix.building.Store(rows)
		}
		if records++; records%renewEvery == 0 {
			now := ix.cfg.Now()
			if held, err := rb.Renew(ctx, ix.cfg.Owner, now, now.Add(ix.cfg.Lease)); err != nil || !held {
				return cmp.Or(err, errLeaseLost)
			}
		}
		return rb.Add(ctx, entries(recordID, ids)...)
	})
	if err != nil {
		return errors.Join(err, rb.Rollback())
	}
	st := State{Shape: ix.shape, Built: true, Watermark: watermark, RefreshedAt: start, ReconciledAt: start}
	if err := rb.Commit(ctx, st); err != nil {
		return err
	}
	ix.cfg.Log.InfoContext(ctx, "match index: built", "source", name, "entries", rows, "took", ix.cfg.Now().Sub(start).Round(time.Millisecond), "first", first)
	st.Rows = rows
	ix.observe(&st)
	return nil
}

// refresh replaces the entries of the records changed since the watermark.
func (ix *Index) refresh(ctx context.Context, st *State) error {
	start := ix.cfg.Now()
	var changed []string
	var all []Entry
	watermark, err := ix.src.Scan(ctx, st.Watermark, func(recordID string, ids []profile.Identifier) error {
		changed = append(changed, recordID)
		all = append(all, entries(recordID, ids)...)
		return nil
	})
	if err != nil {
		return err
	}
	next := State{Watermark: watermark, RefreshedAt: start}
	if err := ix.store.ReplaceMatchRecords(ctx, ix.src.Name(), changed, all, next); err != nil {
		return err
	}
	return nil
}

func entries(recordID string, ids []profile.Identifier) []Entry {
	out := make([]Entry, len(ids))
	for i, id := range ids {
		out[i] = Entry{Key: id.Key, Value: id.Value, RecordID: recordID}
	}
	return out
}
