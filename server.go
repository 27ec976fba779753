// Command profilegate is a GraphQL gateway that tells a contact-center agent who is on the
// line. It reads its flags and the configuration and runs the gateway that internal/gateway
// wires.
//
//	go run .                          # embedded demo in ./data, no configuration needed
//	go run . --config profilegate.yaml
//	go run . apikey --name desk --role agent   # a new API key and the hash to configure
//	go run . check --config profilegate.yaml   # which lookups lack an index, and the fix
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/profilegate/profilegate/auth"
	"github.com/profilegate/profilegate/internal/gateway"
	"github.com/profilegate/profilegate/telemetry"
)

func main() {
	if !heapSampling(os.Getenv) {
		runtime.MemProfileRate = 0
	}
	if err := run(os.Args[1:], os.Getenv, os.Stderr); err != nil {
		slog.New(slog.NewTextHandler(os.Stderr, nil)).Error("profilegate stopped", "err", err)
		os.Exit(1)
	}
}

// version is the gateway's version, set at build time with -ldflags "-X main.version=...".
var version = "dev"

// gcPercent and memoryLimit are the garbage collector's target (GOGC) and soft memory limit
// (GOMEMLIMIT) unless the environment sets them. The gateway's live heap is small (about 3 MB
// under load, 1.2 MB of it the phone metadata), so at Go's default of 100 it collected every
// 3–4 MB allocated, 40 times a second at the bench's 2 400 requests a second, and each cycle's
// fixed work (stacks, globals, starting the workers) weighed more than the heap it marked.
// 200 halves the cycles for about 5 MiB more memory at 1M people (57.6 MiB peak); 400 saved
// nothing more. The limit is above what the Go runtime holds under steady load (a 12 MB heap
// goal, about 17 MiB in all) and bounds what a pile-up of requests makes it hold: when a stall
// at 10M people filled all 64 in-flight slots, GOGC 200 alone let the resident set reach
// 76.5 MiB (docs/design.md).
const (
	gcPercent   = 200
	memoryLimit = 24 << 20
)

// tuneCollector sets the collector's target and memory limit unless GOGC and GOMEMLIMIT
// are set: an operator's choice wins.
func tuneCollector(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// heapSampling reports whether the runtime keeps sampling allocations for heap profiles: only
// when GODEBUG sets memprofilerate, the operator's rate. The gateway serves no profiles, and
// Go's default samples an allocation every 512 KiB with its whole stack, deep here (net/http,
// gqlgen, the stitcher, SQLite): 4.5 µs a request at 1M people in the bench's CPU profile,
// 0.7 % of the gateway's CPU (0.8 µs in the baseline's, with shallower stacks and smaller
// allocations). Go asks for the rate to be set once, as early as possible: first in main.
func heapSampling(getenv func(string) string) bool {
	return strings.Contains(getenv("GODEBUG"), "memprofilerate=")
}

// options are the command line's settings; flags win over the environment.
type options struct {
	addr, configPath, dataDir string
}

func parseOptions(args []string, getenv func(string) string) (options, error) {
	fs := flag.NewFlagSet("profilegate", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.addr, "addr", getenv("PROFILEGATE_ADDR"), "address to listen on (env PROFILEGATE_ADDR; default from config, 127.0.0.1:8080)")
	fs.StringVar(&o.configPath, "config", getenv("PROFILEGATE_CONFIG"), "YAML configuration file (env PROFILEGATE_CONFIG); none runs the embedded demo")
	fs.StringVar(&o.dataDir, "data-dir", getenv("PROFILEGATE_DATA_DIR"), "directory for embedded databases (env PROFILEGATE_DATA_DIR; default ./data)")
	return o, fs.Parse(args)
}

func run(args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "apikey" {
		return newAPIKey(args[1:], os.Stdout)
	}
	if len(args) > 0 && args[0] == "check" {
		return check(args[1:], getenv, os.Stdout)
	}
	opts, err := parseOptions(args, getenv)
	if err != nil {
		return err
	}
	tuneCollector(getenv)
	cfg, isDemo, err := gateway.LoadConfig(opts.configPath, opts.addr, opts.dataDir, getenv)
	if err != nil {
		return err
	}
	logOut := telemetry.NewLogWriter(stderr, cfg.Log.FlushInterval)
	defer logOut.Close()
	log := gateway.NewLogger(cfg, logOut)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	shutdownTracing, err := telemetry.SetupTracing(ctx, cfg.Tracing, version)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdownTracing(ctx); err != nil {
			log.Warn("flushing traces failed", "err", err)
		}
	}()
	gwOpts := []gateway.Option{gateway.WithLogger(log)}
	if isDemo {
		gwOpts = append(gwOpts, gateway.WithDemoData())
	}
	g, err := gateway.New(ctx, cfg, gwOpts...)
	if err != nil {
		return err
	}
	defer g.Close()
	if isDemo {
		// The demo's indexes take a moment: its first answers are complete.
		if err := g.WaitForIndexes(ctx); err != nil {
			return err
		}
	}
	ls, err := g.Listen()
	if err != nil {
		return err
	}
	url := "http://" + ls.API.Addr().String()
	metricsURL := url + "/metrics"
	if ls.Metrics != nil {
		metricsURL = "http://" + ls.Metrics.Addr().String() + "/metrics"
	}
	log.Info("profilegate listening", "graphiql", url+"/", "graphql", url+"/query", "metrics", metricsURL, "demo", isDemo, "version", version)
	if isDemo {
		logOut.Flush() // the hint comes after the line saying where to look
		fmt.Fprintf(stderr, "\nDemo data in %s. Try:\n\n  curl -s %s/query -H 'Content-Type: application/json' -d '%s'\n\n",
			cfg.DataDir, url, sampleRequest)
	}
	return g.Serve(ctx, ls)
}

// sampleRequest is the query the demo suggests at start.
const sampleRequest = `{"query":"{ customerHeader(identifier: {key: \"phonenumber\", value: \"(415) 555-0100\"}) { name badge secondaryTrait { label formatted timeSince } avatarUrl profile { id status sources } } }"}`

// check prints how each source runs profilegate's lookups and the CREATE INDEX statements
// that spare a lookup reading a whole table; it fails when one would.
func check(args []string, getenv func(string) string, w io.Writer) error {
	opts, err := parseOptions(args, getenv)
	if err != nil {
		return err
	}
	cfg, isDemo, err := gateway.LoadConfig(opts.configPath, opts.addr, opts.dataDir, getenv)
	if err != nil {
		return err
	}
	advice, err := gateway.Check(context.Background(), cfg, isDemo)
	if err != nil {
		return err
	}
	if !gateway.WriteAdvice(w, advice) {
		return errors.New("check: some lookups read whole tables")
	}
	return nil
}

// newAPIKey prints a new API key, to hand to its user, and the configuration entry holding its
// hash; the key itself is stored nowhere.
func newAPIKey(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("profilegate apikey", flag.ContinueOnError)
	name := fs.String("name", "", "the key's name, shown in the settings history")
	role := fs.String("role", string(auth.RoleAgent), "agent or admin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	entry := auth.Config{APIKeys: []auth.APIKey{{Name: *name, Role: auth.Role(*role)}}}
	key, hash := auth.NewKey()
	entry.APIKeys[0].SHA256 = hash
	if err := entry.Validate(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "API key (give it to its user; it is not stored):\n\n  %s\n\nAdd to auth.api_keys in the configuration:\n\n  - name: %s\n    role: %s\n    sha256: %s\n",
		key, *name, *role, hash)
	return err
}
