package gateway_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/gatewaytest"
	"github.com/profilegate/profilegate/internal/redistest"
	"github.com/profilegate/profilegate/loadtest"
	"github.com/profilegate/profilegate/ratelimit"
	"github.com/profilegate/profilegate/store"
)

// TestCallerRate: a caller over its requests a second is answered 429 RATE_LIMITED with
// Retry-After; another caller is not.
func TestCallerRate(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	who := withKeys(cfg)
	cfg.Limits.PerCaller = ratelimit.Limits{RequestsPerSecond: 1, Burst: 5}
	g := gatewaytest.Start(t, cfg)
	var limited []*gatewaytest.Response
	start := time.Now()
	for range 20 {
		if r := g.PostWith(who.agent, "{ "+ada+" }", nil); r.Status == http.StatusTooManyRequests {
			limited = append(limited, r)
		}
	}
	// A burst of 5 and one more a second answer at most 5 + the seconds the 20 took.
	if answered := 20 - len(limited); answered < 5 || answered > 5+int(time.Since(start).Seconds())+1 {
		t.Fatalf("%d of 20 requests answered in %s with a burst of 5 and one more a second", answered, time.Since(start))
	}
	r := limited[0]
	if !slices.Equal(r.Codes(), []string{"RATE_LIMITED"}) || r.HTTP.Header.Get("Retry-After") == "" || r.Data != nil || !strings.Contains(r.Errors[0].Message, "desk") {
		t.Fatalf("refusal: %d %s (Retry-After %q)", r.Status, r.Raw, r.HTTP.Header.Get("Retry-After"))
	}
	if r := g.PostWith(who.admin, "{ "+ada+" }", nil); len(r.Errors) > 0 {
		t.Fatalf("another caller: %s", r.Raw)
	}
}

// TestCallerConcurrency: a caller with its limit of requests in flight is refused another,
// while another caller is answered.
func TestCallerConcurrency(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "postgres")
	who := withKeys(cfg)
	cfg.Limits.PerCaller = ratelimit.Limits{Concurrent: 1}
	cfg.Sources[0].Timeout = 20 * time.Second
	g, crm := withFaultyCRM(t, cfg)
	crm.Delay(300 * time.Millisecond)
	before := crm.Calls()
	slow := make(chan *gatewaytest.Response, 1)
	go func() {
		r, _ := g.TryWith(who.agent, []byte(gatewaytest.Body("{ "+ada+" }", nil)))
		slow <- r
	}()
	for deadline := time.Now().Add(10 * time.Second); crm.Calls() == before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first request never reached the CRM")
		}
	}
	if r := g.PostWith(who.agent, "{ __typename }", nil); r.Status != http.StatusTooManyRequests || !slices.Equal(r.Codes(), []string{"RATE_LIMITED"}) {
		t.Fatalf("a second request of the caller: %d %s", r.Status, r.Raw)
	}
	if r := g.PostWith(who.admin, "{ __typename }", nil); len(r.Errors) > 0 {
		t.Fatalf("another caller: %s", r.Raw)
	}
	if r := <-slow; r == nil || len(r.Errors) > 0 {
		t.Fatalf("the request in flight: %+v", r)
	}
}

// TestNewContactBudget: past its budget of new contacts a minute, a caller's lookup of an
// unknown address answers RATE_LIMITED and records nothing; known customers and repeat
// contacts are still answered, and another caller has a budget of its own.
func TestNewContactBudget(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	who := withKeys(cfg)
	cfg.Limits.PerCaller = ratelimit.Limits{NewContactsPerMinute: 2}
	g := gatewaytest.Start(t, cfg)
	header := func(h http.Header, phone string) *gatewaytest.Response {
		return g.PostWith(h, gatewaytest.HeaderQuery, map[string]any{"key": "phonenumber", "value": phone})
	}
	for _, phone := range []string{"+12125550101", "+12125550102"} {
		if r := header(who.agent, phone); len(r.Errors) > 0 {
			t.Fatalf("new contact within the budget: %s", r.Raw)
		}
	}
	r := header(who.agent, "+12125550103")
	if !slices.Equal(r.Codes(), []string{"RATE_LIMITED"}) || string(r.Data) != "null" || g.UnidentifiedCount() != 2 {
		t.Fatalf("a third new contact: %s (%d recorded)", r.Raw, g.UnidentifiedCount())
	}
	for _, phone := range []string{"+12125550101", "+14155550100"} {
		if r := header(who.agent, phone); len(r.Errors) > 0 {
			t.Fatalf("%s (a repeat contact, a customer) past the budget: %s", phone, r.Raw)
		}
	}
	if r := header(who.admin, "+12125550103"); len(r.Errors) > 0 {
		t.Fatalf("another caller's new contact: %s", r.Raw)
	}
}

