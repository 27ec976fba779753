package sqlsource_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/demo"
	"github.com/profilegate/profilegate/internal/pgtest"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/sources/sqlsource"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func normalizer(t *testing.T) *profile.Normalizer {
	n, err := profile.NewNormalizer(nil, "US", nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// scannedIndex is a match index built in memory from a source's own Scan.
type scannedIndex map[profile.Identifier][]string

func scan(t *testing.T, s *sqlsource.Source) scannedIndex {
	t.Helper()
	ix := scannedIndex{}
	if _, err := s.Scan(context.Background(), "", func(recordID string, ids []profile.Identifier) error {
		for _, id := range ids {
			ix[id] = append(ix[id], recordID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ix
}

func (ix scannedIndex) Records(_ context.Context, ids []profile.Identifier) ([]string, error) {
	var out []string
	for _, id := range ids {
		out = append(out, ix[id]...)
	}
	return out, nil
}

func (scannedIndex) Ready() bool { return true }

// demoSources seeds the demo CRM and warehouse into one database of each driver, each source
// with a match index built from its own Scan.
func demoSources(t *testing.T) map[string][2]*sqlsource.Source {
	ctx := context.Background()
	out := map[string][2]*sqlsource.Source{}
	for driver, dsn := range map[string]string{
		"sqlite": config.SQLiteDSN(filepath.Join(t.TempDir(), "demo.db")),
		"pgx":    pgtest.DSN(t),
	} {
		db, err := sqlx.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := demo.SeedCRM(ctx, db); err != nil {
			t.Fatal(err)
		}
		if err := demo.SeedWarehouse(ctx, db); err != nil {
			t.Fatal(err)
		}
		crm, err := sqlsource.NewRecordTable("crm", db, normalizer(t), demo.CRMTable())
		if err != nil {
			t.Fatal(err)
		}
		wh, err := sqlsource.NewIdentityGraph("warehouse", db, normalizer(t), demo.WarehouseGraph())
		if err != nil {
			t.Fatal(err)
		}
		crm.UseIndex(scan(t, crm))
		wh.UseIndex(scan(t, wh))
		out[driver] = [2]*sqlsource.Source{crm, wh}
	}
	return out
}

func ids(kv ...string) []profile.Identifier {
	var out []profile.Identifier
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, profile.Identifier{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func summary(recs []profile.Record) string {
	var out []string
	for _, r := range recs {
		var parts []string
		for _, id := range r.Identifiers {
			parts = append(parts, id.String())
		}
		out = append(out, r.ID+"{"+strings.Join(parts, ",")+"}")
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func TestRecordTableLookup(t *testing.T) {
	ctx := context.Background()
	for driver, s := range demoSources(t) {
		crm := s[0]
		t.Run(driver, func(t *testing.T) {
			tests := []struct {
				name string
				ids  []profile.Identifier
				want string
			}{
				{"mixed-case email matches", ids("email", "ada.lovelace@example.com"),
					"c-1{email:ada.lovelace@example.com,phonenumber:+14155550100}"},
				{"phone stored with dots found through the index", ids("phonenumber", "+14155550100"),
					"c-1{email:ada.lovelace@example.com,phonenumber:+14155550100}"},
				{"spaced phone shared by two", ids("phonenumber", "+14155550199"),
					"c-2{email:grace.hopper@example.com,phonenumber:+14155550199} c-3{email:alan.turing@example.com,phonenumber:+14155550199}"},
				{"several identifiers in one lookup", ids("email", "katherine@example.com", "phonenumber", "+14155550100"),
					"c-1{email:ada.lovelace@example.com,phonenumber:+14155550100} c-4{email:katherine@example.com}"},
				{"key without a column", ids("user_id", "u-1001"), ""},
				{"SQL in a value is only a value", ids("email", "x'); DROP TABLE contacts; --@example.com"), ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					before := crm.Queries()
					recs, err := crm.Lookup(ctx, tt.ids)
					if err != nil {
						t.Fatal(err)
					}
					if got := summary(recs); got != tt.want {
						t.Fatalf("got %s\nwant %s", got, tt.want)
					}
					if q := crm.Queries() - before; q > 1 {
						t.Fatalf("%d queries for one lookup", q)
					}
				})
			}
			recs, _ := crm.Lookup(ctx, ids("email", "ada.lovelace@example.com"))
			if recs[0].UpdatedAt.IsZero() || len(recs[0].Traits) != 4 || recs[0].Traits[2] != (profile.TraitValue{Key: "customer_since", Value: "2019-03-04"}) {
				t.Fatalf("record %+v", recs[0])
			}
		})
	}
}

func TestIdentityGraphLookup(t *testing.T) {
	ctx := context.Background()
	for driver, s := range demoSources(t) {
		wh := s[1]
		t.Run(driver, func(t *testing.T) {
			before := wh.Queries()
			recs, err := wh.Lookup(ctx, ids("phonenumber", "+14155550100", "email", "linus@example.com", "anonymous_id", "nobody"))
			if err != nil {
				t.Fatal(err)
			}
			want := "seg-ada{anonymous_id:anon-42,phonenumber:+14155550100,user_id:u-1001} seg-linus{email:linus@example.com,user_id:u-1002}"
			if got := summary(recs); got != want {
				t.Fatalf("got %s\nwant %s", got, want)
			}
			if q := wh.Queries() - before; q != 1 {
				t.Fatalf("%d queries for one lookup, want 1", q)
			}
			for _, r := range recs {
				if r.ID == "seg-ada" && fmt.Sprint(r.Traits) != "[{lifetime_value 1234.50 2026-11-20 12:00:00 +0000 UTC} {plan gold 2026-11-20 12:00:00 +0000 UTC}]" {
					t.Fatalf("traits %v", r.Traits)
				}
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	n := normalizer(t)
	bad := sqlsource.RecordTable{
		Table:    "contacts; DROP TABLE x",
		IDColumn: "id",
		Identifiers: []sqlsource.IdentifierColumn{
			{Column: "email", Key: "emial"},
			{Column: "phone", Key: "phonenumber", StoredAs: []string{"mixed_case"}},
		},
		Traits: []sqlsource.TraitColumn{{Column: "a b", Key: "Name"}},
	}
	_, err := sqlsource.NewRecordTable("crm", nil, n, bad)
	for _, want := range []string{"contacts; DROP TABLE x", `"emial"`, `stored_as "mixed_case"`, `"a b"`, `"Name"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not report %s", err, want)
		}
	}
	g := demo.WarehouseGraph()
	g.Types = map[string]string{"fax": "fax_number"}
	g.TraitsTable = "traits--"
	_, err = sqlsource.NewIdentityGraph("wh", nil, n, g)
	for _, want := range []string{`"fax_number"`, `"traits--"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not report %s", err, want)
		}
	}
}

// TestCustomKeyLookup maps a CRM's own contact id to a custom identifier key with lower-case
// normalization: a lookup in any case finds the record and returns the normalized value.
func TestCustomKeyLookup(t *testing.T) {
	ctx := context.Background()
	norm, err := profile.NewNormalizer([]profile.KeySpec{{Key: "crm_id", Normalization: profile.NormalizeLower}}, "US", nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlx.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "crm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := demo.SeedCRM(ctx, db); err != nil {
		t.Fatal(err)
	}
	table := demo.CRMTable()
	table.Identifiers = append(table.Identifiers, sqlsource.IdentifierColumn{Column: "id", Key: "crm_id", StoredAs: []string{sqlsource.StoredMixedCase}})
	crm, err := sqlsource.NewRecordTable("crm", db, norm, table)
	if err != nil {
		t.Fatal(err)
	}
	id, err := norm.Normalize(profile.Identifier{Key: "crm_id", Value: " C-2 "})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := crm.Lookup(ctx, []profile.Identifier{id})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(recs); got != "c-2{email:grace.hopper@example.com,phonenumber:+14155550199,crm_id:c-2}" {
		t.Fatalf("got %s", got)
	}
}

// TestLiveOnly: without its match index a lookup finds only the spellings SQL compares: the
// demo CRM's "+1 415 555 0199" is one of stored_as: [any]'s renderings, Ada's "415.555.0100"
// is none of them.
func TestLiveOnly(t *testing.T) {
	db, err := sqlx.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "crm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := demo.SeedCRM(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	crm, err := sqlsource.NewRecordTable("crm", db, normalizer(t), demo.CRMTable())
	if err != nil {
		t.Fatal(err)
	}
	for phone, want := range map[string]string{"+14155550199": "c-2 c-3", "+14155550100": ""} {
		recs, err := crm.Lookup(context.Background(), ids("phonenumber", phone))
		var got []string
		for _, r := range recs {
			got = append(got, r.ID)
		}
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("%s live only: %v %v, want %q", phone, got, err, want)
		}
	}
}

// TestScanSince: a scan from a watermark reads the records changed after it, and returns the
// newest change it saw.
func TestScanSince(t *testing.T) {
	for driver, s := range demoSources(t) {
		t.Run(driver, func(t *testing.T) {
			crm := s[0]
			var all []string
			newest, err := crm.Scan(context.Background(), "", func(id string, _ []profile.Identifier) error {
				all = append(all, id)
				return nil
			})
			if err != nil || len(all) != 4 || !strings.HasPrefix(newest, "2026-11-02") {
				t.Fatalf("full scan: %v, newest %q, %v", all, newest, err)
			}
			var changed []string
			adas := "2026-10-01T09:00:00Z" // the second newest: Alan's change is after it
			since, err := crm.Scan(context.Background(), adas, func(id string, _ []profile.Identifier) error {
				changed = append(changed, id)
				return nil
			})
			if err != nil || !slices.Equal(changed, []string{"c-3"}) || since != newest {
				t.Fatalf("since %q: %v (%q, %v); want Alan's, the newest, alone", adas, changed, since, err)
			}
			changed = nil
			if _, err := crm.Scan(context.Background(), newest, func(id string, _ []profile.Identifier) error {
				changed = append(changed, id)
				return nil
			}); err != nil || len(changed) != 0 {
				t.Fatalf("since the newest change: %v, %v; want nothing", changed, err)
			}
		})
	}
}

// TestPointReads: once Explain shows every lookup using an index, a source's lookups are point
// reads, with the same answers; a lookup that scans keeps them under the deadline, and a scan in
// the match index's refresh, which no request waits on, does not count.
func TestPointReads(t *testing.T) {
	ctx := context.Background()
	for driver, s := range demoSources(t) {
		t.Run(driver, func(t *testing.T) {
			for _, src := range s {
				if src.PointReads() {
					t.Fatalf("%s: point reads before its plans are known", src.Name())
				}
				plans, err := src.Explain(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(plans, func(p sqlsource.Plan) bool { return p.Refresh }) {
					t.Fatalf("%s: no plan is the refresh's: %+v", src.Name(), plans)
				}
				src.UsePlans(plans)
				if !src.PointReads() {
					t.Fatalf("%s: indexed lookups are not point reads: %+v", src.Name(), plans)
				}
			}
			crm := s[0]
			recs, err := crm.Lookup(ctx, ids("phonenumber", "+14155550100"))
			if want := "c-1{email:ada.lovelace@example.com,phonenumber:+14155550100}"; err != nil || summary(recs) != want {
				t.Fatalf("point read: %s, %v; want %s", summary(recs), err, want)
			}
			if driver == "sqlite" {
				// Under a deadline, a point read's statement starts no watchers (WAL file).
				timed, cancel := context.WithTimeout(ctx, time.Minute)
				defer cancel()
				lookup := func() {
					if _, err := crm.Lookup(timed, ids("phonenumber", "+14155550100")); err != nil {
						t.Fatal(err)
					}
				}
				point := testing.AllocsPerRun(50, lookup)
				plans, _ := crm.Explain(ctx)
				crm.UsePlans(nil)
				watched := testing.AllocsPerRun(50, lookup)
				crm.UsePlans(plans)
				if point > watched-4 {
					t.Fatalf("a lookup allocates %.0f as a point read, %.0f watched; want the watchers gone", point, watched)
				}
			}
			ended, end := context.WithCancel(ctx)
			end()
			if _, err := crm.Lookup(ended, ids("phonenumber", "+14155550100")); !errors.Is(err, context.Canceled) {
				t.Fatalf("point read in an ended context: %v", err)
			}

			refreshScans := []sqlsource.Plan{{Lookup: "by email"}, {Lookup: "by change time", Scans: []string{"contacts"}, Refresh: true}}
			crm.UsePlans(refreshScans)
			if !crm.PointReads() {
				t.Fatal("a scan in the refresh's read took point reads away")
			}
			crm.UsePlans(append(refreshScans, sqlsource.Plan{Lookup: "by phone", Scans: []string{"contacts"}}))
			if crm.PointReads() {
				t.Fatal("point reads with a lookup that scans")
			}
			crm.UsePlans(nil)
			if crm.PointReads() {
				t.Fatal("point reads without plans")
			}
		})
	}
}
