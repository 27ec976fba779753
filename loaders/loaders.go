// Package loaders gives each request one batching dataloader per profile source and stitching
// round, so that every lookup a request makes against a source in one round (across aliases
// and identifiers) is one query. Loaders are made per request by Middleware, reached with For,
// and each root field of the operation takes part in them through AroundRootField.
//
// A batch goes when it is ready, not when a timer says: each root field of the operation hands
// every source's loader of every round one key, its lookups or an empty key once it has
// nothing to ask, so a round's batch holds exactly the operation's root fields and goes the
// moment the last of them has asked. A resolution that ends early (no new identifiers, a
// blocked address, a field that looks nothing up) hands its empty keys at once.
//
// History pages batch the same way: each history source has one loader per request, and every
// root field hands it one key, its page request or an empty key when it ends without one, so
// the pages of an operation's aliases are one statement per source.
package loaders

import (
	"context"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/history"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/sources"
)

var _ profile.Fetcher = (*Loaders)(nil)

// fetch is one resolution's lookups of one round against one source; nil or empty when it has
// nothing to ask. Keys are pointers and the loaders keep no cache, so every root field's key
// counts towards the batch, even when two ask the same.
type fetch = []profile.Identifier

type loader = dataloader.Loader[*fetch, []profile.Record]

// historyLoader batches the pages of history a request asks one history source for; a nil
// request says "nothing from this root field".
type historyLoader = dataloader.Loader[*history.Request, []history.Activity]

// Factory makes the loaders of a request.
type Factory struct {
	sources   []*sources.Guarded
	histories []*sources.GuardedHistory
	rounds    int
	wait      time.Duration
	workers   workers
}

// NewFactory returns a Factory over sources for resolutions of at most rounds rounds (the
// stitching depth plus one), and over the history sources. wait is a safety bound: should a
// root field not hand its key, a batch goes after wait anyway. Close stops its workers.
func NewFactory(srcs []*sources.Guarded, histories []*sources.GuardedHistory, rounds int, wait time.Duration) *Factory {
	f := &Factory{sources: srcs, histories: histories, rounds: rounds, wait: wait}
	f.workers.start(workersPerCPU * runtime.GOMAXPROCS(0))
	return f
}

// Close stops the workers; lookups still to come get goroutines of their own.
func (f *Factory) Close() error {
	f.workers.stop()
	return nil
}

// workersPerCPU sizes the workers: a lookup mostly waits on SQLite, which runs on the CPUs, or
// on a connection of its source's pool (four by default).
const workersPerCPU = 4

// workers run the lookups a lone root field makes beside the one it runs itself. Their stacks
// are grown already: a goroutine per lookup started with a small stack that SQLite's deep
// calls grew by copying, several times a lookup (6 % of a header's CPU in BenchmarkServers,
// and 2 % more starting the goroutines; 0.6 and 0.9 % with workers). When every worker is
// busy, a lookup gets a goroutine of its own.
type workers struct {
	tasks chan func()
	done  chan struct{}
	once  sync.Once
}

func (w *workers) start(n int) {
	w.tasks, w.done = make(chan func()), make(chan struct{})
	for range n {
		go func() {
			for {
				select {
				case task := <-w.tasks:
					task()
				case <-w.done:
					return
				}
			}
		}()
	}
}

func (w *workers) stop() { w.once.Do(func() { close(w.done) }) }

// run runs task on an idle worker, or on a goroutine of its own when none is.
func (w *workers) run(task func()) {
	select {
	case w.tasks <- task:
	default:
		go task()
	}
}

// Loaders are one request's loaders: one per source and round.
type Loaders struct {
	factory *Factory
	once    sync.Once
	// byRound[r][i] is the loader of source i in round r; nil when the operation has a single
	// root field (or runs them one after another): its lookups then go at once.
	byRound [][]*loader
	// histories[i] is the loader of history source i, one page per root field; nil with
	// byRound.
	histories []*historyLoader
}

// New returns fresh loaders. They are built at the first lookup, when the operation is known.
func (f *Factory) New() *Loaders {
	return &Loaders{factory: f}
}

// build makes the loaders of an operation whose root fields run concurrently.
func (l *Loaders) build(ctx context.Context) {
	roots := rootFields(ctx)
	if roots < 2 {
		return
	}
	opts := []dataloader.Option[*fetch, []profile.Record]{
		dataloader.WithBatchCapacity[*fetch, []profile.Record](roots),
		dataloader.WithWait[*fetch, []profile.Record](l.factory.wait),
		dataloader.WithCache[*fetch, []profile.Record](&dataloader.NoCache[*fetch, []profile.Record]{}),
	}
	l.byRound = make([][]*loader, l.factory.rounds)
	for r := range l.byRound {
		l.byRound[r] = make([]*loader, len(l.factory.sources))
		for i, s := range l.factory.sources {
			l.byRound[r][i] = dataloader.NewBatchedLoader(batch(s), opts...)
		}
	}
	hopts := []dataloader.Option[*history.Request, []history.Activity]{
		dataloader.WithBatchCapacity[*history.Request, []history.Activity](roots),
		dataloader.WithWait[*history.Request, []history.Activity](l.factory.wait),
		dataloader.WithCache[*history.Request, []history.Activity](&dataloader.NoCache[*history.Request, []history.Activity]{}),
	}
	for _, h := range l.factory.histories {
		l.histories = append(l.histories, dataloader.NewBatchedLoader(historyBatch(h), hopts...))
	}
}

