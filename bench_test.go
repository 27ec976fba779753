package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/profilegate/profilegate/demo"
)

// BenchmarkCustomerHeader measures whole requests through the real handler on the SQLite
// demo: a stitched customer (three rounds over two sources), a repeat unidentified contact
// (one round and an upsert), and six headers in one request (batched per round).
func BenchmarkCustomerHeader(b *testing.B) {
	g := startBenchGateway(b, demo.Config(b.TempDir()))
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
		{"stitched", map[string]any{"query": headerQuery, "variables": map[string]string{"key": "email", "value": six[0]}}},
		{"unidentified", map[string]any{"query": headerQuery, "variables": map[string]string{"key": "phonenumber", "value": "(646) 555-0100"}}},
		{"six_aliases", map[string]any{"query": "{" + aliases.String() + "}"}},
	}
	for _, c := range cases {
		body, _ := json.Marshal(c.body)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				g.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
