package loaders_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/loaders"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/sources"
)

// fakeSource holds records in memory and records each lookup it answers.
type fakeSource struct {
	name    string
	records []profile.Record
	fail    error
	// started, when set, is told of each lookup; release, when set, holds it until closed.
	started, release chan struct{}

	mu      sync.Mutex
	lookups [][]profile.Identifier
}

func (f *fakeSource) Name() string { return f.name }

func (f *fakeSource) Lookup(ctx context.Context, ids []profile.Identifier) ([]profile.Record, error) {
	if f.started != nil {
		f.started <- struct{}{}
	}
	if f.release != nil {
		<-f.release
	}
	if err := ctx.Err(); err != nil {
		return nil, err // a batch must not run on a caller's cancelled context
	}
	f.mu.Lock()
	f.lookups = append(f.lookups, slices.Clone(ids))
	f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	var out []profile.Record
	for _, r := range f.records {
		if slices.ContainsFunc(ids, r.Has) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeSource) calls() [][]profile.Identifier {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.lookups)
}

func email(v string) profile.Identifier { return profile.Identifier{Key: "email", Value: v} }

var (
	ada   = profile.Record{Source: "crm", ID: "1", Identifiers: []profile.Identifier{email("ada@example.com")}}
	grace = profile.Record{Source: "crm", ID: "2", Identifiers: []profile.Identifier{email("grace@example.com")}}
)

func factory(wait time.Duration, srcs ...*fakeSource) *loaders.Factory {
	var guarded []*sources.Guarded
	for _, src := range srcs {
		guarded = append(guarded, sources.Guard(src, 5*time.Second, sources.Breaker{}, nil))
	}
	return loaders.NewFactory(guarded, nil, 3, wait)
}

// operation returns a context carrying a parsed operation, as gqlgen hands it to resolvers,
// and fresh loaders of f.
func operation(t *testing.T, f *loaders.Factory, query string) (context.Context, *loaders.Loaders) {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	l := f.New()
	ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{RawQuery: query, Doc: doc, Operation: doc.Operations[0]})
	return loaders.NewContext(ctx, l), l
}

// rootFields runs each of fields as a concurrent root field of the operation in ctx, through
// AroundRootField as gqlgen does.
func rootFields(ctx context.Context, fields ...func(ctx context.Context)) {
	var wg sync.WaitGroup
	for _, f := range fields {
		wg.Go(func() {
			loaders.AroundRootField(ctx, func(ctx context.Context) graphql.Marshaler {
				f(ctx)
				return graphql.Null
			})
		})
	}
	wg.Wait()
}

// fetchAll runs one root field per identifier, each asking the crm once.
func fetchAll(ctx context.Context, l *loaders.Loaders, ids ...profile.Identifier) ([][]profile.Record, []error) {
	recs, errs := make([][]profile.Record, len(ids)), make([]error, len(ids))
	var fields []func(context.Context)
	for i, id := range ids {
		fields = append(fields, func(ctx context.Context) {
			found, failed := l.Fetch(ctx, map[string][]profile.Identifier{"crm": {id}})
			recs[i], errs[i] = found["crm"], failed["crm"]
		})
	}
	rootFields(ctx, fields...)
	return recs, errs
}

// TestBatching: the lookups of concurrent root fields are one lookup, asking for all their
// identifiers once, and each root field gets only the records carrying its own identifiers.
func TestBatching(t *testing.T) {
	src := &fakeSource{name: "crm", records: []profile.Record{ada, grace}}
	// The batch goes when all three root fields have asked: the wait is never reached.
	ctx, l := operation(t, factory(time.Hour, src), `{ a: customerHeader b: customerHeader c: customerHeader }`)
	recs, errs := fetchAll(ctx, l, email("ada@example.com"), email("grace@example.com"), email("nobody@example.com"))
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	calls := src.calls()
	if len(calls) != 1 || len(calls[0]) != 3 {
		t.Fatalf("lookups %v; want one asking for the three identifiers", calls)
	}
	if len(recs[0]) != 1 || recs[0][0].ID != "1" || len(recs[1]) != 1 || recs[1][0].ID != "2" || len(recs[2]) != 0 {
		t.Fatalf("attribution: %v", recs)
	}
}

