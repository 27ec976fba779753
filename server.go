// Command profilegate is a GraphQL gateway that tells a contact-center agent who is on the
// line. It is the one wiring point: it reads the configuration, opens the store and the
// sources, builds the resolvers and serves them.
//
//	go run .                          # embedded demo in ./data, no configuration needed
//	go run . --config profilegate.yaml
//	go run . apikey --name desk --role agent   # a new API key and the hash to configure
package main

//go:generate go run github.com/99designs/gqlgen generate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/profilegate/profilegate/auth"
	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/telemetry"
)

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stderr); err != nil {
		slog.New(slog.NewTextHandler(os.Stderr, nil)).Error("profilegate stopped", "err", err)
		os.Exit(1)
	}
}

// version is the gateway's version, set at build time with -ldflags "-X main.version=...".
var version = "dev"

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
	opts, err := parseOptions(args, getenv)
	if err != nil {
		return err
	}
	cfg, isDemo, err := loadConfig(opts, getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
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
	a, err := newApp(ctx, cfg, isDemo, log, func() time.Time { return time.Now().UTC() })
	if err != nil {
		return err
	}
	defer a.Close()

	api, err := listen(cfg.Addr, a.Handler)
	if err != nil {
		return err
	}
	endpoints, metricsURL := []endpoint{api}, api.url()+"/metrics"
	if a.MetricsHandler != nil {
		metrics, err := listen(cfg.MetricsAddr, a.MetricsHandler)
		if err != nil {
			api.ln.Close()
			return fmt.Errorf("metrics_addr: %w", err)
		}
		endpoints, metricsURL = append(endpoints, metrics), metrics.url()+"/metrics"
	}
	url := api.url()
	log.Info("profilegate listening", "graphiql", url+"/", "graphql", url+"/query", "metrics", metricsURL, "demo", isDemo, "version", version)
	if isDemo {
		fmt.Fprintf(stderr, "\nDemo data in %s. Try:\n\n  curl -s %s/query -H 'Content-Type: application/json' -d '%s'\n\n",
			cfg.DataDir, url, sampleRequest)
	}
	return serve(ctx, a.Health, cfg.Shutdown, log, endpoints...)
}

// endpoint is an address the gateway listens on and what it serves there.
type endpoint struct {
	ln net.Listener
	h  http.Handler
}

func listen(addr string, h http.Handler) (endpoint, error) {
	ln, err := net.Listen("tcp", addr)
	return endpoint{ln, h}, err
}

func (e endpoint) url() string { return "http://" + e.ln.Addr().String() }

// newLogger logs in the configured format and level: JSON lines for log collectors, text for
// people (the demo).
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	level, _ := cfg.LogLevel() // validated
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// serve serves each endpoint until ctx ends, then stops gracefully: readiness turns false at
// once, after sd.Delay (for load balancers to stop sending) the listeners close, so new
// connections are refused, and in-flight requests get up to sd.Grace to finish. The first
// endpoint is the API; the others (metrics) close after it, so its shutdown can be watched.
func serve(ctx context.Context, health *telemetry.Health, sd config.Shutdown, log *slog.Logger, endpoints ...endpoint) error {
	errc := make(chan error, len(endpoints))
	servers := make([]*http.Server, len(endpoints))
	for i, e := range endpoints {
		servers[i] = &http.Server{Handler: e.h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
		go func() { errc <- servers[i].Serve(e.ln) }()
	}
	select {
	case err := <-errc:
		for _, srv := range servers {
			srv.Close()
		}
		return err
	case <-ctx.Done():
	}
	health.Stopping()
	log.Info("shutting down: not ready any more", "delay", sd.Delay, "grace", sd.Grace)
	time.Sleep(sd.Delay)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), sd.Grace)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		errs = append(errs, srv.Shutdown(shutdownCtx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("shutdown: requests still running after %s: %w", sd.Grace, err)
	}
	log.Info("stopped")
	return nil
}

// sampleRequest is the query the demo suggests at start.
const sampleRequest = `{"query":"{ customerHeader(identifier: {key: \"phonenumber\", value: \"(415) 555-0100\"}) { name badge secondaryTrait { label formatted timeSince } avatarUrl profile { id status sources } } }"}`

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
