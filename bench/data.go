package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/demo"
)

// The generated people are a pure function of their number, so the traffic knows every
// expected answer without reading the databases back, at any size.

var firstNames = []string{"Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Frances",
	"John", "Margaret", "Dennis", "Radia", "Ken", "Sophie", "Tim", "Hedy", "Linus", "Joan", "Claude", "Mary"}

var lastNames = []string{"Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen",
	"Backus", "Hamilton", "Ritchie", "Perlman", "Thompson", "Wilson", "Berners-Lee", "Lamarr", "Torvalds",
	"Clarke", "Shannon", "Keller", "Noether", "Babbage", "Floyd", "Kay", "Wirth", "Lamport", "Hoare"}

// Area codes of the generated people's numbers; unknownAreas are never stored.
var (
	knownAreas   = []string{"212", "213", "312", "415", "617", "646", "702", "718", "805", "917"}
	unknownAreas = []string{"206", "303", "404", "503"}
)

const numbersPerArea = 800 * 10000 // exchanges 200-999, lines 0000-9999

// Person is the generated person number i.
type Person struct{ I int }

// First and Last are the person's name.
func (p Person) First() string { return firstNames[p.I%len(firstNames)] }

// Last is the person's last name.
func (p Person) Last() string { return lastNames[(p.I/len(firstNames))%len(lastNames)] }

// Name is the name a header shows.
func (p Person) Name() string { return p.First() + " " + p.Last() }

// Digits are the ten national digits of the person's phone. Every hundredth person shares the
// previous one's number (a household), the others have their own; numbers are scattered over
// the area codes so neighbours are not neighbours in an index.
func (p Person) Digits() string {
	if p.I%100 == 99 {
		return Person{p.I - 1}.Digits()
	}
	return digits(knownAreas, p.I)
}

// digits spreads n over areas' numbers by a multiplicative permutation.
func digits(areas []string, n int) string {
	total := len(areas) * numbersPerArea
	x := (n*7919 + 104729) % total // 7919 is prime and does not divide total
	area, rest := areas[x/numbersPerArea], x%numbersPerArea
	return fmt.Sprintf("%s%03d%04d", area, 200+rest/10000, rest%10000)
}

// Email is the person's address as the warehouse and the desktop know it.
func (p Person) Email() string {
	return strings.ToLower(fmt.Sprintf("%s.%s.%d@example.com", p.First(), p.Last(), p.I))
}

// storedPhone is the phone as the CRM holds it: six in ten in E.164, two in national format
// (both found by SQL), one with dots and one with a leading 1- (found by the match index).
func (p Person) storedPhone() string {
	d := p.Digits()
	switch p.I % 10 {
	case 6, 7:
		return "(" + d[:3] + ") " + d[3:6] + "-" + d[6:]
	case 8:
		return d[:3] + "." + d[3:6] + "." + d[6:]
	case 9:
		return "1-" + d[:3] + "-" + d[3:6] + "-" + d[6:]
	}
	return "+1" + d
}

// storedEmail is the email as the CRM holds it: a third title-cased (found by lower()), one in
// twenty with a trailing space (found by the match index).
func (p Person) storedEmail() string {
	e := p.Email()
	switch {
	case p.I%20 == 7:
		return e + " "
	case p.I%3 == 0:
		return strings.ToUpper(e[:1]) + e[1:]
	}
	return e
}

// InWarehouse reports whether the warehouse has a profile for the person: four in five, and
// not the households (a warehouse profile sharing a household's number could be either person's,
// and is rightly joined to neither).
func (p Person) InWarehouse() bool { return p.I%5 != 4 && p.I%100 < 98 }

// Generate writes a CRM (crm.db) and a warehouse (warehouse.db) of n people in dir, in the
// demo's shapes and with its indexes; it refuses to overwrite existing files.
func Generate(ctx context.Context, dir string, n int, progress func(string)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{"crm.db", "warehouse.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return fmt.Errorf("bench: %s already exists; use a new directory", filepath.Join(dir, f))
		}
	}
	start := time.Now()
	if err := load(ctx, filepath.Join(dir, "crm.db"), demo.CRMSchema, []table{{"contacts", 8, crmRows}}, n); err != nil {
		return err
	}
	progress(fmt.Sprintf("crm: %d contacts in %s", n, time.Since(start).Round(time.Second)))
	start = time.Now()
	if err := load(ctx, filepath.Join(dir, "warehouse.db"), demo.WarehouseSchema,
		[]table{{"user_identifiers", 4, identifierRows}, {"user_traits", 4, traitRows}}, n); err != nil {
		return err
	}
	progress(fmt.Sprintf("warehouse: %d profiles in %s", n*4/5, time.Since(start).Round(time.Second)))
	return nil
}

