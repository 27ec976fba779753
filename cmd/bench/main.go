// Command bench measures the gateway against a hand-written server doing the same lookups
// (package bench). Generate the data once, then run both interleaved:
//
//	go run ./cmd/bench generate -people 1000000 -dir /tmp/bench-1m
//	go run ./cmd/bench run -dir /tmp/bench-1m
//
// run builds the gateway, starts it on the data (its first start builds the match index),
// starts the baseline (this command's "baseline" subcommand), checks every answer of both,
// and prints closed-loop throughput and CPU per request round by round, fixed-rate latency,
// peak memory and the statements per source of requests with many aliases. With -against, an
// older build of the gateway runs in the baseline's place: a change measured before and after.
//
//	go run ./cmd/bench run -dir /tmp/bench-1m -gateway ./profilegate -against ./profilegate-before -rounds 80 -duration 1s
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/profilegate/profilegate/bench"
)

func main() {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if len(os.Args) < 2 {
		log.Fatal("usage: bench generate|run|panel|baseline [flags]")
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "generate":
		err = generate(ctx, args)
	case "run":
		err = run(ctx, args)
	case "panel":
		err = panel(ctx, args)
	case "baseline":
		err = baseline(ctx, args)
	default:
		err = fmt.Errorf("unknown command %q: use generate, run, panel or baseline", cmd)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// meta is what generate leaves beside the data for run and panel.
type meta struct {
	People int `json:"people"`
	// History says the data has the history tables (generate -history).
	History bool `json:"history"`
}

func generate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("generate", flag.ExitOnError)
	people := fs.Int("people", 10_000, "people in the CRM and the warehouse (10000, 1000000, 10000000)")
	dir := fs.String("dir", "", "directory for the databases (required, new)")
	history := fs.Bool("history", false, fmt.Sprintf("also the history tables: %d CRM activities a person, %d warehouse events a warehouse profile",
		bench.CRMActivities, bench.WarehouseEvents))
	fs.Parse(args)
	if *dir == "" || *people < 1 {
		return errors.New("generate: -dir and a positive -people are required")
	}
	progress := func(s string) { log.Print(s) }
	if err := bench.Generate(ctx, *dir, *people, progress); err != nil {
		return err
	}
	if *history {
		if err := bench.GenerateHistory(ctx, *dir, *people, progress); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(meta{People: *people, History: *history})
	return os.WriteFile(filepath.Join(*dir, "bench.json"), b, 0o644)
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	dir := fs.String("dir", "", "directory generate wrote (required)")
	gateway := fs.String("gateway", "", "profilegate binary (built from this module when empty)")
	rounds := fs.Int("rounds", 12, "closed-loop rounds, each on both servers (the order alternating)")
	duration := fs.Duration("duration", 5*time.Second, "length of each measurement: many short rounds, as the machine drifts within seconds")
	concurrency := fs.Int("concurrency", 16, "clients of the closed loop and the alias check")
	rates := fs.String("rates", "250,500,750,1000", "fixed rates, requests a second")
	aliases := fs.Int("aliases", 30, "aliased customer headers in one request of the alias check")
	against := fs.String("against", "", "another profilegate binary to run in the baseline's place, on a copy of the gateway's store: a change's before and after")
	pin := fs.Bool("pin", false, "lock the databases in memory for the run (Linux; needs the memory and CAP_IPC_LOCK or RLIMIT_MEMLOCK)")
	fs.Parse(args)
	m, err := readMeta(*dir)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if *rounds < 1 || *duration <= 0 || *concurrency < 1 || *aliases < 1 || *aliases > 100 {
		return errors.New("run: -rounds, -duration and -concurrency must be positive, -aliases 1..100")
	}
	if err := buildGateway(ctx, gateway, *dir); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var rs []int
	for _, r := range strings.Split(*rates, ",") {
		if r = strings.TrimSpace(r); r != "" {
			n, err := strconv.Atoi(r)
			if err != nil || n <= 0 {
				return fmt.Errorf("run: -rates: %q is not a rate", r)
			}
			rs = append(rs, n)
		}
	}
	return bench.Run(ctx, bench.RunOptions{Dir: *dir, People: m.People, Gateway: *gateway, Baseline: []string{self, "baseline"},
		Rounds: *rounds, Duration: *duration, Concurrency: *concurrency, Rates: rs, Aliases: *aliases, Pin: *pin, Against: *against, Out: os.Stdout})
}

func baseline(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("baseline", flag.ExitOnError)
	dir := fs.String("dir", "", "directory generate wrote, with the gateway's store (required)")
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on")
	fs.Parse(args)
	b, err := bench.OpenBaseline(ctx, *dir)
	if err != nil {
		return err
	}
	defer b.Close()
	mux := http.NewServeMux()
	mux.Handle("POST /", b)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func panel(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("panel", flag.ExitOnError)
	dir := fs.String("dir", "", "directory generate -history wrote (required)")
	gateway := fs.String("gateway", "", "profilegate binary (built from this module when empty)")
	visits := fs.Int("visits", 2000, "agent visits per phase (header, details, first history page)")
	concurrency := fs.String("concurrency", "1,8", "agents of each phase")
	fs.Parse(args)
	m, err := readMeta(*dir)
	if err != nil {
		return fmt.Errorf("panel: %w", err)
	}
	if !m.History {
		return fmt.Errorf("panel: %s has no history tables: generate with -history", *dir)
	}
	var cs []int
	for _, c := range strings.Split(*concurrency, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return fmt.Errorf("panel: -concurrency: %q is not a number of agents", c)
		}
		cs = append(cs, n)
	}
	if *visits < 1 {
		return errors.New("panel: -visits must be positive")
	}
	if err := buildGateway(ctx, gateway, *dir); err != nil {
		return fmt.Errorf("panel: %w", err)
	}
	return bench.Panel(ctx, bench.PanelOptions{Dir: *dir, People: m.People, Gateway: *gateway, Visits: *visits, Concurrency: cs, Out: os.Stdout})
}

// readMeta reads what generate left in dir.
func readMeta(dir string) (meta, error) {
	var m meta
	b, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		return m, fmt.Errorf("%w (generate the data first)", err)
	}
	if err := json.Unmarshal(b, &m); err != nil || m.People < 1 {
		return m, fmt.Errorf("%s does not say how many people were generated (%v)", filepath.Join(dir, "bench.json"), err)
	}
	return m, nil
}

// buildGateway builds the gateway into dir unless *path names a binary.
func buildGateway(ctx context.Context, path *string, dir string) error {
	if *path != "" {
		return nil
	}
	*path = filepath.Join(dir, "profilegate")
	build := exec.CommandContext(ctx, "go", "build", "-o", *path, "github.com/profilegate/profilegate")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build the gateway: %w", err)
	}
	return nil
}
