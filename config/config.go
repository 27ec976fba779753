package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/profilegate/profilegate/auth"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/ratelimit"
	"github.com/profilegate/profilegate/settings"
	"github.com/profilegate/profilegate/sources/sqlsource"
	"github.com/profilegate/profilegate/store"
	"github.com/profilegate/profilegate/telemetry"
)

// Config is the whole configuration.
type Config struct {
	// Addr is the address to listen on.
	Addr string `yaml:"addr"`
	// DataDir holds the embedded databases (the gateway's store when no DSN is given, the demo).
	DataDir string `yaml:"data_dir"`
	// DefaultRegion is the ISO 3166 region phone numbers without a country code are read in.
	DefaultRegion string `yaml:"default_region"`
	// StitchDepth is how many rounds of stitching follow the first lookup.
	StitchDepth int `yaml:"stitch_depth"`
	// Timeout is the per-source timeout where a source sets none.
	Timeout time.Duration `yaml:"timeout"`
	// Breaker is the circuit breaker of sources that set none.
	Breaker Breaker `yaml:"breaker"`
	// Pool is the connection pool of PostgreSQL databases that set none: the store's and each
	// source's.
	Pool Pool `yaml:"pool"`
	// SQLite sizes what each connection to a SQLite database (the embedded store, SQLite
	// sources) keeps in memory.
	SQLite SQLite `yaml:"sqlite"`
	// MatchIndex is the match index of sources that set none.
	MatchIndex MatchIndex `yaml:"match_index"`
	// BatchWait is a safety bound: a round's batch goes once every root field of the operation
	// has asked or finished, and after BatchWait should one of them never do either.
	BatchWait time.Duration `yaml:"batch_wait"`
	// SettingsRefresh is how often a replica checks the store for settings another one changed.
	SettingsRefresh time.Duration `yaml:"settings_refresh"`
	// IDPriority is the initial identifier priority; "custom" stands for custom keys.
	IDPriority []string `yaml:"id_priority"`
	// Blocked lists patterns of identifier values that never match.
	Blocked []Blocked `yaml:"blocked"`
	// Settings are the initial settings (identifiers, traits, header, search, components,
	// unidentified_profiles), before admins change them. Identifiers also declare custom keys
	// with their normalization, and traits may set their own source order.
	settings.Settings `yaml:",inline"`
	// Auth says who may call the gateway.
	Auth auth.Config `yaml:"auth"`
	// Limits bound what one request may ask.
	Limits Limits `yaml:"limits"`
	// Introspection lets clients read the schema (__schema, __type): GraphiQL and codegen
	// need it; production may turn it off.
	Introspection bool `yaml:"introspection"`
	// TrustedDocuments, when enabled, runs only the listed operations.
	TrustedDocuments TrustedDocuments `yaml:"trusted_documents"`
	// CORSOrigins are the browser origins allowed to call /query, e.g. https://flex.twilio.com;
	// none allows same-origin pages only.
	CORSOrigins []string `yaml:"cors_origins"`
	// Log says how the gateway logs.
	Log Log `yaml:"log"`
	// Tracing exports OpenTelemetry traces; off without an endpoint.
	Tracing telemetry.Tracing `yaml:"tracing"`
	// MetricsAddr is where /metrics is served when set, e.g. 127.0.0.1:9464, and then only
	// there, out of reach of the API's clients; when empty /metrics is served on Addr.
	MetricsAddr string `yaml:"metrics_addr"`
	// HealthInterval is how often the store and the sources are checked for readiness.
	HealthInterval time.Duration `yaml:"health_interval"`
	// Shutdown says how the gateway stops on SIGTERM.
	Shutdown Shutdown `yaml:"shutdown"`
	// Store is the gateway's own database.
	Store Database `yaml:"store"`
	// Retention says how long unidentified contacts are kept in the store.
	Retention store.Retention `yaml:"retention"`
	// Sources are the profile sources, highest priority first.
	Sources []SourceConfig `yaml:"sources"`
	// Flex says where Flex UI's own requests are answered.
	Flex Flex `yaml:"flex"`
}

