// Package gateway wires profilegate, and is the one place that does: it opens the store and
// the sources a configuration names, builds the settings, the agent desk service, the
// resolvers and the HTTP handler in front of them, and serves them. The command in the
// repository's root only reads its flags and runs it; the tests' harness (gatewaytest) starts
// it exactly as the command does.
package gateway

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for PostgreSQL
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the "sqlite" driver, pure Go

	"github.com/profilegate/profilegate/auth"
	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/demo"
	"github.com/profilegate/profilegate/desk"
	"github.com/profilegate/profilegate/flexapi"
	"github.com/profilegate/profilegate/flexgraph"
	"github.com/profilegate/profilegate/loaders"
	"github.com/profilegate/profilegate/matchindex"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/ratelimit"
	"github.com/profilegate/profilegate/resolvers"
	"github.com/profilegate/profilegate/settings"
	"github.com/profilegate/profilegate/sources"
	"github.com/profilegate/profilegate/sources/sqlsource"
	"github.com/profilegate/profilegate/sqlitemem"
	"github.com/profilegate/profilegate/store"
	"github.com/profilegate/profilegate/telemetry"
)

// Gateway is a wired profilegate.
type Gateway struct {
	cfg     *config.Config
	log     *slog.Logger
	handler http.Handler
	// metricsHandler serves /metrics when the configuration gives it an address of its own.
	metricsHandler http.Handler
	metrics        *telemetry.Metrics
	health         *telemetry.Health
	indexes        []*matchindex.Index
	// counter counts the per-caller budgets.
	counter ratelimit.Counter
	// counterWarned is when a failing counter was last logged (Unix nanoseconds).
	counterWarned atomic.Int64
	closers       []func() error
	dbs           []*sqlx.DB
	// stop ends the background work: settings refresh, health checks, JWKS refresh.
	stop context.CancelFunc
}

// options are what New may be told besides the configuration.
type options struct {
	log  *slog.Logger
	now  func() time.Time
	seed bool
}

// Option changes how New wires the gateway.
type Option func(*options)

// WithLogger logs to log; the default discards.
func WithLogger(log *slog.Logger) Option { return func(o *options) { o.log = log } }

// WithClock makes now the gateway's clock (recorded contacts, settings history, "7 years").
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithDemoData creates the demo's tables in the sources and seeds them before serving.
func WithDemoData() Option { return func(o *options) { o.seed = true } }

