package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/demo"
	"github.com/profilegate/profilegate/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testNow is the clock of every test gateway, so rendered headers do not age.
var testNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// gateway is a real profilegate, wired by newApp as `go run .` wires it, served on loopback.
type gateway struct {
	t   *testing.T
	cfg *config.Config
	app *app
	srv *httptest.Server
}

// backends are the databases the gateway runs the demo on: everything on SQLite files, or
// sources and store on one real PostgreSQL database.
var backends = []string{"sqlite", "postgres"}

// demoConfig is the demo's configuration on a backend.
func demoConfig(t *testing.T, backend string) *config.Config {
	cfg := demo.Config(t.TempDir())
	if backend == "postgres" {
		db := config.Database{Driver: "postgres", DSN: pgtest.DSN(t)}
		cfg.Store = db
		for i := range cfg.Sources {
			cfg.Sources[i].Database = db
		}
	}
	return cfg
}

// startGateway wires and serves a gateway for cfg, seeding the demo data into its sources.
func startGateway(t *testing.T, cfg *config.Config) *gateway {
	t.Helper()
	return startGatewayWith(t, cfg, true)
}

// startBenchGateway wires a gateway for a benchmark and returns its handler.
func startBenchGateway(b *testing.B, cfg *config.Config) http.Handler {
	b.Helper()
	a, err := newApp(context.Background(), cfg, true, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return testNow })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	return a.Handler
}

// startGatewayWith wires and serves a gateway for cfg, seeding the demo data when seed is set.
func startGatewayWith(t *testing.T, cfg *config.Config, seed bool, opts ...appOption) *gateway {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	return startGatewayLogged(t, cfg, seed, log, opts...)
}

// startGatewayLogged is startGatewayWith logging to log.
func startGatewayLogged(t *testing.T, cfg *config.Config, seed bool, log *slog.Logger, opts ...appOption) *gateway {
	t.Helper()
	a, err := newApp(context.Background(), cfg, seed, log, func() time.Time { return testNow }, opts...)
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway{t: t, cfg: cfg, app: a, srv: httptest.NewServer(a.Handler)}
	t.Cleanup(func() {
		g.srv.Close()
		a.Close()
	})
	return g
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// gqlResponse is a GraphQL response as a client reads it.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	status int
	raw    []byte
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// codes lists the errors' extensions.code values.
func (r *gqlResponse) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// post sends a GraphQL request as JSON.
func (g *gateway) post(query string, vars map[string]any) *gqlResponse {
	g.t.Helper()
	return g.send([]byte(gql(query, vars)))
}

func (g *gateway) send(body []byte) *gqlResponse {
	g.t.Helper()
	r, err := g.try(body)
	if err != nil {
		g.t.Fatal(err)
	}
	return r
}

// try sends a request body and reads the response without failing the test, so it may run
// off the test's goroutine.
func (g *gateway) try(body []byte) (*gqlResponse, error) { return g.tryWith(nil, body) }

// postWith sends a GraphQL request with extra request headers (credentials, Flex UI version).
func (g *gateway) postWith(h http.Header, query string, vars map[string]any) *gqlResponse {
	g.t.Helper()
	r, err := g.tryWith(h, []byte(gql(query, vars)))
	if err != nil {
		g.t.Fatal(err)
	}
	return r
}

func (g *gateway) tryWith(h http.Header, body []byte) (*gqlResponse, error) {
	req, err := http.NewRequest(http.MethodPost, g.srv.URL+"/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	return parseResponse(resp)
}

func readResponse(t *testing.T, resp *http.Response) *gqlResponse {
	t.Helper()
	r, err := parseResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func parseResponse(resp *http.Response) (*gqlResponse, error) {
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	r := &gqlResponse{status: resp.StatusCode, raw: raw}
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("status %d, body is not JSON: %s", resp.StatusCode, raw)
	}
	return r, nil
}

// decode reads the response's data into v, failing on any error in the response.
func (r *gqlResponse) decode(t *testing.T, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %s", r.raw)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
}

// header is a customerHeader answer.
type header struct {
	Name           string
	Badge          *string
	OtherMatches   int
	AvatarURL      *string
	SecondaryTrait *struct{ Label, Value, Formatted, TimeSince *string }
	Profile        profileJSON
}

type profileJSON struct {
	ID           string
	Status       string
	Sources      []string
	Identifiers  []struct{ Key, Value string }
	Traits       []struct{ Key, Label, Value, Source string }
	ContactCount int
}

const headerQuery = `query($key: String!, $value: String!) {
  customerHeader(identifier: {key: $key, value: $value}) {
    name badge otherMatches avatarUrl
    secondaryTrait { label value formatted timeSince }
    profile { id status sources contactCount identifiers { key value } traits { key label value source } }
  }
}`

func (g *gateway) header(key, value string) header {
	g.t.Helper()
	var out struct{ CustomerHeader header }
	g.post(headerQuery, map[string]any{"key": key, "value": value}).decode(g.t, &out)
	return out.CustomerHeader
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dbOf opens a database of the configuration for a test to look into.
func dbOf(t *testing.T, d config.Database) *sqlx.DB {
	db := sqlx.MustOpen(config.Drivers[d.Driver], d.DSN)
	t.Cleanup(func() { db.Close() })
	return db
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
