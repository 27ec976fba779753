package gateway_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/gatewaytest"
	"github.com/profilegate/profilegate/loadtest"
)

// TestLoadHarness: the load harness drives a real gateway with the demo mix and every answer
// passes its check; each first-time caller is recorded once. With the CRM failing, the
// harness counts every request as failed and says why, so a run that reports no failures
// means the gateway answered correctly.
func TestLoadHarness(t *testing.T) {
	for _, backend := range gatewaytest.Backends {
		t.Run(backend, func(t *testing.T) {
			g := gatewaytest.Start(t, unshed(gatewaytest.DemoConfig(t, backend)))
			r := runLoad(t, g)
			if r.Total.Failed != 0 || r.Total.Requests != loadRequests {
				t.Fatalf("%d of %d requests failed: %v", r.Total.Failed, r.Total.Requests, r.Scenarios)
			}
			counts := map[string]uint64{}
			for _, s := range r.Scenarios {
				if s.Requests == 0 {
					t.Fatalf("scenario %s sent nothing", s.Name)
				}
				counts[s.Name] = s.Requests
			}
			if want := int(counts["header_new"] + min(counts["header_repeat"], 100)); g.UnidentifiedCount() != want {
				t.Fatalf("%d unidentified profiles recorded, want one per first-time and repeat caller: %d", g.UnidentifiedCount(), want)
			}
		})
	}
	t.Run("failing CRM", func(t *testing.T) {
		g, crm := withFaultyCRM(t, unshed(gatewaytest.DemoConfig(t, "postgres")))
		crm.Fail()
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
	cfg := unshed(gatewaytest.DemoConfig(t, "postgres"))
	cfg.Pool = config.Pool{MaxOpen: 2, MaxIdle: 1}
	g := gatewaytest.Start(t, cfg)
	if r := runLoad(t, g); r.Total.Failed != 0 {
		t.Fatalf("%d of %d requests failed with pools of two: %v", r.Total.Failed, r.Total.Requests, r.Total.Failures)
	}
	_, metrics := g.Get("/metrics")
	for _, db := range []string{"store", "source:crm", "source:warehouse"} {
		label := `{db_name="` + db + `"}`
		open, _ := strconv.Atoi(sample(metrics, "go_sql_open_connections"+label))
		idle, _ := strconv.Atoi(sample(metrics, "go_sql_idle_connections"+label))
		if sample(metrics, "go_sql_max_open_connections"+label) != "2" || open > 2 || idle > 1 {
			t.Errorf("pool of %s:\n%s", db, grepLines(metrics, label))
		}
	}
}

// unshed lifts the limit of requests in flight: the load is sent on schedule however slowly a
// busy machine answers, and here every answer must be right; shedding is TestOverload's.
func unshed(cfg *config.Config) *config.Config {
	cfg.Limits.MaxInFlight = 100_000
	return cfg
}

// loadRequests is how many requests runLoad sends: the demo mix's shares of it are whole.
const loadRequests = 100

// runLoad drives g with loadRequests of the demo mix, 100 a second, however long they take.
func runLoad(t *testing.T, g *gatewaytest.Env) *loadtest.Report {
	t.Helper()
	r, err := loadtest.Run(context.Background(), loadtest.Options{URL: g.URL + "/query", Rate: 100, Requests: loadRequests})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