// rootFields counts the root fields of a query that run through AroundRootField (every one
// but __typename); 0 when the operation is unknown or is a mutation, whose fields run one
// after another and so cannot wait for each other.
func rootFields(ctx context.Context) int {
	if !graphql.HasOperationContext(ctx) {
		return 0
	}
	op := graphql.GetOperationContext(ctx)
	if op.Operation == nil || op.Operation.Operation != ast.Query {
		return 0
	}
	n := 0
	for _, f := range graphql.CollectFields(op, op.Operation.SelectionSet, nil) {
		if f.Name != "__typename" {
			n++
		}
	}
	return n
}

type ctxKey struct{}

// Middleware gives each request its own loaders.
func (f *Factory) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), f.New())))
	})
}

// NewContext returns ctx carrying l, as Middleware does for each request.
func NewContext(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}

// participant is one root field's part in the request's rounds and its history page.
type participant struct {
	mu   sync.Mutex
	next int // the next round it takes part in
	// paged is set once it has asked for its page of history, or said it will not.
	paged bool
}

type participantKey struct{}

// AroundRootField makes each root field of an operation a participant in the request's
// rounds, and hands its remaining empty keys when the field is resolved, whatever it did.
// Install it with the gqlgen server's AroundRootFields.
func AroundRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	p := &participant{}
	ctx = context.WithValue(ctx, participantKey{}, p)
	defer func() {
		l := For(ctx)
		l.Done(ctx)
		l.historyDone(ctx)
	}()
	return next(ctx)
}

// take returns the participant's next round, or -1 when it has no part in the rounds.
func (l *Loaders) take(ctx context.Context) (*participant, int) {
	l.once.Do(func() { l.build(ctx) })
	p, _ := ctx.Value(participantKey{}).(*participant)
	if p == nil || l.byRound == nil {
		return nil, -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next >= len(l.byRound) {
		return p, -1
	}
	p.next++
	return p, p.next - 1
}

// Fetch runs one round of the resolution in ctx. Its lookups join those of the operation's
// other root fields in the same round: one batch per source, which goes once every root field
// has asked or finished.
func (l *Loaders) Fetch(ctx context.Context, frontier map[string][]profile.Identifier) (map[string][]profile.Record, map[string]error) {
	_, round := l.take(ctx)
	found, errs := map[string][]profile.Record{}, map[string]error{}
	if round < 0 {
		l.alone(ctx, frontier, found, errs)
		return found, errs
	}
	thunks := make([]dataloader.Thunk[[]profile.Record], len(l.factory.sources))
	for i, s := range l.factory.sources {
		ids := frontier[s.Name()]
		thunks[i] = l.byRound[round][i].Load(ctx, &ids) // an empty key says "nothing this round"
	}
	for i, s := range l.factory.sources {
		if len(frontier[s.Name()]) == 0 {
			continue
		}
		recs, err := thunks[i]()
		if err != nil {
			errs[s.Name()] = err
		}
		if recs != nil {
			found[s.Name()] = recs
		}
	}
	return found, errs
}

// alone looks a round up with no other root field to wait for: each source at once, the last
// on the caller's goroutine and the others on the workers. A goroutine of its own starts with a
// small stack that SQLite's deep calls grow by copying, several times per lookup, while the
// caller's is already grown: two goroutines a round instead of one were 4 % of a request's CPU.
func (l *Loaders) alone(ctx context.Context, frontier map[string][]profile.Identifier, found map[string][]profile.Record, errs map[string]error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var asked []*sources.Guarded
	for _, s := range l.factory.sources {
		if len(frontier[s.Name()]) > 0 {
			asked = append(asked, s)
		}
	}
	lookup := func(s *sources.Guarded) {
		recs, err := s.Lookup(context.WithoutCancel(ctx), frontier[s.Name()], 1)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs[s.Name()] = err
		}
		if recs != nil && (err == nil || err.Code == errcode.SourceIncomplete) {
			found[s.Name()] = recs
		}
	}
	for i, s := range asked {
		if i == len(asked)-1 {
			lookup(s)
			break
		}
		wg.Add(1)
		l.factory.workers.run(func() {
			defer wg.Done()
			lookup(s)
		})
	}
	wg.Wait()
}

