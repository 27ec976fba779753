package loadtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilegate/profilegate/loadtest"
)

// TestRunCountsEveryKindOfFailure: against a server that answers in turn correctly, with a
// GraphQL error, with a 502 page, and with data the check refuses, three in four requests
// count as failed, each reason is reported, and the check sees the request it answers.
func TestRunCountsEveryKindOfFailure(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		var body struct{ Variables struct{ N uint64 } }
		json.NewDecoder(r.Body).Decode(&body)
		switch body.Variables.N % 4 {
		case 0:
			fmt.Fprintf(w, `{"data":{"n":%d}}`, body.Variables.N)
		case 1:
			fmt.Fprint(w, `{"errors":[{"message":"boom","extensions":{"code":"SOURCE_UNAVAILABLE"}}],"data":null}`)
		case 2:
			http.Error(w, "oops", http.StatusBadGateway)
		case 3:
			fmt.Fprint(w, `{"data":{"n":-1}}`)
		}
	}))
	defer srv.Close()
	scenario := loadtest.Scenario{
		Name: "numbered", Weight: 1, Operation: "query($n: Int) { n }",
		Variables: func(n uint64) any { return map[string]uint64{"n": n} },
		Check: func(n uint64, data json.RawMessage) error {
			var d struct{ N int64 }
			if err := json.Unmarshal(data, &d); err != nil || d.N != int64(n) {
				return errors.New("wrong n")
			}
			return nil
		},
	}
	r, err := loadtest.Run(context.Background(), loadtest.Options{URL: srv.URL, Rate: 200, Requests: 40, Scenarios: []loadtest.Scenario{scenario}})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Scenarios[0]
	if got.Requests != 40 || served.Load() != 40 || got.Failed != 30 || r.Total.Failed != 30 {
		t.Fatalf("%d requests (%d served), %d failed; want exactly 40, three in four failed", got.Requests, served.Load(), got.Failed)
	}
	for _, want := range []string{"SOURCE_UNAVAILABLE: boom", "502 Bad Gateway", "wrong n"} {
		if !slices.Contains(got.Failures, want) {
			t.Errorf("failures %q lack %q", got.Failures, want)
		}
	}
	var out strings.Builder
	if err := r.WriteText(&out); err != nil || !strings.Contains(out.String(), "numbered failed: wrong n") {
		t.Errorf("report:\n%s", out.String())
	}
}

// TestRunReportsAnUnreachableGatewayOnce: every request fails, and the reason is one message
// (the request numbers riding in the URL are not in it).
func TestRunReportsAnUnreachableGatewayOnce(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	scenario := loadtest.Scenario{Name: "down", Weight: 1, Operation: "{ n }", Variables: func(uint64) any { return nil },
		Check: func(uint64, json.RawMessage) error { return nil }}
	r, err := loadtest.Run(context.Background(), loadtest.Options{URL: srv.URL, Rate: 20, Duration: 500 * time.Millisecond, Scenarios: []loadtest.Scenario{scenario}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Total; got.Requests == 0 || got.Failed != got.Requests || len(got.Failures) != 1 || strings.Contains(got.Failures[0], "#") {
		t.Fatalf("%d of %d failed, reasons %q", got.Failed, got.Requests, got.Failures)
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, o := range []loadtest.Options{
		{URL: "", Rate: 1, Duration: time.Second},
		{URL: "http://127.0.0.1:1/query#x", Rate: 1, Duration: time.Second},
		{URL: "http://127.0.0.1:1/query", Rate: 0, Duration: time.Second},
		{URL: "http://127.0.0.1:1/query", Rate: 1},
	} {
		if _, err := loadtest.Run(context.Background(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