// table is one table to fill: its name, columns, and the rows of one person.
type table struct {
	name    string
	columns int
	rows    func(p Person, add func(...any))
}

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func crmRows(p Person, add func(...any)) {
	var image any
	if p.I%4 == 0 {
		image = fmt.Sprintf("https://example.com/avatars/%d.png", p.I)
	}
	since := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p.I%3650).Format(time.DateOnly)
	add(fmt.Sprintf("c-%d", p.I), p.First(), p.Last(), p.storedEmail(), p.storedPhone(), since, image,
		base.Add(time.Duration(p.I)*time.Second).Format(time.RFC3339))
}

func identifierRows(p Person, add func(...any)) {
	if !p.InWarehouse() {
		return
	}
	pid, at := fmt.Sprintf("seg-%d", p.I), base.Add(time.Duration(p.I)*time.Second).Format(time.RFC3339)
	add(pid, "user_id", fmt.Sprintf("u-%d", p.I), at)
	add(pid, "phone", "+1"+p.Digits(), at)
	if p.I%2 == 0 {
		add(pid, "email", p.Email(), at)
	}
	if p.I%3 == 0 {
		add(pid, "anonymous_id", fmt.Sprintf("anon-%d", p.I), at)
	}
}

func traitRows(p Person, add func(...any)) {
	if !p.InWarehouse() {
		return
	}
	pid, at := fmt.Sprintf("seg-%d", p.I), base.Add(time.Duration(p.I)*time.Second).Format(time.RFC3339)
	add(pid, "plan", []string{"silver", "gold", "platinum"}[p.I%3], at)
	add(pid, "lifetime_value", fmt.Sprintf("%d.%02d", p.I%5000, p.I%100), at)
}

// load creates the schema's tables, fills them for n people in one transaction with
// multi-row inserts, and builds the schema's indexes after the rows are in (much faster than
// keeping them up to date row by row). It runs no ANALYZE: with SQLite's STAT4 statistics a
// prepared statement is compiled again for each new parameter value, which took a fifth of
// both servers' CPU, and the lookups' plans are the same without.
func load(ctx context.Context, path string, schema []string, tables []table, n int) error {
	db, err := sqlx.Open("sqlite", config.SQLiteDSN(path)+"&_pragma=cache_size(-200000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var indexes []string
	for _, stmt := range schema {
		if strings.HasPrefix(stmt, "CREATE INDEX") {
			indexes = append(indexes, stmt)
			continue
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range tables {
		if err := fill(ctx, tx, t, n); err != nil {
			return fmt.Errorf("bench: fill %s: %w", t.name, err)
		}
	}
	for _, stmt := range indexes {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func fill(ctx context.Context, tx *sqlx.Tx, t table, n int) error {
	const rowsPerInsert = 500 // under SQLite's 32 766 parameters for every table here
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", t.columns), ", ") + ")"
	full := "INSERT INTO " + t.name + " VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", rowsPerInsert), ", ")
	stmt, err := tx.PreparexContext(ctx, full)
	if err != nil {
		return err
	}
	defer stmt.Close()
	args := make([]any, 0, rowsPerInsert*t.columns)
	flush := func(last bool) error {
		rows := len(args) / t.columns
		switch {
		case rows == rowsPerInsert:
			_, err = stmt.ExecContext(ctx, args...)
		case last && rows > 0:
			_, err = tx.ExecContext(ctx, "INSERT INTO "+t.name+" VALUES "+strings.TrimSuffix(strings.Repeat(one+", ", rows), ", "), args...)
		default:
			return nil
		}
		args = args[:0]
		return err
	}
	add := func(vals ...any) { args = append(args, vals...) }
	for i := range n {
		t.rows(Person{i}, add)
		if len(args) >= rowsPerInsert*t.columns {
			// A person's rows may straddle the boundary: send a full statement, keep the rest.
			rest := append([]any(nil), args[rowsPerInsert*t.columns:]...)
			args = args[:rowsPerInsert*t.columns]
			if err := flush(false); err != nil {
				return err
			}
			args = append(args, rest...)
		}
	}
	return flush(true)
}
