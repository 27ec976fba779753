package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/settings"
	"github.com/profilegate/profilegate/sources/sqlsource"
)

var sourceName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// Validate reports every problem in c at once. Each section validates itself; Validate adds
// what spans sections (identifier keys, sources, initial settings).
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Addr == "" {
		add("addr: must not be empty")
	}
	if c.StitchDepth < 0 || c.StitchDepth > 5 {
		add("stitch_depth: %d is outside 0..5", c.StitchDepth)
	}
	if c.Timeout <= 0 {
		add("timeout: must be positive")
	}
	if c.SQLite.CacheKiB < 64 || c.SQLite.CacheKiB > 1<<20 {
		add("sqlite.cache_kib: %d is outside 64..1048576", c.SQLite.CacheKiB)
	}
	if c.SQLite.MaxOpen < 1 || c.SQLite.MaxOpen > 1000 {
		add("sqlite.max_open: %d is outside 1..1000", c.SQLite.MaxOpen)
	}
	if c.BatchWait < 0 || c.BatchWait > time.Second {
		add("batch_wait: %s is outside 0..1s", c.BatchWait)
	}
	if c.SettingsRefresh < 100*time.Millisecond || c.SettingsRefresh > time.Hour {
		add("settings_refresh: %s is outside 100ms..1h", c.SettingsRefresh)
	}
	if r := c.Retention; r.TTL < 0 || r.Max < 0 || r.Every < 100*time.Millisecond || r.Batch < 1 {
		add("retention: ttl and max must not be negative (0 keeps), every at least 100ms and batch at least 1 (have %s, %d, %s, %d)", r.TTL, r.Max, r.Every, r.Batch)
	}
	if c.HealthInterval < 100*time.Millisecond {
		add("health_interval: %s is shorter than 100ms", c.HealthInterval)
	}
	norm, err := c.Normalizer()
	errs = append(errs, err)
	for _, k := range c.IDPriority {
		if _, ok := norm.Normalization(k); !ok && k != "custom" {
			add("id_priority: %q is not an identifier key or \"custom\"", k)
		}
	}
	errs = append(errs,
		c.Store.validate("store"), c.Pool.validate("pool"), c.MatchIndex.validate("match_index"), c.Limits.validate(), c.Log.validate(),
		c.Shutdown.validate(), c.validateEdge(), c.Auth.Validate())
	for key, p := range map[string]string{"profile_connector_path": c.Flex.ProfileConnectorPath, "graphql_path": c.Flex.GraphQLPath} {
		if p != "" && (!strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || reservedPath(p)) {
			add("flex.%s: %q must start with / and not end with one, and not be / or under /query, /panel, /graphiql, /metrics, /healthz or /readyz", key, p)
		}
	}
	if p, base := c.Flex.GraphQLPath, c.Flex.ProfileConnectorPath; p != "" && base != "" && (p == base || strings.HasPrefix(p, base+"/")) {
		add("flex.graphql_path: %q is under profile_connector_path", p)
	}
	for key, to := range c.Flex.Attributes {
		if _, ok := norm.Normalization(to); !ok && to != "auto" {
			add("flex.attributes.%s: %q is not a configured identifier key or auto", key, to)
		}
	}
	for _, e := range settings.Validate(c.InitialSettings(norm), norm) {
		add("initial settings %s: %s", strings.Join(e.Field, "."), e.Message)
	}
	errs = append(errs, c.validateSources(norm)...)
	return errors.Join(errs...)
}

// validateEdge checks what faces the network: auth off only on loopback, CORS origins, the
// metrics address, tracing.
func (c *Config) validateEdge() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Auth.Disabled && !Loopback(c.Addr) {
		add("auth: disabled is only allowed on a loopback address, and addr %q is reachable from other hosts; configure api_keys or jwt, or listen on 127.0.0.1", c.Addr)
	}
	for _, o := range c.CORSOrigins {
		if u, err := url.Parse(o); o != "*" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "") {
			add("cors_origins: %q is not an origin such as https://flex.twilio.com", o)
		}
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil || c.MetricsAddr == c.Addr {
			add("metrics_addr: %q must be a host:port other than addr", c.MetricsAddr)
		}
	}
	if c.Tracing.SampleRatio < 0 || c.Tracing.SampleRatio > 1 {
		add("tracing.sample_ratio: %v is outside 0..1", c.Tracing.SampleRatio)
	}
	return errors.Join(errs...)
}

