// Package loaders gives each request one batching dataloader per profile source, so that every
// lookup a request makes against a source in one round (across aliases and identifiers) is one
// query. Loaders are made per request by Middleware and reached with For.
package loaders

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/profilegate/profilegate/profile"
)

var _ profile.Fetcher = (*Loaders)(nil)

type loader = dataloader.Loader[profile.Identifier, []profile.Record]

// Source is a profile source and the time one lookup against it may take.
type Source struct {
	profile.Source
	Timeout time.Duration
}

// Factory makes the loaders of a request.
type Factory struct {
	sources []Source
	wait    time.Duration
}

// NewFactory returns a Factory over sources; wait is how long a loader gathers lookups into
// one batch.
func NewFactory(sources []Source, wait time.Duration) *Factory {
	return &Factory{sources: sources, wait: wait}
}

// Loaders are one request's loaders, one per source.
type Loaders struct {
	bySource map[string]*loader
}

// New returns fresh loaders, with empty caches.
func (f *Factory) New() *Loaders {
	l := &Loaders{bySource: make(map[string]*loader, len(f.sources))}
	for _, s := range f.sources {
		l.bySource[s.Name()] = dataloader.NewBatchedLoader(batch(s), dataloader.WithWait[profile.Identifier, []profile.Record](f.wait))
	}
	return l
}

type ctxKey struct{}

// Middleware gives each request its own loaders.
func (f *Factory) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, f.New())))
	})
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}

// Fetch returns the records of source carrying any of ids. Every id is queued before any is
// awaited, so one call is always one batch.
func (l *Loaders) Fetch(ctx context.Context, source string, ids []profile.Identifier) ([]profile.Record, error) {
	ld, ok := l.bySource[source]
	if !ok {
		return nil, fmt.Errorf("loaders: no source %q", source)
	}
	thunks := make([]dataloader.Thunk[[]profile.Record], len(ids))
	for i, id := range ids {
		thunks[i] = ld.Load(ctx, id)
	}
	var out []profile.Record
	seen := map[string]bool{}
	for _, th := range thunks {
		recs, err := th()
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// batch looks a batch of identifiers up in one call and hands each identifier the records
// carrying it. It sets its own deadline: dataloader passes the first caller's context, whose
// cancellation must not fail the other callers of the batch.
func batch(s Source) dataloader.BatchFunc[profile.Identifier, []profile.Record] {
	return func(ctx context.Context, ids []profile.Identifier) []*dataloader.Result[[]profile.Record] {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.Timeout)
		defer cancel()
		results := make([]*dataloader.Result[[]profile.Record], len(ids))
		recs, err := s.Lookup(ctx, ids)
		if err != nil {
			e := sourceError(s, err)
			for i := range results {
				results[i] = &dataloader.Result[[]profile.Record]{Error: e}
			}
			return results
		}
		for i, id := range ids {
			var matched []profile.Record
			for _, r := range recs {
				if r.Has(id) {
					matched = append(matched, r)
				}
			}
			results[i] = &dataloader.Result[[]profile.Record]{Data: matched}
		}
		return results
	}
}

func sourceError(s Source, err error) *profile.Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return profile.SourceError(s.Name(), fmt.Sprintf("did not answer within %s", s.Timeout), err)
	}
	return profile.SourceError(s.Name(), "lookup failed", err)
}
