package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/gatewaytest"
)

// withFaultyCRM starts the demo on PostgreSQL with a fault proxy in front of the CRM's
// database. Health checks and the match index's refreshes wait an hour, so after the index's
// first build the CRM is reached only by the test's requests.
func withFaultyCRM(t testing.TB, cfg *config.Config) (*gatewaytest.Env, *gatewaytest.Fault) {
	t.Helper()
	cfg.HealthInterval = time.Hour
	cfg.MatchIndex = config.MatchIndex{Refresh: time.Hour, Reconcile: time.Hour}
	g := gatewaytest.Start(t, cfg, gatewaytest.WithFaults())
	// The first health check has passed (a failing one is retried every second, and would
	// reach the CRM while a test counts its calls).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if status, _ := g.Get("/readyz"); status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gateway never became ready")
		}
	}
	return g, g.Fault("crm")
}

// TestSlowSource: a CRM slower than its timeout is reported by name, the warehouse's answer
// still comes back, and nobody is recorded as a new contact.
func TestSlowSource(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "postgres")
	timeout := 150 * time.Millisecond
	cfg.Sources[0].Timeout = timeout
	g, crm := withFaultyCRM(t, cfg)
	crm.Delay(10 * time.Second)

	r := g.Post(gatewaytest.HeaderQuery, map[string]any{"key": "user_id", "value": "u-1001"})
	var out struct{ CustomerHeader gatewaytest.Header }
	if err := json.Unmarshal(r.Data, &out); err != nil || !slices.Equal(r.Codes(), []string{"SOURCE_UNAVAILABLE"}) ||
		r.Errors[0].Extensions["source"] != "crm" || !strings.Contains(r.Errors[0].Message, "within 150ms") {
		t.Fatalf("header with a hanging CRM: %s", r.Raw)
	}
	if p := out.CustomerHeader.Profile; p.Status != "IDENTIFIED" || !slices.Equal(p.Sources, []string{"warehouse"}) {
		t.Fatalf("the warehouse's answer did not come back: %s", r.Raw)
	}
	r = g.Post(gatewaytest.HeaderQuery, map[string]any{"key": "phonenumber", "value": "+1 646 555 0100"})
	if !slices.Equal(r.Codes(), []string{"SOURCE_UNAVAILABLE"}) || string(r.Data) != "null" {
		t.Fatalf("unknown number with a hanging CRM: %s", r.Raw)
	}
	if n := g.UnidentifiedCount(); n != 0 {
		t.Fatalf("%d unidentified profiles created while the CRM hung", n)
	}
}

// TestCircuitBreaker: after the configured failures in a row the CRM is not asked any more and
// requests fail fast naming it; after open_for one probe finds it healthy and closes the breaker.
func TestCircuitBreaker(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "postgres")
	cfg.Breaker = config.Breaker{Failures: 3, OpenFor: 3 * time.Second} // long enough for the ten fast failures below, even under -race
	g, crm := withFaultyCRM(t, cfg)
	crm.Fail()
	ask := func() *gatewaytest.Response {
		return g.Post(gatewaytest.HeaderQuery, map[string]any{"key": "email", "value": "ada.lovelace@example.com"})
	}
	for range 3 {
		if r := ask(); !strings.Contains(r.Errors[0].Message, "lookup failed") {
			t.Fatalf("failing CRM: %s", r.Raw)
		}
	}
	// What the failures leave behind settles first: a connection the failed lookups started
	// can reach the proxy just after their answers (1 ms after, in one run of 20 beside two CPU
	// hogs), before the breaker had anything to do with it.
	calls := crm.Calls()
	for quiet := time.Now(); time.Since(quiet) < 100*time.Millisecond; time.Sleep(10 * time.Millisecond) {
		if n := crm.Calls(); n != calls {
			calls, quiet = n, time.Now()
		}
	}
	for range 10 {
		r := ask()
		if !slices.Equal(r.Codes(), []string{"SOURCE_UNAVAILABLE"}) || r.Errors[0].Extensions["source"] != "crm" || !strings.Contains(r.Errors[0].Message, "circuit breaker is open") {
			t.Fatalf("with the breaker open: %s", r.Raw)
		}
	}
	if got := crm.Calls(); got != calls {
		t.Fatalf("the CRM was asked %d more times while its breaker was open", got-calls)
	}
	crm.Heal()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := ask()
		if len(r.Errors) == 0 {
			var out struct{ CustomerHeader gatewaytest.Header }
			r.Decode(t, &out)
			if !slices.Equal(out.CustomerHeader.Profile.Sources, []string{"crm", "warehouse"}) {
				t.Fatalf("after the breaker closed: %s", r.Raw)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the breaker did not close after the CRM recovered: %s", r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := g.UnidentifiedCount(); n != 0 {
		t.Fatalf("%d unidentified profiles created while the CRM failed", n)
	}
}