// TestRoundsByReadiness: whatever each root field does between rounds and however long it
// takes, each source gets one lookup per round that anyone asked it something in. A field that
// asks in three rounds, one that asks once and is done, one that is slow between its rounds
// and one that looks nothing up share the rounds, with no timer: the wait is an hour.
func TestRoundsByReadiness(t *testing.T) {
	crm := &fakeSource{name: "crm", records: []profile.Record{ada, grace}}
	warehouse := &fakeSource{name: "warehouse"}
	ctx, l := operation(t, factory(time.Hour, crm, warehouse), `{ a: customerHeader b: customerHeader c: customerHeader settings }`)
	ask := func(ctx context.Context, frontier map[string][]profile.Identifier) {
		if _, errs := l.Fetch(ctx, frontier); len(errs) > 0 {
			t.Error(errs)
		}
	}
	rootFields(ctx,
		func(ctx context.Context) { // three rounds
			ask(ctx, map[string][]profile.Identifier{"crm": {email("ada@example.com")}, "warehouse": {email("ada@example.com")}})
			ask(ctx, map[string][]profile.Identifier{"warehouse": {email("a2@example.com")}})
			ask(ctx, map[string][]profile.Identifier{"crm": {email("a3@example.com")}})
		},
		func(ctx context.Context) { // one round, then done
			ask(ctx, map[string][]profile.Identifier{"crm": {email("grace@example.com")}})
			l.Done(ctx)
			time.Sleep(20 * time.Millisecond) // rendering, recording: nobody waits for it
		},
		func(ctx context.Context) { // slow between its rounds
			ask(ctx, map[string][]profile.Identifier{"crm": {email("c1@example.com")}})
			time.Sleep(20 * time.Millisecond)
			ask(ctx, map[string][]profile.Identifier{"crm": {email("c2@example.com")}, "warehouse": {email("c2@example.com")}})
		},
		func(ctx context.Context) {}, // settings: no lookups
	)
	want := map[*fakeSource][][]profile.Identifier{
		crm:       {{email("ada@example.com"), email("grace@example.com"), email("c1@example.com")}, {email("c2@example.com")}, {email("a3@example.com")}},
		warehouse: {{email("ada@example.com")}, {email("a2@example.com"), email("c2@example.com")}},
	}
	for src, rounds := range want {
		calls := src.calls()
		if len(calls) != len(rounds) {
			t.Fatalf("%s: lookups %v; want one per round: %v", src.name, calls, rounds)
		}
		for i := range rounds {
			if !sameSet(calls[i], rounds[i]) {
				t.Errorf("%s round %d asked %v, want %v", src.name, i, calls[i], rounds[i])
			}
		}
	}
}

func sameSet(a, b []profile.Identifier) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(x profile.Identifier) bool { return !slices.Contains(b, x) })
}

// TestSingleRootField: an operation with one root field has nothing to gather, so its lookups
// go at once, whatever the wait; so do those of a mutation, whose fields run one by one.
func TestSingleRootField(t *testing.T) {
	for _, query := range []string{`{ customerHeader }`, `mutation { a: updateSettings b: updateSettings }`} {
		src := &fakeSource{name: "crm", records: []profile.Record{ada}}
		ctx, l := operation(t, factory(time.Hour, src), query)
		var found map[string][]profile.Record
		var errs map[string]error
		rootFields(ctx, func(ctx context.Context) {
			found, errs = l.Fetch(ctx, map[string][]profile.Identifier{"crm": {email("ada@example.com"), email("x@example.com")}})
		})
		if len(errs) > 0 || len(found["crm"]) != 1 || len(src.calls()) != 1 {
			t.Fatalf("%s: records %v, errors %v, lookups %v", query, found, errs, src.calls())
		}
	}
}

