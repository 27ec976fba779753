package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/demo"
	"github.com/profilegate/profilegate/internal/gatewaytest"
)

// BenchmarkCustomerHeader measures whole requests through the real handler on the SQLite
// demo: a stitched customer (three rounds over two sources) by email and by phone, a repeat unidentified contact
// (one round and an upsert), and six headers in one request (batched per round).
func BenchmarkCustomerHeader(b *testing.B) {
	g := gatewaytest.Start(b, demo.Config(b.TempDir())).Gateway.Handler()
	six := []string{"ada.lovelace@example.com", "grace.hopper@example.com", "alan.turing@example.com",
		"linus@example.com", "katherine@example.com", "visitor@example.com"}
	var aliases strings.Builder
	for i, e := range six {
		fmt.Fprintf(&aliases, "h%d: customerHeader(identifier: {key: \"email\", value: %q}) { name profile { id } }\n", i, e)
	}
	cases := []struct {
		name string
		body map[string]any
	}{
		{"stitched", map[string]any{"query": gatewaytest.HeaderQuery, "variables": map[string]string{"key": "email", "value": six[0]}}},
		{"stitched_phone", map[string]any{"query": gatewaytest.HeaderQuery, "variables": map[string]string{"key": "phonenumber", "value": "(415) 555-0100"}}},
		{"unidentified", map[string]any{"query": gatewaytest.HeaderQuery, "variables": map[string]string{"key": "phonenumber", "value": "(646) 555-0100"}}},
		{"six_aliases", map[string]any{"query": "{" + aliases.String() + "}"}},
	}
	for _, c := range cases {
		body, _ := json.Marshal(c.body)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/query", bytes.NewReader(body)) // auth is off: a loopback host
				req.Header.Set("Content-Type", "application/json")
				g.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkFailingCRM measures the header of a known customer (by user_id, which the warehouse
// also holds) while the CRM's PostgreSQL hangs: waiting out the CRM's 50ms timeout, or refused
// fast by its open circuit breaker. Each answer carries the warehouse's profile and the CRM's
// error.
func BenchmarkFailingCRM(b *testing.B) {
	body, _ := json.Marshal(map[string]any{"query": gatewaytest.HeaderQuery, "variables": map[string]string{"key": "user_id", "value": "u-1001"}})
	for _, c := range []struct {
		name    string
		breaker config.Breaker
	}{
		{"hanging_timeout_50ms", config.Breaker{}},
		{"breaker_open", config.Breaker{Failures: 1, OpenFor: time.Hour}},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := gatewaytest.DemoConfig(b, "postgres")
			cfg.Sources[0].Timeout = 50 * time.Millisecond
			cfg.Breaker = c.breaker
			env := gatewaytest.Start(b, cfg, gatewaytest.WithFaults())
			env.Fault("crm").Delay(time.Hour)
			h := env.Gateway.Handler()
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/query", bytes.NewReader(body)) // auth is off: a loopback host
				req.Header.Set("Content-Type", "application/json")
				h.ServeHTTP(rec, req)
				if !bytes.Contains(rec.Body.Bytes(), []byte(`"SOURCE_UNAVAILABLE"`)) || !bytes.Contains(rec.Body.Bytes(), []byte(`"sources":["warehouse"]`)) {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