// New opens the store and the sources cfg names and builds the handler. cfg must be valid
// (config.Load and LoadConfig validate). Databases are not reached until first used, except
// the store, which is migrated: a source that is down at start does not keep the gateway from
// starting.
func New(ctx context.Context, cfg *config.Config, opts ...Option) (*Gateway, error) {
	o := options{log: slog.New(slog.DiscardHandler), now: func() time.Time { return time.Now().UTC() }}
	for _, opt := range opts {
		opt(&o)
	}
	g := &Gateway{cfg: cfg, log: o.log, metrics: telemetry.NewMetrics()}
	ctx, g.stop = context.WithCancel(context.WithoutCancel(ctx))
	built := false
	defer func() {
		if !built {
			g.Close() // what was opened before the failure
		}
	}()
	if o.seed || cfg.Store.DSN == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("data_dir: %w", err)
		}
	}
	norm, err := cfg.Normalizer()
	if err != nil {
		return nil, err
	}
	// Before the first SQLite connection: the page caches of all of them in one buffer.
	if n, err := sqlitemem.Reserve(sqlitemem.Lines(sqliteConnections(cfg), cfg.SQLite.CacheKiB)); err != nil {
		o.log.Debug("sqlite page caches are allocated page by page", "err", err)
	} else if n > 0 {
		o.log.Debug("sqlite page caches share one buffer", "lines", n)
	}
	storeDB := cfg.StoreDatabase()
	db, err := g.open("store", storeDB, cfg.DatabasePool(storeDB))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var contacts *sqlx.DB
	if cd, ok := cfg.ContactsDatabase(); ok {
		if contacts, err = g.open("contacts", cd, cfg.DatabasePool(cd)); err != nil {
			return nil, fmt.Errorf("store: contacts: %w", err)
		}
	}
	st, err := store.New(ctx, db, contacts)
	if err != nil {
		return nil, err
	}
	checks := []telemetry.Check{{Name: "store", Ping: st.Ping}}
	go g.prune(ctx, st, o.now)
	var guarded []*sources.Guarded
	var histories []*sources.GuardedHistory
	var deskHistories []desk.HistorySource
	indexMetrics := g.metrics.MatchIndexes(time.Now)
	owner := replicaName()
	for _, sc := range cfg.Sources {
		src, err := g.openSource(ctx, sc, norm, o.seed)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", sc.Name, err)
		}
		checks = append(checks, telemetry.Check{Name: "source " + sc.Name, Ping: src.Ping})
		g.metrics.Statements(sc.Name, src.Queries)
		go g.adviseAtStart(ctx, sc.Name, src)
		if mi := cfg.SourceMatchIndex(sc); !mi.Disabled {
			ix := matchindex.New(src, st, matchindex.Config{
				Refresh: mi.Refresh, Reconcile: mi.Reconcile, Owner: owner, Lease: max(30*time.Second, 3*mi.Refresh),
				Now: time.Now, Log: o.log, Observer: indexMetrics, // its schedule runs on real time, whatever the gateway's clock
			})
			src.UseIndex(ix)
			go ix.Run(ctx)
			checks = append(checks, telemetry.Check{Name: "match index " + sc.Name, Ping: ix.Check, Says: true})
			g.indexes = append(g.indexes, ix)
		}
		b := cfg.SourceBreaker(sc)
		gs := sources.Guard(src, cfg.SourceTimeout(sc), sources.Breaker{Failures: b.Failures, OpenFor: b.OpenFor}, g.metrics)
		guarded = append(guarded, gs)
		if sc.History != nil {
			hs, err := src.History(*sc.History)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", sc.Name, err)
			}
			h := gs.WithHistory(hs)
			histories, deskHistories = append(histories, h), append(deskHistories, h)
		}
	}
	g.counter = ratelimit.NewLocal()
	if cfg.Limits.RedisURL != "" {
		r, err := ratelimit.NewRedis(cfg.Limits.RedisURL, cfg.Limits.WriteTimeout)
		if err != nil {
			return nil, err
		}
		g.closers = append(g.closers, r.Close)
		checks = append(checks, telemetry.Check{Name: "redis", Ping: r.Ping})
		g.counter = r
	}
	authn, err := auth.New(ctx, cfg.Auth, &http.Client{Timeout: 10 * time.Second}, o.log)
	if err != nil {
		return nil, err
	}
	if authn.Disabled() {
		o.log.Warn("auth is off: every request may read and change everything; this is only allowed on loopback", "addr", cfg.Addr)
	}
	if authn.UsesJWKS() {
		checks = append(checks, telemetry.Check{Name: "auth jwks", Ping: authn.Check, Says: true})
	}
	g.health = telemetry.NewHealth(checks, min(cfg.HealthInterval, 2*time.Second))
	go g.health.Run(ctx, cfg.HealthInterval)

	settingsService, err := settings.Open(ctx, st, norm, cfg.InitialSettings(norm), o.now, o.log)
	if err != nil {
		return nil, err
	}
	go settingsService.Watch(ctx, cfg.SettingsRefresh)
	deskService := desk.New(desk.Config{
		Normalizer: norm,
		Resolution: cfg.Resolution(),
		Store: ratelimit.ContactBudget{
			UnidentifiedStore: telemetry.CountingStore{UnidentifiedStore: st, Metrics: g.metrics},
			Counter:           g.counter, PerMinute: cfg.Limits.PerCaller.NewContactsPerMinute, Caller: callerOf, Warn: g.counterFailed,
		},
		Now:     o.now,
		History: deskHistories,
	}, settingsService)
	res := &resolvers.Resolver{Desk: deskService, SettingsService: settingsService, MaxPageSize: cfg.Limits.MaxPageSize}
	api, err := graphQLHandler(res, cfg, o.log)
	if err != nil {
		return nil, err
	}
	perRequest := loaders.NewFactory(guarded, histories, cfg.StitchDepth+1, cfg.BatchWait)
	g.closers = append(g.closers, perRequest.Close)
	var connector http.Handler
	if base := cfg.Flex.ProfileConnectorPath; base != "" {
		attrs := maps.Clone(flexapi.DefaultAttributes)
		maps.Copy(attrs, cfg.Flex.Attributes)
		c := &flexapi.Connector{Desk: deskService, Settings: settingsService, Attributes: attrs}
		connector = flexapi.BasicToken(g.edge(authn, perRequest.Middleware(c.Handler(base))))
	}
	var flexGQL http.Handler
	if cfg.Flex.GraphQLPath != "" {
		h, err := flexGraphQLHandler(&flexgraph.Resolver{Desk: deskService, Settings: settingsService, MaxPageSize: cfg.Limits.MaxPageSize}, cfg, o.log)
		if err != nil {
			return nil, err
		}
		flexGQL = flexapi.BasicToken(g.edge(authn, perRequest.Middleware(h)))
	}
	g.handler = g.routes(g.edge(authn, perRequest.Middleware(api)), connector, flexGQL, cfg.MetricsAddr == "")
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", g.metrics.Handler())
		g.metricsHandler = mux
	}
	built = true
	return g, nil
}

func (g *Gateway) openSource(ctx context.Context, sc config.SourceConfig, norm *profile.Normalizer, seed bool) (*sqlsource.Source, error) {
	db, err := g.open("source:"+sc.Name, sc.Database, g.cfg.DatabasePool(sc.Database))
	if err != nil {
		return nil, err
	}
	if seed {
		seedTables := []func(context.Context, *sqlx.DB) error{demo.SeedWarehouse, demo.SeedWarehouseHistory}
		if sc.Records != nil {
			seedTables = []func(context.Context, *sqlx.DB) error{demo.SeedCRM, demo.SeedCRMHistory}
		}
		for _, fill := range seedTables {
			if err := fill(ctx, db); err != nil {
				return nil, err
			}
		}
	}
	if sc.Records != nil {
		return sqlsource.NewRecordTable(sc.Name, db, norm, *sc.Records)
	}
	return sqlsource.NewIdentityGraph(sc.Name, db, norm, *sc.IdentityGraph)
}

