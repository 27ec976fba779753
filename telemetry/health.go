package telemetry

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Check is one dependency readiness depends on: the store, a source, a source's match index.
type Check struct {
	Name string
	Ping func(context.Context) error
	// Says, when set, makes /readyz show Ping's error as the check's state; errors of the
	// others may hold addresses and show as "unreachable".
	Says bool
}

// Health answers liveness and readiness. Ready means: not shutting down, and the store and
// every source answered their last check.
type Health struct {
	checks   []Check
	timeout  time.Duration
	stopping atomic.Bool
	mu       sync.Mutex
	last     map[string]string // "ok" or why not
}

// NewHealth returns a Health over checks, each given timeout per run.
func NewHealth(checks []Check, timeout time.Duration) *Health {
	h := &Health{checks: checks, timeout: timeout, last: map[string]string{}}
	for _, c := range checks {
		h.last[c.Name] = "not checked yet"
	}
	return h
}

// Run checks every dependency now and then every interval until ctx ends; while a check
// fails, every second, so readiness returns soon after the dependency does.
func (h *Health) Run(ctx context.Context, every time.Duration) {
	for {
		wait := every
		if !h.CheckNow(ctx) {
			wait = min(every, time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// CheckNow runs every check once, concurrently, and reports whether all passed.
func (h *Health) CheckNow(ctx context.Context) bool {
	var wg sync.WaitGroup
	var failed atomic.Bool
	for _, c := range h.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, h.timeout)
			defer cancel()
			state := "ok"
			if err := c.Ping(ctx); err != nil {
				failed.Store(true)
				state = "unreachable" // the cause is logged by the source's lookups, not shown here
				if c.Says {
					state = err.Error()
				}
			}
			h.mu.Lock()
			h.last[c.Name] = state
			h.mu.Unlock()
		})
	}
	wg.Wait()
	return !failed.Load()
}

// Stopping turns readiness off for good: the gateway is shutting down.
func (h *Health) Stopping() { h.stopping.Store(true) }

// Live answers /healthz: the process serves HTTP.
func (h *Health) Live(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// Ready answers /readyz: 200 when ready, 503 otherwise, with every check's state.
func (h *Health) Ready(w http.ResponseWriter, _ *http.Request) {
	h.mu.Lock()
	checks := make(map[string]string, len(h.last))
	ready := !h.stopping.Load()
	for name, state := range h.last {
		checks[name] = state
		ready = ready && state == "ok"
	}
	h.mu.Unlock()
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": ready, "stopping": h.stopping.Load(), "checks": checks})
}