// Flex says where Flex UI's own requests are answered.
type Flex struct {
	// ProfileConnectorPath is the base path of the Profile Connector API Flex UI's automated
	// search calls; empty turns it off.
	ProfileConnectorPath string `yaml:"profile_connector_path"`
	// GraphQLPath is where Flex UI's own GraphQL operations (its Unified Profiles data client)
	// are answered; empty turns it off.
	GraphQLPath string `yaml:"graphql_path"`
	// Attributes map the keys of a task's attributes Flex sends to Profiles/Find to identifier
	// keys, or to "auto" (an email or a phone number, told by the value), over
	// flexapi.DefaultAttributes; a configured identifier key always names itself.
	Attributes map[string]string `yaml:"attributes"`
}

// Blocked blocks values matching a regular expression, for one key or (empty) all keys.
type Blocked struct {
	Key     string `yaml:"key"`
	Pattern string `yaml:"pattern"`
}

// Limits bound what one request may ask; each refusal has its own error code.
type Limits struct {
	// MaxBodyBytes bounds a POST body (413 REQUEST_TOO_LARGE).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxTokens bounds the lexical tokens of a query (TOKEN_LIMIT_EXCEEDED).
	MaxTokens int `yaml:"max_tokens"`
	// MaxDepth bounds field nesting, introspection aside (DEPTH_LIMIT_EXCEEDED).
	MaxDepth int `yaml:"max_depth"`
	// MaxRootFields bounds an operation's root fields, aliases included (ROOT_FIELD_LIMIT_EXCEEDED).
	MaxRootFields int `yaml:"max_root_fields"`
	// MaxAliases bounds an operation's aliased fields (ALIAS_LIMIT_EXCEEDED).
	MaxAliases int `yaml:"max_aliases"`
	// MaxComplexity bounds an operation's weight: a field 1, a lookup 10 more, a page its size
	// times its node (COMPLEXITY_LIMIT_EXCEEDED).
	MaxComplexity int `yaml:"max_complexity"`
	// MaxPageSize bounds `first` (BAD_USER_INPUT).
	MaxPageSize int `yaml:"max_page_size"`
	// MaxInFlight bounds the requests to /query answered at once; a request beyond it waits
	// up to InFlightWait for a slot, then is answered 503 OVERLOADED.
	MaxInFlight int `yaml:"max_in_flight"`
	// InFlightWait is how long a request waits for a slot when MaxInFlight are running.
	InFlightWait time.Duration `yaml:"in_flight_wait"`
	// BodyReadTimeout bounds how long a client may take to send its request body, which is
	// read before the request takes a slot (408 REQUEST_TIMEOUT).
	BodyReadTimeout time.Duration `yaml:"body_read_timeout"`
	// ReadHeaderTimeout bounds how long a client may take to send its request headers.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// WriteTimeout bounds a request from its headers to the end of its answer.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout closes a kept-alive connection with no request for this long.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// PerCaller are each caller's budgets (429 RATE_LIMITED, or RATE_LIMITED on the field
	// that would create a new contact).
	PerCaller ratelimit.Limits `yaml:"per_caller"`
	// RedisURL, when set, keeps the per-caller budgets in Redis, shared by every replica
	// (PROFILEGATE_REDIS_URL overrides it); in the process when empty.
	RedisURL string `yaml:"redis_url"`
}

// TrustedDocuments restricts the gateway to a list of operations: the .graphql files of Dir,
// or, when Dir is empty, the sample operations in examples/operations.
type TrustedDocuments struct {
	Enabled bool   `yaml:"enabled"`
	Dir     string `yaml:"dir"`
}

// Log says how the gateway logs: format "json" (one object per line) or "text".
type Log struct {
	Format string `yaml:"format"`
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// FlushInterval is how long lines may gather before they are written together; 0 writes
	// each line at once.
	FlushInterval time.Duration `yaml:"flush_interval"`
}

// Shutdown says how the gateway stops: readiness turns false, then after Delay (for load
// balancers to notice) the listener closes and in-flight requests get up to Grace to finish.
type Shutdown struct {
	Delay time.Duration `yaml:"delay"`
	Grace time.Duration `yaml:"grace"`
}

