// Package gatewaytest is the one harness of profilegate's integration tests, in the manner of
// Cosmo's router-tests/testenv: it starts the real gateway, wired by internal/gateway exactly
// as the command wires it, on the demo's data in SQLite files or in a throwaway real
// PostgreSQL, serves it on loopback, and gives the test one GraphQL client and a way to make
// a source slow, hang or fail from the outside (a proxy in front of its database), so
// production code carries no test hooks.
package gatewaytest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/demo"
	"github.com/profilegate/profilegate/internal/gateway"
	"github.com/profilegate/profilegate/internal/pgtest"
	"github.com/profilegate/profilegate/store"
)

// Main runs a test package that uses the harness and stops the PostgreSQL it started.
func Main(m *testing.M) { pgtest.Main(m) }

// Now is the clock of every test gateway, so rendered headers do not age.
var Now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// Backends are the databases a gateway runs the demo on: everything on SQLite files, or
// sources and store on one real PostgreSQL database.
var Backends = []string{"sqlite", "postgres"}

// DemoConfig is the demo's configuration on a backend.
func DemoConfig(t testing.TB, backend string) *config.Config {
	t.Helper()
	cfg := demo.Config(t.TempDir())
	if backend == "postgres" {
		db := config.Database{Driver: "postgres", DSN: pgtest.DSN(t)}
		cfg.Store = db
		for i := range cfg.Sources {
			cfg.Sources[i].Database = db
		}
	}
	return cfg
}

// Env is one running gateway and what a test reaches it with.
type Env struct {
	t testing.TB
	// Config is the configuration the gateway runs with.
	Config *config.Config
	// Gateway is the wired gateway.
	Gateway *gateway.Gateway
	// URL is where it is served, e.g. http://127.0.0.1:41234.
	URL    string
	faults map[string]*Fault
	stop   func()
}

type options struct {
	configure   []func(*config.Config)
	seed        bool
	log         *slog.Logger
	faults      bool
	waitIndexes bool
}

// Option changes how Start starts a gateway.
type Option func(*options)

// Configure changes the configuration before the gateway starts.
func Configure(f func(*config.Config)) Option {
	return func(o *options) { o.configure = append(o.configure, f) }
}

// NoSeed starts the gateway on its sources as they are, without creating the demo's tables.
func NoSeed() Option { return func(o *options) { o.seed = false } }

// WithLogger gives the gateway log; by default it logs to the test's log under -v only.
func WithLogger(log *slog.Logger) Option { return func(o *options) { o.log = log } }

// NoWait serves at once, without waiting for the match indexes' first build, as a gateway
// does that a load balancer has not yet found ready.
func NoWait() Option { return func(o *options) { o.waitIndexes = false } }

// WithFaults puts a fault proxy in front of each PostgreSQL source, reached with Env.Fault.
func WithFaults() Option { return func(o *options) { o.faults = true } }

// Start validates cfg, wires a gateway for it (seeding the demo's data unless NoSeed) and
// serves it on loopback until the test ends.
func Start(t testing.TB, cfg *config.Config, opts ...Option) *Env {
	t.Helper()
	o := options{seed: true, log: slog.New(slog.DiscardHandler), waitIndexes: true}
	if testing.Verbose() {
		o.log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	for _, opt := range opts {
		opt(&o)
	}
	for _, f := range o.configure {
		f(cfg)
	}
	env := &Env{t: t, Config: cfg, faults: map[string]*Fault{}}
	if o.faults {
		for i, sc := range cfg.Sources {
			if sc.Driver == "postgres" {
				f := newFault(t, sc.DSN)
				env.faults[sc.Name] = f
				cfg.Sources[i].DSN = f.dsn
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	gwOpts := []gateway.Option{gateway.WithLogger(o.log), gateway.WithClock(func() time.Time { return Now })}
	if o.seed {
		gwOpts = append(gwOpts, gateway.WithDemoData())
	}
	g, err := gateway.New(context.Background(), cfg, gwOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if o.waitIndexes {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := g.WaitForIndexes(ctx); err != nil {
			g.Close()
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(g.Handler())
	env.stop = sync.OnceFunc(func() {
		srv.Close()
		g.Close()
	})
	t.Cleanup(env.stop)
	env.Gateway, env.URL = g, srv.URL
	return env
}

// Stop stops serving and closes the gateway before the test ends, as a restart would.
func (e *Env) Stop() { e.stop() }

// Run runs test against a gateway on each backend, as subtests named by the backend; modify,
// when not nil, changes the demo's configuration first.
func Run(t *testing.T, modify func(*config.Config), test func(t *testing.T, env *Env), opts ...Option) {
	t.Helper()
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			cfg := DemoConfig(t, backend)
			if modify != nil {
				modify(cfg)
			}
			test(t, Start(t, cfg, opts...))
		})
	}
}

// Fault returns the fault proxy in front of the named source; the gateway must have been
// started WithFaults on PostgreSQL.
func (e *Env) Fault(source string) *Fault {
	e.t.Helper()
	f, ok := e.faults[source]
	if !ok {
		e.t.Fatalf("no fault proxy in front of source %q: start the gateway WithFaults on PostgreSQL", source)
	}
	return f
}

// DB opens a database of the configuration for the test to look into, closed when it ends.
func (e *Env) DB(d config.Database) *sqlx.DB { return OpenDB(e.t, d) }

// OpenDB opens a database for t, closed when it ends.
func OpenDB(t testing.TB, d config.Database) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open(config.Drivers[d.Driver], d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// ContactsDB opens the database holding the gateway's unidentified contacts: the store's own
// unless it is SQLite.
func (e *Env) ContactsDB() *sqlx.DB {
	if d, ok := e.Config.ContactsDatabase(); ok {
		return e.DB(d)
	}
	return e.DB(e.Config.StoreDatabase())
}

// Store opens the gateway's store from the test's side.
func (e *Env) Store() *store.Store {
	e.t.Helper()
	var contacts *sqlx.DB
	if d, ok := e.Config.ContactsDatabase(); ok {
		contacts = e.DB(d)
	}
	st, err := store.New(context.Background(), e.DB(e.Config.StoreDatabase()), contacts)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// UnidentifiedCount counts the unidentified profiles the gateway recorded.
func (e *Env) UnidentifiedCount() int {
	e.t.Helper()
	var n int
	if err := e.ContactsDB().Get(&n, `SELECT COUNT(*) FROM unidentified_contacts`); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// Host is the gateway's host:port.
func (e *Env) Host() string {
	u, _ := url.Parse(e.URL)
	return u.Host
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// T is the test the gateway was started for.
func (e *Env) T() testing.TB { return e.t }
