package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for PostgreSQL
	"github.com/jmoiron/sqlx"
	"github.com/vektah/gqlparser/v2/ast"
	_ "modernc.org/sqlite" // the "sqlite" driver, pure Go

	"github.com/profilegate/profilegate/auth"
	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/demo"
	"github.com/profilegate/profilegate/graph"
	"github.com/profilegate/profilegate/graphiql"
	"github.com/profilegate/profilegate/guard"
	"github.com/profilegate/profilegate/httpapi"
	"github.com/profilegate/profilegate/loaders"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/resolvers"
	"github.com/profilegate/profilegate/settings"
	"github.com/profilegate/profilegate/sources/sqlsource"
	"github.com/profilegate/profilegate/store"
	"github.com/profilegate/profilegate/telemetry"
)

// loadConfig reads the configuration file, or builds the demo's when none is given; flags and
// their environment variables override the file.
func loadConfig(opts options, getenv func(string) string) (cfg *config.Config, isDemo bool, err error) {
	if opts.configPath != "" {
		if cfg, err = config.Load(opts.configPath, getenv); err != nil {
			return nil, false, err
		}
	} else {
		cfg, isDemo = demo.Config(cmp.Or(opts.dataDir, config.Default().DataDir)), true
		cfg.ApplyEnv(getenv)
	}
	cfg.Addr = cmp.Or(opts.addr, cfg.Addr)
	cfg.DataDir = cmp.Or(opts.dataDir, cfg.DataDir)
	if err := cfg.Validate(); err != nil {
		return nil, false, fmt.Errorf("config:\n%w", err)
	}
	return cfg, isDemo, nil
}

// appOptions change how newApp wires; the tests' harness uses them to inject faults.
type appOptions struct {
	// wrapSource wraps each source, e.g. to delay or fail its lookups.
	wrapSource func(profile.Source) profile.Source
}

type appOption func(*appOptions)

// app is the wired gateway.
type app struct {
	Handler  http.Handler
	Store    *store.Store
	Sources  []*sqlsource.Source
	Settings *settings.Service
	Metrics  *telemetry.Metrics
	Health   *telemetry.Health
	// MetricsHandler serves /metrics when the configuration gives it an address of its own;
	// nil when Handler serves it.
	MetricsHandler http.Handler
	storeDB        *sqlx.DB
	dbs            []*sqlx.DB
	// stop ends the app's background work: settings refresh, health checks, JWKS refresh.
	stop context.CancelFunc
}

// newApp opens the store and the sources the configuration names and builds the handler.
// With isDemo it first creates and seeds the demo databases. now is the gateway's clock.
func newApp(ctx context.Context, cfg *config.Config, isDemo bool, log *slog.Logger, now func() time.Time, opts ...appOption) (a *app, err error) {
	var o appOptions
	for _, opt := range opts {
		opt(&o)
	}
	a = &app{}
	ctx, a.stop = context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if isDemo || cfg.Store.DSN == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, err
		}
	}
	norm, err := cfg.Normalizer()
	if err != nil {
		return nil, err
	}
	a.Metrics = telemetry.NewMetrics()
	storeDB := cfg.StoreDatabase()
	if a.storeDB, err = a.open("store", storeDB, cfg.DatabasePool(storeDB)); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if a.Store, err = store.New(ctx, a.storeDB); err != nil {
		return nil, err
	}
	checks := []telemetry.Check{{Name: "store", Ping: a.Store.Ping}}
	var sources []loaders.Source
	for _, sc := range cfg.Sources {
		src, err := a.openSource(ctx, sc, cfg.DatabasePool(sc.Database), norm, isDemo)
		if err != nil {
			return nil, err
		}
		a.Sources = append(a.Sources, src)
		checks = append(checks, telemetry.Check{Name: "source " + sc.Name, Ping: src.Ping})
		b := cfg.SourceBreaker(sc)
		var guarded profile.Source = src
		if o.wrapSource != nil {
			guarded = o.wrapSource(src)
		}
		sources = append(sources, loaders.NewSource(guarded, cfg.SourceTimeout(sc), loaders.Breaker{Failures: b.Failures, OpenFor: b.OpenFor}, a.Metrics))
	}
	a.Health = telemetry.NewHealth(checks, min(cfg.HealthInterval, 2*time.Second))
	go a.Health.Run(ctx, cfg.HealthInterval)
	base := cfg.SettingsBase(norm)
	base.Store, base.Now = telemetry.CountingStore{UnidentifiedStore: a.Store, Metrics: a.Metrics}, now
	if a.Settings, err = settings.Open(ctx, a.Store, base, cfg.InitialSettings(norm), log); err != nil {
		return nil, err
	}
	go a.Settings.Watch(ctx, cfg.SettingsRefresh)
	authn, err := auth.New(ctx, cfg.Auth, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	if authn.Disabled() {
		log.Warn("auth is off: every request may read and change everything; this is only allowed on loopback", "addr", cfg.Addr)
	}
	res := &resolvers.Resolver{Config: a.Settings, Now: now, MaxPageSize: cfg.Limits.MaxPageSize}
	gql := loaders.NewFactory(sources, cfg.BatchWait).Middleware(newGraphQLHandler(res, cfg.Limits, log))
	query := httpapi.Authenticate(authn, log, httpapi.FlexVersion(gql))
	a.Handler = a.routes(httpapi.CORS(cfg.CORSOrigins, telemetry.Traced("graphql", telemetry.Requests(a.Metrics, log, httpapi.Admit(cfg.Limits.MaxInFlight, cfg.Limits.InFlightWait, query)))), cfg.MetricsAddr == "")
	if cfg.MetricsAddr != "" {
		metrics := http.NewServeMux()
		metrics.Handle("GET /metrics", a.Metrics.Handler())
		a.MetricsHandler = metrics
	}
	return a, nil
}