func (l Limits) validate() error {
	var errs []error
	for _, v := range []struct {
		name  string
		value int64
	}{
		{"max_body_bytes", l.MaxBodyBytes}, {"max_tokens", int64(l.MaxTokens)},
		{"max_depth", int64(l.MaxDepth)}, {"max_root_fields", int64(l.MaxRootFields)},
		{"max_aliases", int64(l.MaxAliases)}, {"max_complexity", int64(l.MaxComplexity)},
		{"max_page_size", int64(l.MaxPageSize)}, {"max_in_flight", int64(l.MaxInFlight)},
	} {
		if v.value <= 0 {
			errs = append(errs, fmt.Errorf("limits.%s: must be positive", v.name))
		}
	}
	if l.InFlightWait < 0 || l.InFlightWait > 10*time.Second {
		errs = append(errs, fmt.Errorf("limits.in_flight_wait: %s is outside 0..10s", l.InFlightWait))
	}
	pc := l.PerCaller
	if pc.RequestsPerSecond < 0 || pc.Burst < 0 || pc.Concurrent < 0 || pc.NewContactsPerMinute < 0 || (pc.RequestsPerSecond > 0 && pc.Burst < 1) {
		errs = append(errs, fmt.Errorf("limits.per_caller: budgets must not be negative (0 turns one off), and burst must be at least 1 with requests_per_second"))
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{
		{"body_read_timeout", l.BodyReadTimeout}, {"read_header_timeout", l.ReadHeaderTimeout},
		{"write_timeout", l.WriteTimeout}, {"idle_timeout", l.IdleTimeout},
	} {
		if d.value <= 0 || d.value > time.Hour {
			errs = append(errs, fmt.Errorf("limits.%s: %s is outside (0, 1h]", d.name, d.value))
		}
	}
	return errors.Join(errs...)
}

func (l Log) validate() error {
	var errs []error
	if l.Format != "json" && l.Format != "text" {
		errs = append(errs, fmt.Errorf("log.format: %q is not json or text", l.Format))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.Level)); err != nil {
		errs = append(errs, fmt.Errorf("log.level: %v", err))
	}
	if l.FlushInterval < 0 {
		errs = append(errs, fmt.Errorf("log.flush_interval: %s is negative", l.FlushInterval))
	}
	return errors.Join(errs...)
}

func (s Shutdown) validate() error {
	if s.Delay < 0 || s.Grace <= 0 {
		return errors.New("shutdown: delay must not be negative and grace must be positive")
	}
	return nil
}

// validate checks a database's driver, DSN and pool; at names it in messages.
func (d Database) validate(at string) error {
	var errs []error
	if _, ok := Drivers[d.Driver]; !ok {
		errs = append(errs, fmt.Errorf("%s.driver: %q is not one of sqlite, postgres", at, d.Driver))
	} else if d.Driver == "postgres" && d.DSN == "" {
		errs = append(errs, fmt.Errorf("%s.dsn: postgres needs a DSN (or PROFILEGATE_STORE_DSN)", at))
	}
	if d.Pool != nil {
		errs = append(errs, d.Pool.validate(at+".pool"))
	}
	return errors.Join(errs...)
}