// TestOverload: beyond max_in_flight a request waits in_flight_wait for a slot, then is
// answered 503 OVERLOADED with Retry-After and counted; the admitted request is answered in
// full, and once it ends the next one is admitted.
func TestOverload(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "postgres")
	cfg.Limits.MaxInFlight, cfg.Limits.InFlightWait = 1, 50*time.Millisecond
	cfg.Sources[0].Timeout = 20 * time.Second // the admitted request is slow, not failed
	g, crm := withFaultyCRM(t, cfg)
	crm.Delay(300 * time.Millisecond)
	before := crm.Calls()
	admitted := make(chan *gatewaytest.Response, 1)
	go func() {
		r, err := g.Try([]byte(gatewaytest.Body(gatewaytest.HeaderQuery, map[string]any{"key": "user_id", "value": "u-1001"})))
		if err != nil {
			r = &gatewaytest.Response{Raw: []byte(err.Error())}
		}
		admitted <- r
	}()
	for deadline := time.Now().Add(10 * time.Second); crm.Calls() == before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first request never reached the CRM")
		}
	}

	resp, err := http.Post(g.URL+"/query", "application/json", strings.NewReader(gatewaytest.Body("{ "+ada+" }", nil)))
	if err != nil {
		t.Fatal(err)
	}
	shed, err := gatewaytest.ReadResponse(resp)
	if err != nil || shed.Status != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" ||
		!slices.Equal(shed.Codes(), []string{"OVERLOADED"}) || shed.Data != nil {
		t.Fatalf("request beyond the limit: %d %s", shed.Status, shed.Raw)
	}
	if r := <-admitted; r.Status != http.StatusOK || len(r.Errors) != 0 || !strings.Contains(string(r.Raw), "Ada Lovelace") {
		t.Fatalf("admitted request: %d %s", r.Status, r.Raw)
	}
	crm.Heal()
	if r := g.Post(gatewaytest.HeaderQuery, map[string]any{"key": "user_id", "value": "u-1001"}); len(r.Errors) != 0 {
		t.Fatalf("request after the admitted one ended: %s", r.Raw)
	}
	if _, metrics := g.Get("/metrics"); sample(metrics, `profilegate_requests_total{operation="unknown",outcome="OVERLOADED"}`) != "1" {
		t.Fatalf("the refusal is not counted:\n%s", grepLines(metrics, "profilegate_requests_total"))
	}
}

// TestSilentClients: clients that send their headers and then nothing, or trickle their body,
// hold no slot: with room for two requests at once, ten of them leave a caller answered, and
// are themselves answered 408 REQUEST_TIMEOUT once the body read deadline passes.
func TestSilentClients(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	cfg.Limits.MaxInFlight, cfg.Limits.BodyReadTimeout = 2, time.Second
	g := gatewaytest.Start(t, cfg)
	answers := make(chan string, 10)
	for i := range 10 {
		conn, err := net.Dial("tcp", g.Host())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /query HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", g.Host())
		if i%2 == 1 {
			conn.Write([]byte(`{"qu`)) // a trickle that stops
		}
		go func() {
			b, _ := io.ReadAll(conn)
			answers <- string(b)
		}()
	}
	time.Sleep(100 * time.Millisecond) // the silent ones are in
	if h := g.Header("user_id", "u-1001"); h.Name != "Ada Lovelace" {
		t.Fatalf("a caller beside silent clients: %+v", h)
	}
	for range 10 {
		if a := <-answers; !strings.Contains(a, "408 Request Timeout") || !strings.Contains(a, `"REQUEST_TIMEOUT"`) {
			t.Fatalf("a silent client was answered %q", a)
		}
	}
}
