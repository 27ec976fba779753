// Package loaders gives each request one batching dataloader per profile source, so that every
// lookup a request makes against a source in one round (across aliases and identifiers) is one
// query. Loaders are made per request by Middleware and reached with For.
//
// A loader's key is one Fetch: the whole set of identifiers one resolution asks of a source in
// one round. One Fetch is therefore never split across batches, and the batch function joins
// the Fetches of concurrent root fields into one lookup.
package loaders

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/sources"
)

var _ profile.Fetcher = (*Loaders)(nil)

type loader = dataloader.Loader[string, []profile.Record]

// Factory makes the loaders of a request.
type Factory struct {
	sources []*sources.Guarded
	wait    time.Duration
}

// NewFactory returns a Factory over sources; wait bounds how long a batch waits for the
// lookups of an operation's other root fields (see build).
func NewFactory(srcs []*sources.Guarded, wait time.Duration) *Factory {
	return &Factory{sources: srcs, wait: wait}
}

// Loaders are one request's loaders, one per source.
type Loaders struct {
	factory  *Factory
	once     sync.Once
	bySource map[string]*loader
}

// New returns fresh loaders, with empty caches. They are built at the first lookup, when the
// operation is known.
func (f *Factory) New() *Loaders {
	return &Loaders{factory: f}
}

// build makes the loaders. gqlgen resolves an operation's root fields concurrently, so a
// batch gathers their lookups: it goes as soon as every root field has asked (the first round),
// or when the wait ends (later rounds, where some fields may be done). An operation with one
// root field has nothing to gather, and its batches go at once.
func (l *Loaders) build(ctx context.Context) {
	roots, wait := rootFields(ctx), l.factory.wait
	var opts []dataloader.Option[string, []profile.Record]
	switch {
	case roots == 1:
		wait = 0
	case roots > 1:
		opts = append(opts, dataloader.WithBatchCapacity[string, []profile.Record](roots))
	}
	opts = append(opts, dataloader.WithWait[string, []profile.Record](wait))
	l.bySource = make(map[string]*loader, len(l.factory.sources))
	for _, s := range l.factory.sources {
		l.bySource[s.Name()] = dataloader.NewBatchedLoader(batch(s), opts...)
	}
}

// rootFields counts the operation's root fields; 0 when the operation is unknown.
func rootFields(ctx context.Context) int {
	if !graphql.HasOperationContext(ctx) {
		return 0
	}
	op := graphql.GetOperationContext(ctx)
	if op.Operation == nil {
		return 0
	}
	n := 0
	for _, f := range graphql.CollectFields(op, op.Operation.SelectionSet, nil) {
		if !strings.HasPrefix(f.Name, "__") {
			n++
		}
	}
	return n
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

// Fetch returns the records of source carrying any of ids.
func (l *Loaders) Fetch(ctx context.Context, source string, ids []profile.Identifier) ([]profile.Record, error) {
	l.once.Do(func() { l.build(ctx) })
	ld, ok := l.bySource[source]
	if !ok {
		return nil, fmt.Errorf("loaders: no source %q", source)
	}
	key, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	return ld.Load(ctx, string(key))()
}

// batch looks the identifiers of a batch of Fetches up in one call and hands each Fetch the
// records carrying any of its identifiers. It sets its own deadline: dataloader passes the
// first caller's context, whose cancellation must not fail the other callers of the batch.
func batch(s *sources.Guarded) dataloader.BatchFunc[string, []profile.Record] {
	return func(ctx context.Context, keys []string) []*dataloader.Result[[]profile.Record] {
		results := make([]*dataloader.Result[[]profile.Record], len(keys))
		fetches := make([][]profile.Identifier, len(keys))
		var all []profile.Identifier
		seen := map[profile.Identifier]bool{}
		for i, k := range keys {
			_ = json.Unmarshal([]byte(k), &fetches[i]) // keys are made by Fetch
			for _, id := range fetches[i] {
				if !seen[id] {
					seen[id] = true
					all = append(all, id)
				}
			}
		}
		recs, err := s.Lookup(context.WithoutCancel(ctx), all, len(keys))
		for i, ids := range fetches {
			if err != nil && err.Code != errcode.SourceIncomplete {
				results[i] = &dataloader.Result[[]profile.Record]{Error: err}
				continue
			}
			var matched []profile.Record
			for _, r := range recs {
				if slices.ContainsFunc(ids, r.Has) {
					matched = append(matched, r)
				}
			}
			results[i] = &dataloader.Result[[]profile.Record]{Data: matched}
			if err != nil {
				results[i].Error = err // answered, but maybe not everything: the records count
			}
		}
		return results
	}
}