// sqliteConnections is how many SQLite connections cfg opens at most with the configured page
// cache: the store's, its contacts' and the sources'.
func sqliteConnections(cfg *config.Config) int {
	dbs := []config.Database{cfg.StoreDatabase()}
	if cd, ok := cfg.ContactsDatabase(); ok {
		dbs = append(dbs, cd)
	}
	for _, sc := range cfg.Sources {
		dbs = append(dbs, sc.Database)
	}
	n := 0
	for _, d := range dbs {
		if d.Driver == "sqlite" && cfg.OpenDSN(d) != d.DSN {
			n += cfg.DatabasePool(d).MaxOpen
		}
	}
	return n
}

// open opens a database with its connection pool and exports the pool's metrics under name.
func (g *Gateway) open(name string, d config.Database, pool config.Pool) (*sqlx.DB, error) {
	db, err := sqlx.Open(config.Drivers[d.Driver], g.cfg.OpenDSN(d))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(pool.MaxOpen)
	db.SetMaxIdleConns(pool.MaxIdle)
	db.SetConnMaxLifetime(pool.MaxLifetime)
	g.dbs = append(g.dbs, db)
	g.metrics.Database(name, db.DB)
	return db, nil
}

// Handler serves the API: /query, GraphiQL, health and, without metrics_addr, /metrics.
func (g *Gateway) Handler() http.Handler { return g.handler }

// WaitForIndexes blocks until every source's match index has finished its first build, or
// ctx ends. Until then the gateway serves, matching live only, and is not ready.
func (g *Gateway) WaitForIndexes(ctx context.Context) error {
	for _, ix := range g.indexes {
		if err := ix.WaitReady(ctx); err != nil {
			return err
		}
	}
	return nil
}

// MetricsHandler serves /metrics when the configuration gives it an address of its own; nil
// when Handler serves it.
func (g *Gateway) MetricsHandler() http.Handler { return g.metricsHandler }

// Close stops the gateway's background work and closes every database it opened. It may be
// called on a gateway New failed to finish.
func (g *Gateway) Close() error {
	if g.stop != nil {
		g.stop()
	}
	var errs []error
	for _, db := range g.dbs {
		errs = append(errs, db.Close())
	}
	for _, c := range g.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// prune drops unidentified contacts past their retention now and then every retention.every,
// until ctx ends.
func (g *Gateway) prune(ctx context.Context, st *store.Store, now func() time.Time) {
	r := g.cfg.Retention
	for {
		pruned, remaining, err := st.PruneContacts(ctx, r, now())
		switch {
		case err != nil && ctx.Err() == nil:
			g.log.WarnContext(ctx, "retention: pruning unidentified contacts failed", "err", err)
		case err == nil:
			g.metrics.Pruned(pruned, remaining)
			if pruned > 0 {
				g.log.InfoContext(ctx, "retention: pruned unidentified contacts", "pruned", pruned, "remaining", remaining)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.Every):
		}
	}
}

// callerOf names the caller of a request for its budgets.
func callerOf(ctx context.Context) string {
	if p := auth.For(ctx); p != nil {
		return p.Name
	}
	return "anonymous"
}

// counterFailed logs, at most every ten seconds, that the per-caller budgets could not be
// counted: requests then go on uncounted.
func (g *Gateway) counterFailed(ctx context.Context, err error) {
	now := time.Now().UnixNano()
	last := g.counterWarned.Load()
	if now-last < int64(10*time.Second) || !g.counterWarned.CompareAndSwap(last, now) {
		return
	}
	g.log.WarnContext(ctx, "limits: the per-caller budgets cannot be counted; requests go on uncounted", "err", err)
}

// replicaName names this process among the replicas sharing a store, for the match index's
// lease: host, process and a random part, so a restarted process is a new replica.
func replicaName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])
}

// LoadConfig reads the configuration file at path, or builds the demo's when path is empty
// (isDemo), and applies the command line's address and data directory over it; each wins when
// set. The result is validated.
func LoadConfig(path, addr, dataDir string, getenv func(string) string) (cfg *config.Config, isDemo bool, err error) {
	if path != "" {
		if cfg, err = config.Load(path, getenv); err != nil {
			return nil, false, err
		}
	} else {
		cfg, isDemo = demo.Config(cmp.Or(dataDir, config.Default().DataDir)), true
		cfg.ApplyEnv(getenv)
	}
	cfg.Addr = cmp.Or(addr, cfg.Addr)
	cfg.DataDir = cmp.Or(dataDir, cfg.DataDir)
	if err := cfg.Validate(); err != nil {
		return nil, false, fmt.Errorf("config:\n%w", err)
	}
	return cfg, isDemo, nil
}

// NewLogger logs in the configured format and level to w: JSON lines for log collectors, text
// for people (the demo).
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	level, _ := cfg.LogLevel() // validated
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
