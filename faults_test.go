package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/profile"
)

// faultySource is a real source behind a switch that delays or fails its lookups, the way a
// slow or dead CRM would.
type faultySource struct {
	profile.Source
	mu    sync.Mutex
	delay time.Duration
	err   error
	calls atomic.Int64
}

func (f *faultySource) set(delay time.Duration, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay, f.err = delay, err
}

func (f *faultySource) Lookup(ctx context.Context, ids []profile.Identifier) ([]profile.Record, error) {
	f.calls.Add(1)
	f.mu.Lock()
	delay, err := f.delay, f.err
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	return f.Source.Lookup(ctx, ids)
}

// withFaultyCRM starts a gateway whose CRM goes through a faultySource.
func withFaultyCRM(t *testing.T, cfg *config.Config) (*gateway, *faultySource) {
	crm := &faultySource{}
	wrap := func(s profile.Source) profile.Source {
		if s.Name() != "crm" {
			return s
		}
		crm.Source = s
		return crm
	}
	return startGatewayWith(t, cfg, true, func(o *appOptions) { o.wrapSource = wrap }), crm
}

func (g *gateway) unidentifiedCount() int {
	var n int
	if err := dbOf(g.t, g.cfg.StoreDatabase()).Get(&n, `SELECT COUNT(*) FROM unidentified_contacts`); err != nil {
		g.t.Fatal(err)
	}
	return n
}

// TestSlowSource: a CRM slower than its timeout is reported by name, the warehouse's answer
// still comes back, and nobody is recorded as a new contact.
func TestSlowSource(t *testing.T) {
	cfg := demoConfig(t, "sqlite")
	timeout := 150 * time.Millisecond
	cfg.Sources[0].Timeout = timeout
	g, crm := withFaultyCRM(t, cfg)
	crm.set(10*time.Second, nil)

	r := g.post(headerQuery, map[string]any{"key": "user_id", "value": "u-1001"})
	var out struct{ CustomerHeader header }
	if err := jsonUnmarshal(r.Data, &out); err != nil || !slices.Equal(r.codes(), []string{"SOURCE_UNAVAILABLE"}) ||
		r.Errors[0].Extensions["source"] != "crm" || !strings.Contains(r.Errors[0].Message, "within 150ms") {
		t.Fatalf("header with a hanging CRM: %s", r.raw)
	}
	if p := out.CustomerHeader.Profile; p.Status != "IDENTIFIED" || !slices.Equal(p.Sources, []string{"warehouse"}) {
		t.Fatalf("the warehouse's answer did not come back: %s", r.raw)
	}
	r = g.post(headerQuery, map[string]any{"key": "phonenumber", "value": "+1 646 555 0100"})
	if !slices.Equal(r.codes(), []string{"SOURCE_UNAVAILABLE"}) || string(r.Data) != "null" {
		t.Fatalf("unknown number with a hanging CRM: %s", r.raw)
	}
	if n := g.unidentifiedCount(); n != 0 {
		t.Fatalf("%d unidentified profiles created while the CRM hung", n)
	}
}

// TestCircuitBreaker: after the configured failures in a row the CRM is not asked any more and
// requests fail fast naming it; after open_for one probe finds it healthy and closes the breaker.
func TestCircuitBreaker(t *testing.T) {
	cfg := demoConfig(t, "sqlite")
	cfg.Breaker = config.Breaker{Failures: 3, OpenFor: 2 * time.Second} // long enough for the ten fast failures below, even under -race
	g, crm := withFaultyCRM(t, cfg)
	crm.set(0, errors.New("connection refused"))
	ask := func() *gqlResponse {
		return g.post(headerQuery, map[string]any{"key": "email", "value": "ada.lovelace@example.com"})
	}
	for range 3 {
		if r := ask(); !strings.Contains(r.Errors[0].Message, "lookup failed") {
			t.Fatalf("failing CRM: %s", r.raw)
		}
	}
	calls := crm.calls.Load()
	for range 10 {
		r := ask()
		if !slices.Equal(r.codes(), []string{"SOURCE_UNAVAILABLE"}) || r.Errors[0].Extensions["source"] != "crm" || !strings.Contains(r.Errors[0].Message, "circuit breaker is open") {
			t.Fatalf("with the breaker open: %s", r.raw)
		}
	}
	if got := crm.calls.Load(); got != calls {
		t.Fatalf("the CRM was asked %d more times while its breaker was open", got-calls)
	}
	crm.set(0, nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := ask()
		if len(r.Errors) == 0 {
			var out struct{ CustomerHeader header }
			r.decode(t, &out)
			if !slices.Equal(out.CustomerHeader.Profile.Sources, []string{"crm", "warehouse"}) {
				t.Fatalf("after the breaker closed: %s", r.raw)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the breaker did not close after the CRM recovered: %s", r.raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := g.unidentifiedCount(); n != 0 {
		t.Fatalf("%d unidentified profiles created while the CRM failed", n)
	}
}

// TestOverload: beyond max_in_flight a request waits in_flight_wait for a slot, then is
// answered 503 OVERLOADED with Retry-After and counted; the admitted request is answered in
// full, and once it ends the next one is admitted.
func TestOverload(t *testing.T) {
	cfg := demoConfig(t, "sqlite")
	cfg.Limits.MaxInFlight, cfg.Limits.InFlightWait = 1, 50*time.Millisecond
	g, crm := withFaultyCRM(t, cfg)
	crm.set(time.Second, nil)
	admitted := make(chan *gqlResponse, 1)
	go func() { admitted <- g.post(headerQuery, map[string]any{"key": "user_id", "value": "u-1001"}) }()
	for deadline := time.Now().Add(10 * time.Second); crm.calls.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first request never reached the CRM")
		}
	}

	resp, err := http.Post(g.srv.URL+"/query", "application/json", strings.NewReader(gql("{ "+ada+" }", nil)))
	if err != nil {
		t.Fatal(err)
	}
	shed, err := parseResponse(resp)
	if err != nil || shed.status != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" ||
		!slices.Equal(shed.codes(), []string{"OVERLOADED"}) || shed.Data != nil {
		t.Fatalf("request beyond the limit: %d %s", shed.status, shed.raw)
	}
	if r := <-admitted; r.status != http.StatusOK || len(r.Errors) != 0 || !strings.Contains(string(r.raw), "Ada Lovelace") {
		t.Fatalf("admitted request: %d %s", r.status, r.raw)
	}
	crm.set(0, nil)
	if r := g.post(headerQuery, map[string]any{"key": "user_id", "value": "u-1001"}); len(r.Errors) != 0 {
		t.Fatalf("request after the admitted one ended: %s", r.raw)
	}
	if _, metrics := g.get("/metrics"); sample(metrics, `profilegate_requests_total{operation="unknown",outcome="OVERLOADED"}`) != "1" {
		t.Fatalf("the refusal is not counted:\n%s", grepLines(metrics, "profilegate_requests_total"))
	}
}
