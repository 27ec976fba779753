// Command loadtest drives a running profilegate with an agent desktop's traffic on the demo
// data at a fixed rate, checks every answer, and prints latency percentiles per scenario.
// It exits 1 when any request failed.
//
//	go run . &                                  # the demo gateway
//	go run ./cmd/loadtest -rate 200 -duration 10s
//
// With auth on, pass an API key in PROFILEGATE_API_KEY.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/profilegate/profilegate/loadtest"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	o := loadtest.Options{}
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8080/query", "the gateway's GraphQL endpoint")
	fs.IntVar(&o.Rate, "rate", 100, "requests per second, all scenarios together")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long to send requests")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "the timeout of each request")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if key := os.Getenv("PROFILEGATE_API_KEY"); key != "" {
		o.Header = http.Header{"Authorization": {"Bearer " + key}}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "loadtest: %d req/s for %s against %s\n", o.Rate, o.Duration, o.URL)
	report, err := loadtest.Run(ctx, o)
	if report != nil {
		report.WriteText(os.Stdout)
	}
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		return 1
	case report.Total.Failed > 0:
		fmt.Fprintf(os.Stderr, "loadtest: %d of %d requests failed\n", report.Total.Failed, report.Total.Requests)
		return 1
	}
	return 0
}
