package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/loadtest"
)

// TestLoadHarness: the load harness drives a real gateway with the demo mix and every answer
// passes its check; each first-time caller is recorded once. With the CRM failing, the
// harness counts every request as failed and says why, so a run that reports no failures
// means the gateway answered correctly.
func TestLoadHarness(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			g := startGateway(t, demoConfig(t, backend))
			r := runLoad(t, g)
			if r.Total.Failed != 0 || r.Total.Requests < 90 {
				t.Fatalf("%d of %d requests failed: %v", r.Total.Failed, r.Total.Requests, r.Scenarios)
			}
			counts := map[string]uint64{}
			for _, s := range r.Scenarios {
				if s.Requests == 0 {
					t.Fatalf("scenario %s sent nothing", s.Name)
				}
				counts[s.Name] = s.Requests
			}
			if want := int(counts["header_new"] + min(counts["header_repeat"], 100)); g.unidentifiedCount() != want {
				t.Fatalf("%d unidentified profiles recorded, want one per first-time and repeat caller: %d", g.unidentifiedCount(), want)
			}
		})
	}
	t.Run("failing CRM", func(t *testing.T) {
		g, crm := withFaultyCRM(t, demoConfig(t, "sqlite"))
		crm.set(0, errors.New("connection refused"))
		r := runLoad(t, g)
		for _, s := range r.Scenarios {
			if s.Failed != s.Requests || len(s.Failures) == 0 || !strings.HasPrefix(s.Failures[0], "SOURCE_UNAVAILABLE: ") {
				t.Fatalf("scenario %s with the CRM failing: %d of %d failed: %q", s.Name, s.Failed, s.Requests, s.Failures)
			}
		}
	})
}

// TestConnectionPool: with every pool bounded at two connections, the demo mix on PostgreSQL
// gets every answer right (queries queue for a connection instead of opening more), no pool
// holds more than two, and the pools' metrics show the bounds.
func TestConnectionPool(t *testing.T) {
	cfg := demoConfig(t, "postgres")
	cfg.Pool = config.Pool{MaxOpen: 2, MaxIdle: 1}
	g := startGateway(t, cfg)
	if r := runLoad(t, g); r.Total.Failed != 0 {
		t.Fatalf("%d of %d requests failed with pools of two: %v", r.Total.Failed, r.Total.Requests, r.Total.Failures)
	}
	_, metrics := g.get("/metrics")
	for _, db := range []string{"store", "source:crm", "source:warehouse"} {
		label := `{db_name="` + db + `"}`
		open, _ := strconv.Atoi(sample(metrics, "go_sql_open_connections"+label))
		idle, _ := strconv.Atoi(sample(metrics, "go_sql_idle_connections"+label))
		if sample(metrics, "go_sql_max_open_connections"+label) != "2" || open > 2 || idle > 1 {
			t.Errorf("pool of %s:\n%s", db, grepLines(metrics, label))
		}
	}
}

// runLoad drives g with the demo mix at 100 requests a second for one second.
func runLoad(t *testing.T, g *gateway) *loadtest.Report {
	t.Helper()
	r, err := loadtest.Run(context.Background(), loadtest.Options{URL: g.srv.URL + "/query", Rate: 100, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
