package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/sources/sqlsource"
	"github.com/profilegate/profilegate/telemetry"
)

// Advice is what Check found about one source.
type Advice struct {
	Source string
	Plans  []sqlsource.Plan
	Err    error
}

// Scans counts the lookups that read a whole table.
func (a Advice) Scans() int {
	n := 0
	for _, p := range a.Plans {
		if len(p.Scans) > 0 {
			n++
		}
	}
	return n
}

// Check asks every source how it runs each kind of lookup profilegate sends. A lookup that
// reads a whole table works, but slows with the table: the advice names the CREATE INDEX
// statement that fixes it. With seed the demo's tables are created first.
func Check(ctx context.Context, cfg *config.Config, seed bool) ([]Advice, error) {
	g := &Gateway{cfg: cfg, log: slog.New(slog.DiscardHandler), metrics: telemetry.NewMetrics()}
	defer g.Close()
	norm, err := cfg.Normalizer()
	if err != nil {
		return nil, err
	}
	if seed {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("data_dir: %w", err)
		}
	}
	var out []Advice
	for _, sc := range cfg.Sources {
		src, err := g.openSource(ctx, sc, norm, seed)
		a := Advice{Source: sc.Name, Err: err}
		if err == nil {
			a.Plans, a.Err = src.Explain(ctx)
		}
		out = append(out, a)
	}
	return out, nil
}

// WriteAdvice writes advice for a person: each lookup, whether it uses an index, and the
// statements that would give the others one. It reports whether every lookup uses an index.
func WriteAdvice(w io.Writer, advice []Advice) bool {
	good, unchecked := true, false
	given := map[string]bool{}
	for _, a := range advice {
		if a.Err != nil {
			fmt.Fprintf(w, "source %s: could not be checked: %v\n", a.Source, a.Err)
			unchecked = true
			continue
		}
		fmt.Fprintf(w, "source %s:\n", a.Source)
		for _, p := range a.Plans {
			if len(p.Scans) == 0 {
				fmt.Fprintf(w, "  ok    lookup %s uses an index\n", p.Lookup)
				continue
			}
			good = false
			if given[p.Fix] {
				fmt.Fprintf(w, "  SCAN  lookup %s reads all of %s; the index above fixes it\n", p.Lookup, strings.Join(p.Scans, ", "))
				continue
			}
			given[p.Fix] = true
			fmt.Fprintf(w, "  SCAN  lookup %s reads all of %s; fix it with:\n          %s\n", p.Lookup, strings.Join(p.Scans, ", "), p.Fix)
		}
	}
	switch {
	case !good:
		fmt.Fprintln(w, "Some lookups read whole tables: they slow down as the tables grow. Run the CREATE INDEX statements above (as a user who may) and check again.")
	case unchecked:
		fmt.Fprintln(w, "Some sources could not be checked.")
	default:
		fmt.Fprintln(w, "All lookups use an index.")
	}
	return good && !unchecked
}

// adviseAtStart logs, once the sources answer, each lookup that would read a whole table,
// with the statement that fixes it, and hands the plans to the source (point reads when none
// scans); it never holds up serving.
func (g *Gateway) adviseAtStart(ctx context.Context, name string, src *sqlsource.Source) {
	plans, err := src.Explain(ctx)
	if err != nil {
		g.log.InfoContext(ctx, "index advice: could not explain the source's lookups", "source", name, "err", err)
		return
	}
	for _, p := range plans {
		if len(p.Scans) > 0 {
			g.log.WarnContext(ctx, "index advice: a lookup reads a whole table and will slow as it grows", "source", name, "lookup", p.Lookup, "scans", strings.Join(p.Scans, ","), "fix", p.Fix)
		}
	}
	src.UsePlans(plans)
}