func (a *app) openSource(ctx context.Context, sc config.Source, pool config.Pool, norm *profile.Normalizer, isDemo bool) (*sqlsource.Source, error) {
	db, err := a.open("source:"+sc.Name, sc.Database, pool)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", sc.Name, err)
	}
	if isDemo {
		seed := demo.SeedWarehouse
		if sc.Records != nil {
			seed = demo.SeedCRM
		}
		if err := seed(ctx, db); err != nil {
			return nil, fmt.Errorf("source %s: %w", sc.Name, err)
		}
	}
	if sc.Records != nil {
		return sqlsource.NewRecordTable(sc.Name, db, norm, *sc.Records)
	}
	return sqlsource.NewIdentityGraph(sc.Name, db, norm, *sc.IdentityGraph)
}

// open opens a database with its connection pool and exports the pool's metrics under name.
// The database is not reached until first used, so a source that is down at start does not
// keep the gateway from starting.
func (a *app) open(name string, d config.Database, pool config.Pool) (*sqlx.DB, error) {
	db, err := sqlx.Open(config.Drivers[d.Driver], d.DSN)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(pool.MaxOpen)
	db.SetMaxIdleConns(pool.MaxIdle)
	db.SetConnMaxLifetime(pool.MaxLifetime)
	a.dbs = append(a.dbs, db)
	a.Metrics.Database(name, db.DB)
	return db, nil
}

// Close stops the app's background work and closes every database it opened.
func (a *app) Close() error {
	a.stop()
	var errs []error
	for _, db := range a.dbs {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}

// newGraphQLHandler serves the schema over HTTP POST and GET, within the limits.
func newGraphQLHandler(res *resolvers.Resolver, limits config.Limits, log *slog.Logger) http.Handler {
	cfg := graph.Config{Resolvers: res, Complexity: resolvers.Complexity(limits.MaxPageSize)}
	cfg.Directives.HasRole = resolvers.HasRole
	srv := handler.New(graph.NewExecutableSchema(cfg))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(httpapi.Transport{MaxBodyBytes: limits.MaxBodyBytes})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(limits.MaxTokens)
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(guard.Limits{MaxTokens: limits.MaxTokens, MaxDepth: limits.MaxDepth, MaxRootFields: limits.MaxRootFields, MaxAliases: limits.MaxAliases})
	srv.Use(extension.FixedComplexityLimit(limits.MaxComplexity))
	srv.Use(telemetry.Operations{})
	srv.SetErrorPresenter(resolvers.PresentError(log))
	srv.SetRecoverFunc(resolvers.Recover(log))
	return srv
}

// routes mounts the GraphQL endpoint, GraphiQL, the health checks and, with withMetrics, the
// metrics.
func (a *app) routes(gql http.Handler, withMetrics bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/query", gql)
	ui := graphiql.Handler()
	mux.Handle("GET /{$}", ui)
	mux.Handle("GET /graphiql/", ui)
	if withMetrics {
		mux.Handle("GET /metrics", a.Metrics.Handler())
	}
	mux.HandleFunc("GET /healthz", a.Health.Live)
	mux.HandleFunc("GET /readyz", a.Health.Ready)
	return mux
}