// Breaker is a source's circuit breaker: after Failures lookups in a row fail, the source is
// not asked for OpenFor, then one probe decides. Failures 0 turns it off.
type Breaker struct {
	Failures uint32        `yaml:"failures"`
	OpenFor  time.Duration `yaml:"open_for"`
}

// Pool bounds a database's connections. Without a bound, a burst of requests opens a
// connection per concurrent query until PostgreSQL refuses more ("too many clients") for every
// replica at once; with one, queries queue for a connection within their timeout.
type Pool struct {
	// MaxOpen is the most connections open at once.
	MaxOpen int `yaml:"max_open"`
	// MaxIdle is the most connections kept open while idle; keeping them spares a new
	// connection (a process on PostgreSQL) per query after a burst.
	MaxIdle int `yaml:"max_idle"`
	// MaxLifetime closes connections older than this, so they follow a failover or a DNS
	// change; 0 keeps them.
	MaxLifetime time.Duration `yaml:"max_lifetime"`
}

// SQLite sizes what each connection to a SQLite database keeps in memory. A connection's page
// cache is its own, so a database's cached pages take up to pool.max_open × CacheKiB: at
// SQLite's default (2000 KiB) the store and two sources at ten connections each could hold
// 60 MiB, about half the gateway's memory, for no measurable speed (docs/design.md).
type SQLite struct {
	// CacheKiB is each connection's page cache (PRAGMA cache_size), unless a DSN sets its own.
	CacheKiB int `yaml:"cache_kib"`
	// MaxOpen is the most connections to a SQLite database that sets no pool of its own (the
	// global pool is for PostgreSQL). SQLite runs in the gateway's process, so connections
	// beyond the cores add memory (each its page cache and prepared statements), not speed.
	MaxOpen int `yaml:"max_open"`
}

// MatchIndex says how a source's match index is kept: the index finds records whatever
// spelling the source stores an identifier in.
type MatchIndex struct {
	// Disabled turns the index off: lookups then find only the spellings SQL compares
	// (stored_as).
	Disabled bool `yaml:"disabled"`
	// Refresh is how often the index catches up with the source's changes (its
	// updated_column or timestamp_column): the longest a contact written in an unusual
	// spelling waits to be found.
	Refresh time.Duration `yaml:"refresh"`
	// Reconcile is how often the index is rebuilt in full, to drop deleted records and catch
	// changes that left the updated column alone.
	Reconcile time.Duration `yaml:"reconcile"`
}

// Database is a database to open: driver "sqlite" or "postgres", its DSN, and optionally
// its own connection pool.
type Database struct {
	Driver string `yaml:"driver"`
	DSN    string `yaml:"dsn"`
	Pool   *Pool  `yaml:"pool"`
}

// SourceConfig configures one profile source: a database and the shape of its tables, exactly
// one of Records (a CRM's record table) and IdentityGraph (a warehouse's identity graph).
type SourceConfig struct {
	Name     string `yaml:"name"`
	Database `yaml:",inline"`
	// Timeout bounds each lookup; the global Timeout when zero.
	Timeout time.Duration `yaml:"timeout"`
	// Breaker overrides the global circuit breaker for this source.
	Breaker *Breaker `yaml:"breaker"`
	// MatchIndex overrides the global match index for this source.
	MatchIndex *MatchIndex `yaml:"match_index"`
	// SystemOfRecord marks a source whose records are known customers (the CRM).
	SystemOfRecord bool                     `yaml:"system_of_record"`
	Records        *sqlsource.RecordTable   `yaml:"records"`
	IdentityGraph  *sqlsource.IdentityGraph `yaml:"identity_graph"`
	// History, when set, is where the source keeps its people's history: activities for a
	// record table, events for an identity graph.
	History *sqlsource.History `yaml:"history"`
}

// Drivers maps the configured driver names to database/sql driver names.
var Drivers = map[string]string{"sqlite": "sqlite", "postgres": "pgx"}