// Done hands the empty keys of every round the resolution in ctx has not asked in, so the
// operation's other root fields need not wait for it. It may be called more than once.
func (l *Loaders) Done(ctx context.Context) {
	if l == nil {
		return
	}
	l.once.Do(func() { l.build(ctx) })
	p, _ := ctx.Value(participantKey{}).(*participant)
	if p == nil || l.byRound == nil {
		return
	}
	p.mu.Lock()
	from := p.next
	p.next = len(l.byRound)
	p.mu.Unlock()
	for r := from; r < len(l.byRound); r++ {
		for _, ld := range l.byRound[r] {
			ld.Load(ctx, new(fetch))
		}
	}
}

// batch looks the identifiers of a batch of fetches up in one call and hands each fetch the
// records carrying any of its identifiers; a batch of empty fetches asks nothing. It sets its
// own deadline: dataloader passes the first caller's context, whose cancellation must not fail
// the other callers of the batch.
func batch(s *sources.Guarded) dataloader.BatchFunc[*fetch, []profile.Record] {
	return func(ctx context.Context, keys []*fetch) []*dataloader.Result[[]profile.Record] {
		results := make([]*dataloader.Result[[]profile.Record], len(keys))
		var all []profile.Identifier
		asking := 0
		seen := map[profile.Identifier]bool{}
		for _, k := range keys {
			if len(*k) > 0 {
				asking++
			}
			for _, id := range *k {
				if !seen[id] {
					seen[id] = true
					all = append(all, id)
				}
			}
		}
		var recs []profile.Record
		var err *errcode.Error
		if len(all) > 0 {
			recs, err = s.Lookup(context.WithoutCancel(ctx), all, asking)
		}
		for i, k := range keys {
			if err != nil && err.Code != errcode.SourceIncomplete {
				results[i] = &dataloader.Result[[]profile.Record]{Error: err}
				continue
			}
			var matched []profile.Record
			for _, r := range recs {
				if slices.ContainsFunc(*k, r.Has) {
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

// History asks the history sources for the page of the resolution in ctx: one request per
// source named in reqs. Its requests join those of the operation's other root fields: one
// statement per source, which goes once every root field has asked or finished.
func (l *Loaders) History(ctx context.Context, reqs map[string]history.Request) (map[string][]history.Activity, map[string]error) {
	l.once.Do(func() { l.build(ctx) })
	found, errs := map[string][]history.Activity{}, map[string]error{}
	p, _ := ctx.Value(participantKey{}).(*participant)
	batched := false
	if p != nil && l.histories != nil {
		p.mu.Lock()
		batched, p.paged = !p.paged, true
		p.mu.Unlock()
	}
	thunks := make([]dataloader.Thunk[[]history.Activity], len(l.factory.histories))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, h := range l.factory.histories {
		r, ok := reqs[h.Name()]
		switch {
		case batched && ok:
			thunks[i] = l.histories[i].Load(ctx, &r)
		case batched:
			thunks[i] = l.histories[i].Load(ctx, nil)
		case ok:
			wg.Go(func() {
				pages, err := h.History(context.WithoutCancel(ctx), []history.Request{r})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs[h.Name()] = err
					return
				}
				found[h.Name()] = pages[0]
			})
		}
	}
	wg.Wait()
	for i, h := range l.factory.histories {
		if thunks[i] == nil {
			continue
		}
		if _, ok := reqs[h.Name()]; !ok {
			continue
		}
		page, err := thunks[i]()
		if err != nil {
			errs[h.Name()] = err
			continue
		}
		found[h.Name()] = page
	}
	return found, errs
}

// historyDone hands the history loaders the empty keys of a root field that asked no
// history, so the others' pages need not wait for it.
func (l *Loaders) historyDone(ctx context.Context) {
	if l == nil || l.histories == nil {
		return
	}
	p, _ := ctx.Value(participantKey{}).(*participant)
	if p == nil {
		return
	}
	p.mu.Lock()
	paged := p.paged
	p.paged = true
	p.mu.Unlock()
	if !paged {
		for _, ld := range l.histories {
			ld.Load(ctx, nil)
		}
	}
}

// historyBatch reads the pages of a batch of requests in one statement; nil keys ask nothing.
func historyBatch(h *sources.GuardedHistory) dataloader.BatchFunc[*history.Request, []history.Activity] {
	return func(ctx context.Context, keys []*history.Request) []*dataloader.Result[[]history.Activity] {
		results := make([]*dataloader.Result[[]history.Activity], len(keys))
		var reqs []history.Request
		var at []int
		for i, k := range keys {
			results[i] = &dataloader.Result[[]history.Activity]{}
			if k != nil {
				reqs = append(reqs, *k)
				at = append(at, i)
			}
		}
		if len(reqs) == 0 {
			return results
		}
		pages, err := h.History(context.WithoutCancel(ctx), reqs)
		for j, i := range at {
			if err != nil {
				results[i].Error = err
				continue
			}
			results[i].Data = pages[j]
		}
		return results
	}
}
