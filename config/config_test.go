package config_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/profilegate/profilegate/config"
)

var update = flag.Bool("update", false, "rewrite golden files")

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsGolden(t *testing.T) {
	got, err := yaml.Marshal(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "defaults.yaml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("defaults changed (run go test ./config -update and review the diff):\n%s", got)
	}
}

func TestLoadExample(t *testing.T) {
	c, err := config.Load("../examples/config.yaml", env(map[string]string{
		"PROFILEGATE_STORE_DSN":            "postgres://gw@127.0.0.1/gw",
		"PROFILEGATE_SOURCE_CRM_DSN":       "postgres://crm@127.0.0.1/crm",
		"PROFILEGATE_SOURCE_WAREHOUSE_DSN": "postgres://wh@127.0.0.1/wh",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.DSN != "postgres://gw@127.0.0.1/gw" || c.Sources[0].DSN != "postgres://crm@127.0.0.1/crm" {
		t.Fatalf("environment overrides not applied: %+v %+v", c.Store, c.Sources[0].Database)
	}
	if c.SourceTimeout(c.Sources[0]).String() != "500ms" || c.SourceTimeout(c.Sources[1]).String() != "2s" {
		t.Fatalf("timeouts %s %s", c.SourceTimeout(c.Sources[0]), c.SourceTimeout(c.Sources[1]))
	}
	if c.DatabasePool(c.Sources[0].Database).MaxOpen != 10 || c.DatabasePool(c.Sources[1].Database).MaxOpen != 4 || c.DatabasePool(c.StoreDatabase()).MaxIdle != 10 {
		t.Fatalf("pools: global %+v, warehouse %+v", c.Pool, c.Sources[1].Pool)
	}
	if o := c.Resolution(); o.TraitSources["plan"][0] != "warehouse" || !o.Sources[0].SystemOfRecord {
		t.Fatalf("options %+v", o)
	}
}

func TestLoadRejectsUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("addr: 127.0.0.1:9\nsorces: []\n"), 0o644)
	_, err := config.Load(path, env(nil))
	if err == nil || !strings.Contains(err.Error(), "sorces") {
		t.Fatalf("error %v, want one naming the unknown key", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte(`
default_region: XX
stitch_depth: 9
identifiers: [{key: crm_id, normalization: upper}]
blocked: [{pattern: "("}]
store: {driver: mysql, pool: {max_open: 2, max_idle: 3}}
pool: {max_open: 0}
metrics_addr: nonsense
limits: {max_in_flight: 0, in_flight_wait: -1s}
log: {flush_interval: -1s}
traits: [{key: plan, sources: [nowhere]}]
sources:
  - name: CRM
    driver: oracle
    records: {table: "x;y", id_column: id, identifiers: [{column: email, key: email}]}
    identity_graph: {}
  - name: crm2
    driver: sqlite
    dsn: file:crm2.db
    records: {table: contacts, id_column: id, identifiers: [{column: email, key: email}]}
    history: {events: {}}
  - name: crm3
    driver: sqlite
    dsn: file:crm3.db
    records: {table: contacts, id_column: id, identifiers: [{column: email, key: email}]}
    history:
      retention: -1h
      activities: {table: "a b", id_column: id, record_column: contact_id, occurred_column: at, type_column: type, channels: {fax: FAX}}
details: {groups: [{name: Contact, traits: [{key: first_name, type: MONEY}]}]}
`), 0o644)
	_, err := config.Load(path, env(nil))
	if err == nil {
		t.Fatal("invalid configuration loaded")
	}
	for _, want := range []string{"stitch_depth", "XX", "upper", "blocked", "store.driver", "nowhere",
		"name must be lower-case", `driver "oracle"`, "dsn is empty", "exactly one of", `"x;y"`,
		"pool: max_open must be at least 1", "store.pool: max_open", `metrics_addr: "nonsense"`,
		"limits.max_in_flight: must be positive", "limits.in_flight_wait: -1s",
		"(crm2): history.events belong to an identity_graph source", `history.activities.table: "a b"`,
		`history.activities.channels: "fax" maps to "FAX"`, "history.retention: must not be negative",
		`"MONEY" is not a trait type`, "log.flush_interval: -1s is negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %s:\n%v", want, err)
		}
	}
}

