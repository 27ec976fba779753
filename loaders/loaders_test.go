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

func factory(src *fakeSource, wait time.Duration) *loaders.Factory {
	guarded := sources.Guard(src, 5*time.Second, sources.Breaker{}, nil)
	return loaders.NewFactory([]*sources.Guarded{guarded}, wait)
}

// operation returns ctx carrying a parsed operation, as gqlgen hands it to resolvers.
func operation(t *testing.T, query string) context.Context {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	return graphql.WithOperationContext(context.Background(), &graphql.OperationContext{RawQuery: query, Doc: doc, Operation: doc.Operations[0]})
}

// fetchAll runs one Fetch per identifier at once, as concurrent root fields do.
func fetchAll(ctx context.Context, l *loaders.Loaders, ids ...profile.Identifier) ([][]profile.Record, []error) {
	recs, errs := make([][]profile.Record, len(ids)), make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { recs[i], errs[i] = l.Fetch(ctx, "crm", []profile.Identifier{id}) })
	}
	wg.Wait()
	return recs, errs
}

// TestBatching: the Fetches of concurrent root fields are one lookup, asking for all their
// identifiers once, and each Fetch gets only the records carrying its own identifiers.
func TestBatching(t *testing.T) {
	src := &fakeSource{name: "crm", records: []profile.Record{ada, grace}}
	ctx := operation(t, `{ a: customerHeader b: customerHeader c: customerHeader }`)
	// The batch goes when all three root fields have asked: the wait is never reached.
	l := factory(src, time.Hour).New()
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

// TestSingleRootField: an operation with one root field has nothing to gather, so its lookups
// go at once, whatever the wait.
func TestSingleRootField(t *testing.T) {
	src := &fakeSource{name: "crm", records: []profile.Record{ada}}
	l := factory(src, time.Hour).New()
	recs, err := l.Fetch(operation(t, `{ customerHeader }`), "crm", []profile.Identifier{email("ada@example.com"), email("x@example.com")})
	if err != nil || len(recs) != 1 || len(src.calls()) != 1 {
		t.Fatalf("records %v, error %v, lookups %v", recs, err, src.calls())
	}
}

// TestCancelledCaller: the batch runs on its own context, so a caller leaving does not fail the
// batch the others joined. dataloader hands the batch one caller's context, which one depends
// on who asked first, so every caller leaves here: the lookup must still run and answer.
func TestCancelledCaller(t *testing.T) {
	src := &fakeSource{name: "crm", records: []profile.Record{ada, grace}, started: make(chan struct{}, 1), release: make(chan struct{})}
	ctx := operation(t, `{ a: customerHeader b: customerHeader }`)
	l := factory(src, time.Hour).New()
	adaCtx, cancelAda := context.WithCancel(ctx)
	graceCtx, cancelGrace := context.WithCancel(ctx)
	type answer struct {
		recs []profile.Record
		err  error
	}
	answers := make(chan answer, 2)
	for _, c := range []struct {
		ctx context.Context
		id  profile.Identifier
	}{{adaCtx, email("ada@example.com")}, {graceCtx, email("grace@example.com")}} {
		go func() {
			recs, err := l.Fetch(c.ctx, "crm", []profile.Identifier{c.id})
			answers <- answer{recs, err}
		}()
	}
	<-src.started // both have asked: the batch of two is under way
	cancelAda()
	cancelGrace()
	close(src.release)
	got := map[string]bool{}
	for range 2 {
		a := <-answers
		if a.err != nil {
			t.Fatalf("a caller got %v: the batch ran on a cancelled context", a.err)
		}
		for _, r := range a.recs {
			got[r.ID] = true
		}
	}
	if !got["1"] || !got["2"] || len(src.calls()) != 1 {
		t.Fatalf("records %v, lookups %v", got, src.calls())
	}
}

// TestSourceFailure: a failing source fails every Fetch of its batch with SOURCE_UNAVAILABLE
// naming the source, and an unknown source is an error, not a panic.
func TestSourceFailure(t *testing.T) {
	src := &fakeSource{name: "crm", fail: errors.New("connection refused")}
	l := factory(src, time.Hour).New()
	_, errs := fetchAll(operation(t, `{ a: x b: x }`), l, email("ada@example.com"), email("grace@example.com"))
	for _, err := range errs {
		var e *errcode.Error
		if !errors.As(err, &e) || e.Code != errcode.SourceUnavailable || e.Source != "crm" {
			t.Fatalf("error %v; want SOURCE_UNAVAILABLE from crm", err)
		}
	}
	if len(src.calls()) != 1 {
		t.Fatalf("lookups %v; want one for the batch", src.calls())
	}
	if _, err := l.Fetch(context.Background(), "billing", nil); err == nil {
		t.Fatal("a Fetch from an unknown source succeeded")
	}
}