func (c *Config) validateSources(norm *profile.Normalizer) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Sources) == 0 {
		add("sources: at least one source is needed")
	}
	names := map[string]bool{}
	for i, s := range c.Sources {
		at := fmt.Sprintf("sources[%d] (%s)", i, s.Name)
		if !sourceName.MatchString(s.Name) {
			add("%s: name must be lower-case letters, digits, - and _", at)
		}
		if names[s.Name] {
			add("%s: name is used twice", at)
		}
		names[s.Name] = true
		if _, ok := Drivers[s.Driver]; !ok {
			add("%s: driver %q is not one of sqlite, postgres", at, s.Driver)
		}
		if s.DSN == "" {
			add("%s: dsn is empty (set it or %s)", at, SourceDSNEnv(s.Name))
		}
		if s.Timeout < 0 {
			add("%s: timeout must not be negative", at)
		}
		if b := c.SourceBreaker(s); b.Failures > 0 && b.OpenFor <= 0 {
			add("%s: breaker.open_for must be positive while breaker.failures is set", at)
		}
		if s.Pool != nil {
			errs = append(errs, s.Pool.validate(at+": pool"))
		}
		if s.MatchIndex != nil {
			errs = append(errs, s.MatchIndex.validate(at+": match_index"))
		}
		if (s.Records == nil) == (s.IdentityGraph == nil) {
			add("%s: set exactly one of records and identity_graph", at)
		}
		var src *sqlsource.Source
		var err error
		if s.Records != nil {
			src, err = sqlsource.NewRecordTable(s.Name, nil, norm, *s.Records)
			if err != nil {
				errs = append(errs, each(at, err)...)
			}
		}
		if s.IdentityGraph != nil {
			src, err = sqlsource.NewIdentityGraph(s.Name, nil, norm, *s.IdentityGraph)
			if err != nil {
				errs = append(errs, each(at, err)...)
			}
		}
		if h := s.History; h != nil {
			switch {
			case h.Activities != nil && s.Records == nil:
				add("%s: history.activities belong to a records source (a CRM); an identity graph's history is events", at)
			case h.Events != nil && s.IdentityGraph == nil:
				add("%s: history.events belong to an identity_graph source (a warehouse); a CRM's history is activities", at)
			case src != nil:
				if _, err := src.History(*h); err != nil {
					errs = append(errs, each(at, err)...)
				}
			}
		}
	}
	for _, t := range c.Traits {
		if !profile.ValidKey(t.Key) {
			add("traits: %q is not a trait key", t.Key)
		}
		for _, s := range t.Sources {
			if !names[s] {
				add("traits.%s.sources: %q is not a configured source", t.Key, s)
			}
		}
	}
	return errs
}

func (m MatchIndex) validate(at string) error {
	if m.Disabled {
		return nil
	}
	if m.Refresh < 100*time.Millisecond || m.Refresh > time.Hour || m.Reconcile < m.Refresh {
		return fmt.Errorf("%s: refresh must be between 100ms and 1h and reconcile no shorter than refresh (have %s, %s)", at, m.Refresh, m.Reconcile)
	}
	return nil
}

// validate reports what is wrong with a connection pool, or nil.
func (p Pool) validate(at string) error {
	if p.MaxOpen < 1 || p.MaxIdle < 0 || p.MaxIdle > p.MaxOpen || p.MaxLifetime < 0 {
		return fmt.Errorf("%s: max_open must be at least 1, max_idle between 0 and max_open, max_lifetime not negative (have %d, %d, %s)",
			at, p.MaxOpen, p.MaxIdle, p.MaxLifetime)
	}
	return nil
}

// Normalizer builds the identifier normalizer the configuration describes. With problems it
// still returns a normalizer built from the valid parts, so Validate can go on to report the
// problems of the sources too.
func (c *Config) Normalizer() (*profile.Normalizer, error) {
	var errs []error
	var custom []profile.KeySpec
	for _, id := range c.Identifiers {
		if builtin(id.Key) {
			if id.Normalization != "" {
				errs = append(errs, fmt.Errorf("identifiers: %q is built in; its normalization cannot be changed", id.Key))
			}
			continue
		}
		k := profile.KeySpec{Key: id.Key, Normalization: profile.Normalization(id.Normalization)}
		if _, err := profile.NewNormalizer(append(slices.Clone(custom), k), "US", nil); err != nil {
			errs = append(errs, fmt.Errorf("identifiers: %w", err))
			continue
		}
		custom = append(custom, k)
	}
	var rules []profile.BlockRule
	for _, b := range c.Blocked {
		re, err := regexp.Compile(b.Pattern)
		if err != nil {
			errs = append(errs, fmt.Errorf("blocked: pattern %q: %w", b.Pattern, err))
			continue
		}
		rules = append(rules, profile.BlockRule{Key: b.Key, Pattern: re})
	}
	n, err := profile.NewNormalizer(custom, c.DefaultRegion, rules)
	if err != nil {
		errs = append(errs, fmt.Errorf("default_region: %w", err))
		n, _ = profile.NewNormalizer(custom, "US", rules)
	}
	return n, errors.Join(errs...)
}

func builtin(key string) bool {
	return slices.ContainsFunc(profile.BuiltinKeys, func(k profile.KeySpec) bool { return k.Key == key })
}

// each prefixes every error err joins with at, so each names the key it is about.
func each(at string, err error) []error {
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = fmt.Errorf("%s: %w", at, e)
	}
	return out
}

// reservedPath reports whether p is a path the gateway serves something else at.
func reservedPath(p string) bool {
	for _, r := range []string{"/query", "/panel", "/graphiql", "/metrics", "/healthz", "/readyz"} {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return p == "/"
}
