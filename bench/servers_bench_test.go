package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"
)

var (
	cpuProfile = flag.String("servers.cpuprofile", "", "BenchmarkServers: write each server's CPU profile, measured loop only, to `prefix`.gateway and prefix.baseline")
	memProfile = flag.String("servers.memprofile", "", "BenchmarkServers: write each server's allocations, sampled every 64 bytes from its loop on, to `prefix`.gateway and prefix.baseline")
)

// BenchmarkServers runs the traffic of cmd/bench through the gateway's real handler and the
// baseline's, in this process, on the same generated 10 000 people: no network and no load
// generator beside them, so the two compare with less noise than the bench's processes do.
// Each request carries a cancellable context, as net/http gives it (both SQLite drivers work
// differently without one). Besides ns/op and allocs/op it reports the process's CPU time per
// request (cpu-ns/op: both servers ask their sources in parallel). Profiles of the measured
// loops only: -servers.cpuprofile and -servers.memprofile.
//
//	go test ./bench -run '^$' -bench Servers -count 4 -benchmem
func BenchmarkServers(b *testing.B) {
	ctx := context.Background()
	const people = 10_000
	dir, env := generated(b, people, false)
	gw, base := env.Gateway.Handler(), openBaseline(b, dir)

	bodies := make([][]byte, 4096)
	t := NewTraffic(people, 1)
	for i := range bodies {
		l := t.Next()
		bodies[i], _ = json.Marshal(map[string]any{"query": headerQuery, "operationName": "CustomerHeader",
			"variables": map[string]any{"identifier": map[string]string{"key": l.Key, "value": l.Value}}})
	}
	for _, s := range []struct {
		name    string
		handler http.Handler
	}{{"gateway", gw}, {"baseline", base}} {
		b.Run(s.name, func(b *testing.B) {
			if *cpuProfile != "" {
				stop := profileTo(b, *cpuProfile+"."+s.name)
				defer stop()
			}
			if *memProfile != "" {
				runtime.MemProfileRate = 64
				defer func() {
					out := create(b, *memProfile+"."+s.name)
					defer out.Close()
					if err := pprof.Lookup("allocs").WriteTo(out, 0); err != nil {
						b.Error(err)
					}
				}()
			}
			i := 0
			before := cpuTime()
			for b.Loop() {
				rec := httptest.NewRecorder()
				rctx, cancel := context.WithCancel(ctx)
				req := httptest.NewRequestWithContext(rctx, http.MethodPost, "http://127.0.0.1/query", bytes.NewReader(bodies[i%len(bodies)]))
				req.Header.Set("Content-Type", "application/json")
				s.handler.ServeHTTP(rec, req)
				cancel()
				if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
				i++
			}
			b.ReportMetric(float64((cpuTime()-before).Nanoseconds())/float64(i), "cpu-ns/op")
		})
	}
}

// profileTo starts a CPU profile into path and returns what stops it.
func profileTo(b *testing.B, path string) func() {
	out := create(b, path)
	if err := pprof.StartCPUProfile(out); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		out.Close()
	}
}

func create(b *testing.B, path string) *os.File {
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
