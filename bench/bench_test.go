package bench

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/demo"
	"github.com/profilegate/profilegate/internal/gatewaytest"
)

func TestMain(m *testing.M) { gatewaytest.Main(m) }

// TestBothAnswerTheTraffic: on generated data, the gateway and the baseline both give every
// lookup of the traffic the answer it must get (known phones in seven spellings over stored
// spellings only the match index finds, emails in any case, households, unknown numbers), so
// the benchmark compares two servers doing the same work right.
func TestBothAnswerTheTraffic(t *testing.T) {
	ctx := context.Background()
	const people = 3000
	dir, gw := generated(t, people, false)
	srv := httptest.NewServer(openBaseline(t, dir))
	t.Cleanup(srv.Close)

	client := &http.Client{}
	for name, url := range map[string]string{"gateway": gw.URL + "/query", "baseline": srv.URL} {
		traffic := NewTraffic(people, 1)
		unknown, households := 0, 0
		for range 600 {
			l := traffic.Next()
			if err := ask(ctx, client, url, l); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if l.Unknown {
				unknown++
			}
			if len(l.Names) == 2 {
				households++
			}
		}
		if unknown == 0 || households == 0 {
			t.Fatalf("%s: the traffic had %d unknown numbers and %d household phones; want some of each", name, unknown, households)
		}
	}
}

// TestPanelVisits: on generated data with history, every visit the panel benchmark makes
// (header, details, first history page) gets the answer it checks, from one and from several
// agents at once.
func TestPanelVisits(t *testing.T) {
	ctx := context.Background()
	const people = 2000
	_, gw := generated(t, people, true)
	client := &http.Client{}
	for _, agents := range []int{1, 4} {
		rs, err := visits(ctx, client, &server{url: gw.URL + "/query"}, PanelOptions{People: people}, agents, 100, uint64(agents))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if len(r.latencies) != 100 {
				t.Fatalf("%d agents: %d %s requests of 100 visits", agents, len(r.latencies), r.name)
			}
		}
	}
}

// generated writes people in a new directory, with the history tables when history is set,
// and starts the gateway on them as cmd/bench does (the demo's configuration over the data).
func generated(tb testing.TB, people int, history bool) (string, *gatewaytest.Env) {
	tb.Helper()
	ctx, dir := context.Background(), tb.TempDir()
	if err := Generate(ctx, dir, people, func(string) {}); err != nil {
		tb.Fatal(err)
	}
	if history {
		if err := GenerateHistory(ctx, dir, people, func(string) {}); err != nil {
			tb.Fatal(err)
		}
	}
	cfg := demo.Config(dir)
	cfg.Log = gatewaytest.DemoConfig(tb, "sqlite").Log
	return dir, gatewaytest.Start(tb, cfg, gatewaytest.NoSeed())
}

// openBaseline opens the baseline on the data and the gateway's store in dir until tb ends.
func openBaseline(tb testing.TB, dir string) *Baseline {
	tb.Helper()
	base, err := OpenBaseline(context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { base.Close() })
	return base
}

// TestTrafficOf: in a phase each server gets its own draw of the traffic, and the same one
// again for the same phase and server; the order of the two alternates from phase to phase.
func TestTrafficOf(t *testing.T) {
	o := RunOptions{People: 100_000}
	draw := func(phase uint64, i int) []Lookup {
		tr := trafficOf(o, phase, i)
		var ls []Lookup
		for range 20 {
			ls = append(ls, tr.Next())
		}
		return ls
	}
	if reflect.DeepEqual(draw(3, 0), draw(3, 1)) {
		t.Error("both servers drew the same lookups in a phase")
	}
	if !reflect.DeepEqual(draw(3, 1), draw(3, 1)) {
		t.Error("a server's draw for a phase is not repeatable")
	}
	if reflect.DeepEqual(draw(3, 0), draw(4, 0)) {
		t.Error("a server drew the same lookups in two phases")
	}
	if first, second := order(0), order(1); first[0] != 0 || second[0] != 1 {
		t.Errorf("order %v then %v, want the gateway first, then the baseline", first, second)
	}
}

// TestMedian: the rounds' ratios come from medians, of an odd or an even number of rounds.
func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{7}, 7}} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
}

// TestCopyStore: the store -against runs on is a whole copy of the gateway's, what its
// write-ahead log holds included; without a store to copy, the run says what to do.
func TestCopyStore(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	if err := copyStore(dir, filepath.Join(dir, "against")); err == nil || !strings.Contains(err.Error(), "a run without -against makes it") {
		t.Fatalf("copying no store: %v", err)
	}
	for _, name := range []string{"profilegate.db", "profilegate-contacts.db"} {
		db, err := sql.Open("sqlite", config.SQLiteDSN(filepath.Join(dir, name)))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		for _, stmt := range []string{"PRAGMA wal_autocheckpoint = 0", "CREATE TABLE t (v TEXT)", "INSERT INTO t VALUES ('" + name + "')"} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
	}
	to := filepath.Join(dir, "against")
	for range 2 { // the second copy replaces the first
		if err := copyStore(dir, to); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"profilegate.db", "profilegate-contacts.db"} {
		db, err := sql.Open("sqlite", config.SQLiteDSN(filepath.Join(to, name)))
		if err != nil {
			t.Fatal(err)
		}
		var v string
		err = db.QueryRowContext(ctx, "SELECT v FROM t").Scan(&v)
		db.Close()
		if err != nil || v != name {
			t.Fatalf("copy of %s: %q, %v", name, v, err)
		}
	}
}
