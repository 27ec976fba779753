package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/gateway"
	"github.com/profilegate/profilegate/internal/gatewaytest"
)

func TestMetrics(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "postgres")
	cfg.Breaker = config.Breaker{Failures: 1, OpenFor: time.Hour}
	g, crm := withFaultyCRM(t, cfg)
	g.Header("email", "ada.lovelace@example.com")
	g.Header("phonenumber", "+1 646 555 0111") // a new contact
	g.Post(`{ a: customerHeader(identifier: {key: "user_id", value: "u-1001"}) { name }
  b: customerHeader(identifier: {key: "email", value: "grace.hopper@example.com"}) { name }
  c: customerHeader(identifier: {key: "email", value: "katherine@example.com"}) { name } }`, nil)
	crm.Fail()
	g.Post(gatewaytest.HeaderQuery, map[string]any{"key": "user_id", "value": "u-1001"})

	status, body := g.Get("/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d", status)
	}
	for _, want := range []string{
		`profilegate_requests_total{operation="customerHeader",outcome="ok"} 3`,
		`profilegate_requests_total{operation="customerHeader",outcome="partial"} 1`,
		`profilegate_request_duration_seconds_count{operation="customerHeader"} 4`,
		`profilegate_source_lookup_duration_seconds_count{source="warehouse"}`,
		`profilegate_source_errors_total{code="SOURCE_UNAVAILABLE",source="crm"} 1`,
		`profilegate_source_circuit_breaker_state{source="crm",state="open"} 1`,
		`profilegate_source_circuit_breaker_state{source="warehouse",state="closed"} 1`,
		`profilegate_source_batch_size_bucket{source="crm",le="3"}`,
		`profilegate_unidentified_profiles_created_total 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// three aliases: one batch of three lookups per source in the first round
	if !strings.Contains(body, `profilegate_source_batch_size_bucket{source="crm",le="2"} `+bucket(body, "crm", "1")) ||
		bucket(body, "crm", "3") == bucket(body, "crm", "2") {
		t.Errorf("batch sizes do not show the three aliases batched:\n%s", grepLines(body, "batch_size_bucket{source=\"warehouse\""))
	}
}

// bucket returns the count of a source's batch size bucket.
func bucket(metrics, source, le string) string {
	return sample(metrics, `profilegate_source_batch_size_bucket{source="`+source+`",le="`+le+`"}`)
}

// sample returns the value of one series, named with its labels as /metrics writes them.
func sample(metrics, series string) string {
	for _, l := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			return v
		}
	}
	return ""
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// syncBuffer is a log destination written by request goroutines and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRequestLog(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	who := withKeys(cfg)
	var logs syncBuffer
	g := gatewaytest.Start(t, cfg, gatewaytest.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	body, _ := json.Marshal(map[string]any{"query": `query Header($v: String!) { customerHeader(identifier: {key: "email", value: $v}) { name } }`,
		"variables": map[string]any{"v": "ada.lovelace@example.com"}, "operationName": "Header"})
	g.TryWith(who.agent, body)
	g.TryWith(who.agent, []byte(gatewaytest.Body(`{ customerHeader(identifier: {key: "phonenumber", value: "not a phone"}) { name } }`, nil)))
	g.TryWith(nil, body)

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d request lines for 3 requests:\n%s", len(lines), logs.String())
	}
	want := []map[string]any{
		{"operation": "customerHeader", "operation_name": "Header", "status": 200.0, "caller": "key:desk"},
		{"operation": "customerHeader", "error_codes": "BAD_USER_INPUT", "status": 200.0},
		{"operation": "unknown", "error_codes": "UNAUTHENTICATED", "status": 401.0},
	}
	for i, w := range want {
		for k, v := range w {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v (%v)", i, k, lines[i][k], v, lines[i])
			}
		}
		if _, ok := lines[i]["duration_ms"].(float64); !ok {
			t.Errorf("line %d has no duration: %v", i, lines[i])
		}
	}
	for _, secret := range []string{"ada.lovelace@example.com", "not a phone", who.agent.Get("Authorization")[7:]} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// TestReadiness: /readyz is 200 while the store and every source answer their checks, and 503
// naming the CRM once its database stops answering; /healthz stays 200.
func TestReadiness(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "postgres")
	cfg.HealthInterval = 100 * time.Millisecond
	g := gatewaytest.Start(t, cfg, gatewaytest.WithFaults())
	waitReadyz := func(want int, wants ...string) {
		t.Helper()
		var status int
		var body string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if status, body = g.Get("/readyz"); status == want && containsAll(body, wants...) {
				return
			}
		}
		t.Fatalf("/readyz: %d %s; want %d with %q", status, body, want, wants)
	}
	waitReadyz(http.StatusOK, `"source crm":"ok"`)
	if status, body := g.Get("/healthz"); status != http.StatusOK || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", status, body)
	}
	g.Fault("crm").Fail()
	waitReadyz(http.StatusServiceUnavailable, `"source crm":"unreachable"`, `"store":"ok"`)
	if status, _ := g.Get("/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz while the CRM is down: %d", status)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestGracefulShutdown stops a serving gateway while a request is in flight: readiness turns
// false first, the request finishes with its answer, and new connections are refused.
func TestGracefulShutdown(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "postgres")
	cfg.Shutdown = config.Shutdown{Delay: time.Second, Grace: 5 * time.Second}
	cfg.Sources[0].Timeout = 20 * time.Second // the request in flight is slow, not failed
	g, crm := withFaultyCRM(t, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Gateway.Serve(ctx, gateway.Listeners{API: ln}) }()
	crm.Delay(200 * time.Millisecond)
	before := crm.Calls()

	inFlight := make(chan *gatewaytest.Response, 1)
	go func() {
		resp, err := http.Post(url+"/query", "application/json", strings.NewReader(gatewaytest.Body("{ "+ada+" }", nil)))
		if err != nil {
			inFlight <- &gatewaytest.Response{Raw: []byte(err.Error())}
			return
		}
		r, _ := gatewaytest.ReadResponse(resp)
		inFlight <- r
	}()
	for deadline := time.Now().Add(10 * time.Second); crm.Calls() == before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the request never reached the CRM: %s", (<-inFlight).Raw)
		}
	}
	cancel()
	var readyz int
	for range 100 {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			readyz = resp.StatusCode
			resp.Body.Close()
		}
		if readyz == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if readyz != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while stopping: %d, want 503", readyz)
	}
	r := <-inFlight
	if r.Status != http.StatusOK || !strings.Contains(string(r.Raw), "Ada Lovelace") {
		t.Fatalf("in-flight request: %d %s", r.Status, r.Raw)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Post(url+"/query", "application/json", strings.NewReader(gatewaytest.Body("{ "+ada+" }", nil))); err == nil {
		t.Fatal("a new request was served after shutdown")
	}
}

// TestMetricsListener: with metrics_addr set, /metrics is served there and not beside the API,
// and both listeners stop with the gateway.
func TestMetricsListener(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.Shutdown = config.Shutdown{Grace: 5 * time.Second}
	g := gatewaytest.Start(t, cfg)
	var ls gateway.Listeners
	for _, ln := range []*net.Listener{&ls.API, &ls.Metrics} {
		var err error
		if *ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	api, metrics := "http://"+ls.API.Addr().String(), "http://"+ls.Metrics.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Gateway.Serve(ctx, ls) }()

	resp, err := http.Post(api+"/query", "application/json", strings.NewReader(gatewaytest.Body("{ "+ada+" }", nil)))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("query: %v %v", resp, err)
	}
	resp.Body.Close()
	if resp, err := http.Get(api + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics beside the API: %v %v, want 404", resp, err)
	}
	resp, err = http.Get(metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if body := gatewaytest.ReadBody(t, resp); !strings.Contains(body, `profilegate_requests_total{operation="customerHeader",outcome="ok"} 1`) {
		t.Fatalf("/metrics on metrics_addr:\n%s", grepLines(body, "profilegate_requests_total"))
	}

	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{api, metrics} {
		if resp, err := http.Get(u + "/healthz"); err == nil {
			resp.Body.Close()
			t.Fatalf("%s still served after shutdown", u)
		}
	}
}

// TestTracing: a request is one trace, with a span per source lookup under the server's span.
func TestTracing(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	cfg := gatewaytest.DemoConfig(t, "sqlite")
	// Tracing is on: the command would install an exporter to this endpoint; the test's
	// in-memory one stands in for it.
	cfg.Tracing.OTLPEndpoint = "http://127.0.0.1:4318"
	g := gatewaytest.Start(t, cfg)
	g.Header("email", "ada.lovelace@example.com")
	g.Post(historyPage, map[string]any{"id": adaID, "first": 5})
	spans := exp.GetSpans()
	type spanID struct {
		trace trace.TraceID
		span  trace.SpanID
	}
	servers := map[spanID]bool{} // the requests' spans
	lookups := map[string]int{}
	for _, s := range spans.Snapshots() {
		if s.SpanKind() == trace.SpanKindServer {
			servers[spanID{s.SpanContext().TraceID(), s.SpanContext().SpanID()}] = true
		}
	}
	if len(servers) != 2 {
		t.Fatalf("%d server spans among %d spans, want one a request", len(servers), len(spans))
	}
	for _, s := range spans.Snapshots() {
		if strings.HasPrefix(s.Name(), "history ") || strings.HasPrefix(s.Name(), "lookup ") {
			if !servers[spanID{s.Parent().TraceID(), s.Parent().SpanID()}] {
				t.Errorf("%s is not a child of a request's span", s.Name())
			}
			lookups[s.Name()]++
		}
		if strings.HasPrefix(s.Name(), "lookup ") {
			attrs := map[string]bool{}
			for _, a := range s.Attributes() {
				attrs[string(a.Key)] = true
			}
			if !attrs["profilegate.source"] || !attrs["profilegate.identifiers"] || !attrs["profilegate.records"] {
				t.Errorf("%s has attributes %v; want the source, identifiers and records", s.Name(), s.Attributes())
			}
		}
	}
	if lookups["lookup crm"] == 0 || lookups["lookup warehouse"] == 0 || lookups["history crm"] == 0 || lookups["history warehouse"] == 0 {
		t.Fatalf("lookup and history spans %v", lookups)
	}

	// Off, requests get no server span at all (building one cost CPU for nothing).
	exp.Reset()
	gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite")).Header("email", "ada.lovelace@example.com")
	for _, s := range exp.GetSpans().Snapshots() {
		if s.SpanKind() == trace.SpanKindServer {
			t.Fatalf("a server span with tracing off: %s", s.Name())
		}
	}
}