// Default returns the configuration of a deployment that sets nothing; it has no sources.
func Default() *Config {
	return &Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "data",
		DefaultRegion:   "US",
		StitchDepth:     profile.DefaultDepth,
		Timeout:         2 * time.Second,
		Breaker:         Breaker{Failures: 5, OpenFor: 10 * time.Second},
		Pool:            Pool{MaxOpen: 10, MaxIdle: 10, MaxLifetime: 30 * time.Minute},
		SQLite:          SQLite{CacheKiB: 256, MaxOpen: 4},
		MatchIndex:      MatchIndex{Refresh: 5 * time.Second, Reconcile: 10 * time.Minute},
		BatchWait:       100 * time.Millisecond,
		SettingsRefresh: 2 * time.Second,
		IDPriority:      slices.Clone(profile.DefaultIDPriority),
		Settings:        settings.Default(),
		Log:             Log{Format: "json", Level: "info", FlushInterval: 250 * time.Millisecond},
		Introspection:   true,
		Tracing:         telemetry.Tracing{SampleRatio: 1},
		HealthInterval:  10 * time.Second,
		Shutdown:        Shutdown{Delay: 2 * time.Second, Grace: 15 * time.Second},
		Limits: Limits{
			MaxBodyBytes:      1 << 20,
			MaxTokens:         5000,
			MaxDepth:          10,
			MaxRootFields:     20,
			MaxAliases:        30,
			MaxComplexity:     2500,
			MaxPageSize:       100,
			MaxInFlight:       64,
			InFlightWait:      100 * time.Millisecond,
			BodyReadTimeout:   10 * time.Second,
			ReadHeaderTimeout: 10 * time.Second,
			WriteTimeout:      time.Minute,
			IdleTimeout:       2 * time.Minute,
			PerCaller:         ratelimit.Limits{NewContactsPerMinute: 600},
		},
		Store:     Database{Driver: "sqlite"},
		Flex:      Flex{ProfileConnectorPath: "/flex/profile-connector", GraphQLPath: "/flex/graphql"},
		Retention: store.Retention{TTL: 90 * 24 * time.Hour, Max: 1_000_000, Every: 10 * time.Minute, Batch: 1000},
	}
}

// Load reads the YAML file at path over the defaults, applies environment overrides from
// getenv and validates the result.
func Load(path string, getenv func(string) string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.ApplyEnv(getenv)
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s:\n%w", path, err)
	}
	return c, nil
}

// ApplyEnv overrides secrets from the environment: PROFILEGATE_STORE_DSN,
// PROFILEGATE_REDIS_URL, PROFILEGATE_JWT_HS256_SECRET and, per source, PROFILEGATE_SOURCE_<NAME>_DSN (name
// upper-cased, '-' as '_').
func (c *Config) ApplyEnv(getenv func(string) string) {
	if v := getenv("PROFILEGATE_STORE_DSN"); v != "" {
		c.Store.DSN = v
	}
	if v := getenv("PROFILEGATE_REDIS_URL"); v != "" {
		c.Limits.RedisURL = v
	}
	if v := getenv("PROFILEGATE_JWT_HS256_SECRET"); v != "" && c.Auth.JWT != nil {
		c.Auth.JWT.HS256Secret = v
	}
	for i := range c.Sources {
		if v := getenv(SourceDSNEnv(c.Sources[i].Name)); v != "" {
			c.Sources[i].DSN = v
		}
	}
}

// SourceDSNEnv is the environment variable that overrides a source's DSN.
func SourceDSNEnv(name string) string {
	return "PROFILEGATE_SOURCE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_DSN"
}

// StoreDatabase returns the store's database, defaulting to a SQLite file in DataDir; a SQLite
// store with no pool of its own gets twice sqlite.max_open connections.
func (c *Config) StoreDatabase() Database {
	d := c.Store
	if d.DSN == "" && d.Driver == "sqlite" {
		d.DSN = SQLiteDSN(filepath.Join(c.DataDir, "profilegate.db"))
	}
	if d.Driver == "sqlite" && d.Pool == nil {
		// The store answers every source's match index lookups besides its own writes: with
		// as many connections as one source (4), it was what held requests up on the bench's
		// 10M people (p50 2.74 → 2.18 ms at 500 req/s with 8, and no requests shed at 750).
		n := 2 * c.SQLite.MaxOpen
		d.Pool = &Pool{MaxOpen: n, MaxIdle: n}
	}
	return d
}