// TestSQLiteSizing: a SQLite database with no pool of its own gets sqlite.max_open connections
// and the store twice as many (it answers every source's match index), none of them closed
// for age; its DSN gets the page cache unless it sets cache_size itself; PostgreSQL keeps the
// global pool and its DSN.
func TestSQLiteSizing(t *testing.T) {
	c := config.Default()
	c.SQLite = config.SQLite{CacheKiB: 512, MaxOpen: 3}
	source := config.Database{Driver: "sqlite", DSN: "file:crm.db?_pragma=busy_timeout(5000)"}
	if p := c.DatabasePool(source); p.MaxOpen != 3 || p.MaxIdle != 3 || p.MaxLifetime != 0 {
		t.Errorf("SQLite source pool %+v, want 3 connections kept for good", p)
	}
	if p := c.DatabasePool(c.StoreDatabase()); p.MaxOpen != 6 || p.MaxLifetime != 0 {
		t.Errorf("SQLite store pool %+v, want 6 connections kept for good", p)
	}
	if d, _ := c.ContactsDatabase(); c.DatabasePool(d).MaxLifetime != 0 {
		t.Errorf("SQLite contacts pool %+v, want its connections kept for good", c.DatabasePool(d))
	}
	if p := c.DatabasePool(config.Database{Driver: "postgres", DSN: "postgres://x"}); p != c.Pool {
		t.Errorf("PostgreSQL pool %+v, want the global %+v", p, c.Pool)
	}
	if got := c.OpenDSN(source); got != source.DSN+"&_pragma=cache_size(-512)" {
		t.Errorf("SQLite DSN %q", got)
	}
	if own := (config.Database{Driver: "sqlite", DSN: "crm.db?_pragma=cache_size(-64)"}); c.OpenDSN(own) != own.DSN {
		t.Errorf("a DSN's own cache_size was overridden: %q", c.OpenDSN(own))
	}
	if pg := (config.Database{Driver: "postgres", DSN: "postgres://x"}); c.OpenDSN(pg) != pg.DSN {
		t.Errorf("a PostgreSQL DSN was changed: %q", c.OpenDSN(pg))
	}
}

// TestContactsDatabase: a SQLite store keeps its unidentified contacts in a second file beside
// its own, opened the same way; a PostgreSQL store and a store in memory keep them inside.
func TestContactsDatabase(t *testing.T) {
	c := config.Default()
	c.DataDir = "/var/lib/profilegate"
	c.SQLite.MaxOpen = 3
	d, ok := c.ContactsDatabase()
	if want := config.SQLiteDSN("/var/lib/profilegate/profilegate-contacts.db"); !ok || d.Driver != "sqlite" || d.DSN != want || d.Pool == nil || d.Pool.MaxOpen != 3 {
		t.Fatalf("default store: %+v, %v; want %s with 3 connections", d, ok, want)
	}
	for dsn, want := range map[string]string{
		"file:/data/pg.sqlite?_pragma=busy_timeout(5000)": "file:/data/pg-contacts.sqlite?_pragma=busy_timeout(5000)",
		"/data/store":                "/data/store-contacts",
		"file::memory:?cache=shared": "",
		"file:store.db?mode=memory":  "",
	} {
		c.Store = config.Database{Driver: "sqlite", DSN: dsn}
		d, ok := c.ContactsDatabase()
		if ok != (want != "") || d.DSN != want {
			t.Errorf("store %q: contacts %q, %v; want %q", dsn, d.DSN, ok, want)
		}
	}
	c.Store = config.Database{Driver: "postgres", DSN: "postgres://x"}
	if d, ok := c.ContactsDatabase(); ok {
		t.Errorf("PostgreSQL store: contacts in %+v", d)
	}
}
