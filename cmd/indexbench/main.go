// Command indexbench measures the match index on a generated CRM: how long building it takes
// for a table of -rows contacts, how much disk it takes in the store, the process's peak
// memory while building, and the latency of lookups with the index against the live-only path
// on contacts stored in the standard format. Everything is SQLite files in a temporary
// directory (or -dir); results print as a table.
//
//	go run ./cmd/indexbench -rows 1000000
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/messydata"
	"github.com/profilegate/profilegate/matchindex"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/sources/sqlsource"
	"github.com/profilegate/profilegate/store"
)

func main() {
	rows := flag.Int("rows", 100_000, "contacts in the generated CRM")
	lookups := flag.Int("lookups", 2000, "lookups timed per path")
	dir := flag.String("dir", "", "directory for the databases (a temporary one when empty)")
	flag.Parse()
	if err := run(*rows, *lookups, *dir); err != nil {
		log.Fatal(err)
	}
}

func run(rows, lookups int, dir string) error {
	ctx := context.Background()
	if dir == "" {
		d, err := os.MkdirTemp("", "indexbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	crmPath, storePath := filepath.Join(dir, "crm.db"), filepath.Join(dir, "store.db")
	crm, err := sqlx.Open("sqlite", config.SQLiteDSN(crmPath))
	if err != nil {
		return err
	}
	defer crm.Close()
	start := time.Now()
	if err := generate(ctx, crm, rows); err != nil {
		return err
	}
	fmt.Printf("generated %d contacts (every tenth in E.164, the others in %d spellings) in %s\n", rows, len(messydata.PhoneSpellings), time.Since(start).Round(time.Millisecond))

	norm, err := profile.NewNormalizer(nil, "US", nil)
	if err != nil {
		return err
	}
	table := sqlsource.RecordTable{Table: "contacts", IDColumn: "id", UpdatedColumn: "updated_at",
		Identifiers: []sqlsource.IdentifierColumn{{Column: "email", Key: "email"}, {Column: "phone", Key: "phonenumber"}},
		Traits:      []sqlsource.TraitColumn{{Column: "first_name", Key: "first_name"}}}
	src, err := sqlsource.NewRecordTable("crm", crm, norm, table)
	if err != nil {
		return err
	}
	storeDB, err := sqlx.Open("sqlite", config.SQLiteDSN(storePath))
	if err != nil {
		return err
	}
	defer storeDB.Close()
	st, err := store.New(ctx, storeDB, nil)
	if err != nil {
		return err
	}
	before := fileSize(storePath)
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // reset the peak RSS (Linux)
	ix := matchindex.New(src, st, matchindex.Config{Refresh: time.Hour, Reconcile: time.Hour, Owner: "bench", Lease: time.Hour,
		Now: time.Now, Log: nopLogger()})
	buildCtx, stop := context.WithCancel(ctx)
	defer stop()
	start = time.Now()
	go ix.Run(buildCtx)
	if err := ix.WaitReady(ctx); err != nil {
		return err
	}
	took := time.Since(start)
	stop()
	peak := peakRSS()
	storeDB.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	fmt.Printf("index build: %s for %d contacts (%.0f contacts/s), store +%.1f MiB, peak RSS %.0f MiB\n",
		took.Round(time.Millisecond), rows, float64(rows)/took.Seconds(), float64(fileSize(storePath)-before)/(1<<20), peak)

	// Standard-format contacts: both paths find them; the index path also asks the store.
	live, err := sqlsource.NewRecordTable("crm", crm, norm, table)
	if err != nil {
		return err
	}
	src.UseIndex(ix)
	ids := make([]profile.Identifier, lookups)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range ids {
		n := rnd.IntN(rows/10) * 10 // every tenth contact is stored in E.164
		ids[i] = profile.Identifier{Key: "phonenumber", Value: "+1" + phone(n)}
	}
	var medians []time.Duration
	for _, s := range []*sqlsource.Source{live, src} {
		var lat []time.Duration
		for _, id := range ids {
			t0 := time.Now()
			recs, err := s.Lookup(ctx, []profile.Identifier{id})
			if err != nil || len(recs) != 1 {
				return fmt.Errorf("lookup %v: %d records, %v", id, len(recs), err)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		medians = append(medians, lat[len(lat)/2])
		fmt.Printf("lookup p50 %-9s p99 %-9s %s\n", lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond),
			map[bool]string{true: "index and live", false: "live only"}[s == src])
	}
	fmt.Printf("index / live-only p50: %.2f\n", float64(medians[1])/float64(medians[0]))
	return nil
}

// phone is contact n's ten national digits.
func phone(n int) string { return fmt.Sprintf("%03d%07d", 200+n%700, n) }

func generate(ctx context.Context, db *sqlx.DB, rows int) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE contacts (id TEXT PRIMARY KEY, first_name TEXT, email TEXT, phone TEXT, updated_at TEXT);
CREATE INDEX contacts_email ON contacts (email); CREATE INDEX contacts_phone ON contacts (phone)`); err != nil {
		return err
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PreparexContext(ctx, `INSERT INTO contacts VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	spellings := messydata.PhoneSpellings
	for n := 0; n < rows; n++ {
		p := "+1" + phone(n)
		email := "contact." + strconv.Itoa(n) + "@example.com"
		if n%10 != 0 {
			p = spellings[n%len(spellings)].Render(phone(n))
			email = messydata.EmailSpellings[n%len(messydata.EmailSpellings)].Render(email)
		}
		if _, err := stmt.ExecContext(ctx, "c-"+strconv.Itoa(n), "Contact", strings.TrimSpace(email), p, "2026-01-01T00:00:00Z"); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func fileSize(path string) int64 {
	var total int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			total += fi.Size()
		}
	}
	return total
}

// peakRSS reads the process's peak resident memory in MiB (Linux).
func peakRSS() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

func nopLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
