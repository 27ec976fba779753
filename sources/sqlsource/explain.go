package sqlsource

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Plan is what the database says it does for one kind of lookup.
type Plan struct {
	// Lookup says which lookup it is, e.g. "by email".
	Lookup string
	// Scans lists the tables the lookup reads whole; none when it uses indexes.
	Scans []string
	// Fix is the statement that gives the lookup an index, when it scans.
	Fix string
	// Refresh is set for the match index's read of changed records, which no request waits on.
	Refresh bool
}

// probe is one condition a lookup sends, alone, with the index that serves it.
type probe struct {
	lookup, table, query string
	args                 []any
	fix                  string
	refresh              bool
}

// Explain asks the database how it runs each kind of lookup the source sends (EXPLAIN QUERY
// PLAN on SQLite; EXPLAIN on PostgreSQL with sequential scans discouraged, so a plan scans
// only where no index serves) and says which scan a table, with the CREATE INDEX statement
// that fixes each.
func (s *Source) Explain(ctx context.Context) ([]Plan, error) {
	var plans []Plan
	for _, p := range s.shape.probes() {
		scans, err := explain(ctx, s.db, p)
		if err != nil {
			return nil, fmt.Errorf("%s: explain %s: %w", s.name, p.lookup, err)
		}
		plan := Plan{Lookup: p.lookup, Scans: scans, Refresh: p.refresh}
		if len(scans) > 0 {
			plan.Fix = p.fix
		}
		plans = append(plans, plan)
	}
	return plans, nil
}

// seqScan finds the tables a plan reads whole: SQLite's "SCAN t" (not "SEARCH t USING
// INDEX"), PostgreSQL's "Seq Scan on t".
var seqScan = regexp.MustCompile(`(?:^|\s)(?:SCAN|Seq Scan on) ("?[\w.]+"?)`)

func explain(ctx context.Context, db *sqlx.DB, p probe) ([]string, error) {
	conn, err := db.Connx(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	prefix := "EXPLAIN QUERY PLAN "
	if db.DriverName() == "pgx" {
		prefix = "EXPLAIN "
		if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
			return nil, err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "RESET enable_seqscan")
	}
	rows, err := conn.QueryxContext(ctx, db.Rebind(prefix+p.query), p.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	want := strings.Trim(p.table, `"`)
	if i := strings.LastIndex(want, `"."`); i >= 0 {
		want = want[i+3:]
	}
	var scans []string
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return nil, err
		}
		line, _ := text(vals[len(vals)-1])
		for _, m := range seqScan.FindAllStringSubmatch(line, -1) {
			name := strings.Trim(m[1], `"`)
			if i := strings.LastIndex(name, "."); i >= 0 {
				name = name[i+1:]
			}
			if name == want && !slices.Contains(scans, name) {
				scans = append(scans, name)
			}
		}
	}
	return scans, rows.Err()
}

// indexName names a suggested index after its table and columns: SQLite needs a name.
func indexName(table string, cols ...string) string {
	parts := []string{unquote(table)}
	for _, c := range cols {
		parts = append(parts, unquote(c))
	}
	return strings.ReplaceAll(strings.Join(parts, "_"), ".", "_") + "_lookup"
}

// unquote strips the quotes quote added.
func unquote(name string) string { return strings.ReplaceAll(name, `"`, "") }

func (rt *recordTable) probes() []probe {
	var out []probe
	for _, ic := range rt.identifiers {
		values := []string{"x"}
		cond, args := ic.condition(ic.col, values)
		expr := ic.col
		if ic.lower {
			expr = "lower(" + ic.col + ")"
		}
		out = append(out, probe{
			lookup: "by " + ic.key + " (" + unquote(ic.col) + ")", table: rt.from,
			query: "SELECT " + rt.selectList + " FROM " + rt.from + " WHERE " + cond, args: args,
			fix: fmt.Sprintf("CREATE INDEX %s ON %s (%s);", indexName(rt.from, ic.col), unquote(rt.from), unquote(expr)),
		})
	}
	out = append(out, probe{
		lookup: "by record id from the match index (" + unquote(rt.idCol) + ")", table: rt.from,
		query: "SELECT " + rt.selectList + " FROM " + rt.from + " WHERE " + rt.idCol + " IN (?)", args: []any{"x"},
		fix: fmt.Sprintf("CREATE INDEX %s ON %s (%s);", indexName(rt.from, rt.idCol), unquote(rt.from), unquote(rt.idCol)),
	})
	if rt.updatedCol != "" {
		out = append(out, changedSince(rt.from, rt.idCol, rt.updatedCol))
	}
	return out
}

// changedSince is the match index's refresh, every few seconds: the records changed since the
// last. Without an index it reads the whole table each time (at 1M contacts, a burst of CPU
// every refresh that held up the lookups beside it).
func changedSince(table, idCol, updatedCol string) probe {
	return probe{
		lookup: "by change time, for the match index's refresh (" + unquote(updatedCol) + ")", table: table,
		query: "SELECT " + idCol + " FROM " + table + " WHERE " + updatedCol + " > ?", args: []any{"2026-01-01"},
		fix:     fmt.Sprintf("CREATE INDEX %s ON %s (%s);", indexName(table, updatedCol), unquote(table), unquote(updatedCol)),
		refresh: true,
	}
}

func (ig *identityGraph) probes() []probe {
	g := ig.g
	var out []probe
	for _, key := range slices.Sorted(func(yield func(string) bool) {
		for k := range ig.typesOf {
			if len(ig.typesOf[k]) > 0 && !yield(k) {
				return
			}
		}
	}) {
		m := ig.matchers[key]
		cond, values := m.condition(g.ValueColumn, []string{"x"})
		args := []any{}
		for _, t := range ig.typesOf[key] {
			args = append(args, t)
		}
		out = append(out, probe{
			lookup: "by " + key, table: g.IdentifiersTable,
			query: fmt.Sprintf("SELECT %s FROM %s WHERE %s IN (%s) AND %s", g.ProfileIDColumn, g.IdentifiersTable, g.TypeColumn, placeholders(len(args)), cond),
			args:  append(args, values...),
			fix:   fmt.Sprintf("CREATE INDEX %s ON %s (%s, %s);", indexName(g.IdentifiersTable, g.TypeColumn, g.ValueColumn), unquote(g.IdentifiersTable), unquote(g.TypeColumn), unquote(g.ValueColumn)),
		})
	}
	for _, table := range []string{g.IdentifiersTable, g.TraitsTable} {
		out = append(out, probe{
			lookup: "a profile's rows in " + unquote(table), table: table,
			query: fmt.Sprintf("SELECT * FROM %s WHERE %s IN (?)", table, g.ProfileIDColumn), args: []any{"x"},
			fix: fmt.Sprintf("CREATE INDEX %s ON %s (%s);", indexName(table, g.ProfileIDColumn), unquote(table), unquote(g.ProfileIDColumn)),
		})
	}
	if g.TimestampColumn != "" {
		out = append(out, changedSince(g.IdentifiersTable, g.ProfileIDColumn, g.TimestampColumn))
	}
	return out
}