// TestSharedLimitsInRedis: two replicas configured with one Redis enforce one budget per
// caller between them.
func TestSharedLimitsInRedis(t *testing.T) {
	url := redistest.URL(t)
	var replicas []*gatewaytest.Env
	for range 2 {
		cfg := gatewaytest.DemoConfig(t, "sqlite")
		cfg.Limits.RedisURL = url
		cfg.Limits.PerCaller = ratelimit.Limits{RequestsPerSecond: 1, Burst: 10}
		replicas = append(replicas, gatewaytest.Start(t, cfg))
	}
	answered, start := 0, time.Now()
	for i := range 30 {
		if r := replicas[i%2].Post("{ "+ada+" }", nil); r.Status == http.StatusOK && len(r.Errors) == 0 {
			answered++
		}
	}
	// One budget: a burst of 10 and one more a second. A budget per replica would answer 20.
	if answered < 10 || answered > 10+int(time.Since(start).Seconds())+1 || answered >= 20 {
		t.Fatalf("%d of 30 requests answered across two replicas in %s; want one burst of 10 between them", answered, time.Since(start))
	}
	eventually(t, "ready, Redis ok", func() bool {
		status, body := replicas[0].Get("/readyz")
		return status == http.StatusOK && strings.Contains(body, `"redis":"ok"`)
	})
}

// TestRetention: the gateway prunes unidentified contacts in the background, down to
// retention.max, and says so in its metrics.
func TestRetention(t *testing.T) {
	gatewaytest.Run(t, func(cfg *config.Config) {
		cfg.Retention = store.Retention{TTL: 24 * time.Hour, Max: 2, Every: 100 * time.Millisecond, Batch: 1}
	}, func(t *testing.T, g *gatewaytest.Env) {
		for i := range 5 {
			g.Header("phonenumber", fmt.Sprintf("+1212555%04d", 200+i))
		}
		eventually(t, "contacts pruned to the cap of 2", func() bool {
			_, metrics := g.Get("/metrics")
			return g.UnidentifiedCount() == 2 && sample(metrics, "profilegate_unidentified_profiles") == "2" &&
				sample(metrics, "profilegate_unidentified_profiles_pruned_total") == "3"
		})
	})
}

// TestNoisyNeighbours is the hostile day: 100 clients that open a connection, send headers and
// then nothing, and one key flooding the gateway as fast as it can, while another key's desktop
// traffic goes on. Every answer of the other key must be right; how its latency compares with
// a quiet run is printed, not asserted (the machine may be busy).
func TestNoisyNeighbours(t *testing.T) {
	cfg := unshed(gatewaytest.DemoConfig(t, "sqlite"))
	who := withKeys(cfg) // desk: the desktops; ops: the flood
	cfg.Limits.MaxInFlight = 64
	cfg.Limits.BodyReadTimeout = 30 * time.Second // the silent ones outlast the test
	// The desktops send 20 a second: a budget of 30 leaves them room however slowly a busy
	// machine answers (even a race build's flood sends over a hundred a second).
	cfg.Limits.PerCaller = ratelimit.Limits{RequestsPerSecond: 30, Burst: 30}
	g := gatewaytest.Start(t, cfg)
	desktops := func() *loadtest.Report {
		r, err := loadtest.Run(context.Background(), loadtest.Options{URL: g.URL + "/query", Header: who.agent, Rate: 20, Requests: 60})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	quiet := desktops()

	for range 100 {
		conn, err := net.Dial("tcp", g.Host())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /query HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", g.Host())
	}
	ctx, stop := context.WithCancel(context.Background())
	var flooded, limited atomic.Int64
	var wg sync.WaitGroup
	body := []byte(gatewaytest.Body(gatewaytest.HeaderQuery, map[string]any{"key": "phonenumber", "value": "+14155550199"}))
	for range 16 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if r, err := g.TryWith(who.admin, body); err == nil {
					flooded.Add(1)
					if r.Status == http.StatusTooManyRequests {
						limited.Add(1)
					}
				}
			}
		})
	}
	start := time.Now()
	busy := desktops()
	stop()
	wg.Wait()
	budget := int64(30 + 30*time.Since(start).Seconds()) // what the flood may send in that time
	if busy.Total.Failed != 0 || busy.Total.Requests != 60 {
		t.Fatalf("the desktops beside the flood: %d of %d failed: %v", busy.Total.Failed, busy.Total.Requests, busy.Total.Failures)
	}
	if flooded.Load() > budget+5 && limited.Load() == 0 {
		t.Fatalf("the flood sent %d requests, over its budget of %d, and was never limited", flooded.Load(), budget)
	}
	t.Logf("desktops' p50 %s quiet, %s beside 100 silent connections and a flood of %d requests (%d refused 429): ratio %.2f",
		quiet.Total.P50, busy.Total.P50, flooded.Load(), limited.Load(), float64(busy.Total.P50)/float64(quiet.Total.P50))
}