// ContactsDatabase returns the SQLite file a SQLite store keeps its unidentified contacts in,
// beside the store's own file (profilegate.db → profilegate-contacts.db), with the store's
// parameters and sqlite.max_open connections; ok is false for a PostgreSQL store, which keeps
// them in its own database, and for a store in memory.
//
// A write in SQLite's WAL mode makes every other connection to the file drop its page cache
// at its next read: with the contacts beside the match index, each new caller's upsert made
// the store's connections read the index's pages again (bench, 1M people: the first closed
// loop after a start went 1 298 → 2 019 req/s, CPU a request 1.43 → 1.37 × the baseline's).
func (c *Config) ContactsDatabase() (Database, bool) {
	d := c.StoreDatabase()
	if d.Driver != "sqlite" {
		return Database{}, false
	}
	path, params, _ := strings.Cut(d.DSN, "?")
	file := strings.TrimPrefix(path, "file:")
	if file == "" || file == ":memory:" || strings.Contains(params, "mode=memory") {
		return Database{}, false
	}
	ext := filepath.Ext(file)
	d.DSN = strings.TrimSuffix(path, ext) + "-contacts" + ext
	if params != "" {
		d.DSN += "?" + params
	}
	d.Pool = &Pool{MaxOpen: c.SQLite.MaxOpen, MaxIdle: c.SQLite.MaxOpen}
	return d, true
}

// SQLiteDSN is the DSN profilegate opens its own SQLite files with: WAL, so lookups never
// wait on a writer; a busy timeout, so concurrent writers queue instead of failing;
// synchronous=NORMAL, which in WAL mode keeps the file consistent and spares an fsync per
// recorded contact; and a journal size limit, so a WAL grown by a large write (a match index
// build) is cut back to 64 MiB when it restarts instead of keeping its size on disk.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=journal_size_limit(67108864)"
}

// Loopback reports whether addr listens only on the loopback interface.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LogLevel returns the configured log level.
func (c *Config) LogLevel() (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(c.Log.Level))
	return l, err
}

// SourceBreaker returns the circuit breaker of a source, falling back to the global one.
func (c *Config) SourceBreaker(s SourceConfig) Breaker {
	if s.Breaker != nil {
		return *s.Breaker
	}
	return c.Breaker
}

// OpenDSN is the DSN the gateway opens d with: a SQLite database gets the configured page
// cache unless its DSN sets one.
func (c *Config) OpenDSN(d Database) string {
	if d.Driver != "sqlite" || strings.Contains(d.DSN, "cache_size") {
		return d.DSN
	}
	sep := "?"
	if strings.Contains(d.DSN, "?") {
		sep = "&"
	}
	return fmt.Sprintf("%s%s_pragma=cache_size(-%d)", d.DSN, sep, c.SQLite.CacheKiB)
}

// DatabasePool returns the connection pool of a database: its own, else sqlite.max_open
// connections for a SQLite database, else the global pool.
func (c *Config) DatabasePool(d Database) Pool {
	switch {
	case d.Pool != nil:
		return *d.Pool
	case d.Driver == "sqlite":
		// No lifetime: a SQLite file has no failover or DNS change to follow, and a closed
		// connection drops its page cache and prepared statements; database/sql also reads the
		// clock at every return of a connection to check a lifetime.
		return Pool{MaxOpen: c.SQLite.MaxOpen, MaxIdle: c.SQLite.MaxOpen}
	}
	return c.Pool
}

// SourceMatchIndex returns the match index of a source, falling back to the global one.
func (c *Config) SourceMatchIndex(s SourceConfig) MatchIndex {
	if s.MatchIndex != nil {
		return *s.MatchIndex
	}
	return c.MatchIndex
}

// SourceTimeout returns the timeout of a source, falling back to the global one.
func (c *Config) SourceTimeout(s SourceConfig) time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return c.Timeout
}