// TestLoneFieldAsksSourcesAtOnce: a lone root field asks every source of a round at once, the
// last on its own goroutine and the others on the factory's workers; when every worker is busy
// (more lone fields than workers, all held) or the workers are stopped, a lookup gets a
// goroutine of its own rather than wait.
func TestLoneFieldAsksSourcesAtOnce(t *testing.T) {
	const fields = 40 // beyond the workers of any machine the tests run on
	started := make(chan struct{}, 2*fields)
	crm := &fakeSource{name: "crm", records: []profile.Record{ada}, started: started, release: make(chan struct{})}
	warehouse := &fakeSource{name: "warehouse", records: []profile.Record{{Source: "warehouse", ID: "w1", Identifiers: []profile.Identifier{email("ada@example.com")}}},
		started: started, release: crm.release}
	f := factory(time.Hour, crm, warehouse)
	for _, phase := range []string{"workers", "stopped"} {
		if phase == "stopped" {
			f.Close()
			release := make(chan struct{})
			crm.release, warehouse.release = release, release
		}
		results := make(chan map[string][]profile.Record, fields)
		for range fields {
			ctx, l := operation(t, f, `{ customerHeader }`)
			go rootFields(ctx, func(ctx context.Context) {
				found, errs := l.Fetch(ctx, map[string][]profile.Identifier{"crm": {email("ada@example.com")}, "warehouse": {email("ada@example.com")}})
				if len(errs) > 0 {
					t.Errorf("%s: errors %v", phase, errs)
				}
				results <- found
			})
		}
		timeout := time.After(10 * time.Second)
		for range 2 * fields { // every lookup of every field is under way before any ends
			select {
			case <-started:
			case <-timeout:
				t.Fatalf("%s: a lookup waited for another to end", phase)
			}
		}
		close(crm.release)
		for range fields {
			if found := <-results; len(found["crm"]) != 1 || len(found["warehouse"]) != 1 {
				t.Fatalf("%s: records %v", phase, found)
			}
		}
	}
}

// TestCancelledCaller: the batch runs on its own context, so a caller leaving does not fail the
// batch the others joined. dataloader hands the batch one caller's context, which one depends
// on who asked first, so every caller leaves here: the lookup must still run and answer.
func TestCancelledCaller(t *testing.T) {
	src := &fakeSource{name: "crm", records: []profile.Record{ada, grace}, started: make(chan struct{}, 1), release: make(chan struct{})}
	ctx, l := operation(t, factory(time.Hour, src), `{ a: customerHeader b: customerHeader }`)
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		<-src.started // both have asked: the batch of two is under way
		cancel()
		close(src.release)
	}()
	recs, errs := fetchAll(ctx, l, email("ada@example.com"), email("grace@example.com"))
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("a caller got %v: the batch ran on a cancelled context", err)
	}
	if len(recs[0]) != 1 || len(recs[1]) != 1 || len(src.calls()) != 1 {
		t.Fatalf("records %v, lookups %v", recs, src.calls())
	}
}

// TestSourceFailure: a failing source fails every root field of its batch with
// SOURCE_UNAVAILABLE naming the source.
func TestSourceFailure(t *testing.T) {
	src := &fakeSource{name: "crm", fail: errors.New("connection refused")}
	ctx, l := operation(t, factory(time.Hour, src), `{ a: x b: x }`)
	_, errs := fetchAll(ctx, l, email("ada@example.com"), email("grace@example.com"))
	for _, err := range errs {
		var e *errcode.Error
		if !errors.As(err, &e) || e.Code != errcode.SourceUnavailable || e.Source != "crm" {
			t.Fatalf("error %v; want SOURCE_UNAVAILABLE from crm", err)
		}
	}
	if len(src.calls()) != 1 {
		t.Fatalf("lookups %v; want one for the batch", src.calls())
	}
}
