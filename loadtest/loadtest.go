package loadtest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Scenario is one kind of request in a mix.
type Scenario struct {
	// Name names the scenario in the report.
	Name string
	// Weight is the scenario's share of the rate, relative to the other scenarios' weights.
	Weight int
	// Operation is the GraphQL document sent.
	Operation string
	// Variables returns the variables of the scenario's n-th request (n counts from 0).
	Variables func(n uint64) any
	// Check reports what is wrong with the data of the n-th request's answer, which has no
	// errors.
	Check func(n uint64, data json.RawMessage) error
}

// Options say whom to drive, how hard and for how long.
type Options struct {
	// URL is the gateway's GraphQL endpoint, e.g. http://127.0.0.1:8080/query.
	URL string
	// Header is sent with every request, e.g. an Authorization header.
	Header http.Header
	// Rate is the requests per second of all scenarios together.
	Rate int
	// Duration is how long requests are sent.
	Duration time.Duration
	// Requests, when set, is how many requests are sent in all, each scenario its weight's
	// share, whatever the time it takes; Duration is then ignored. Tests use it, so that a
	// busy machine sends as many requests as an idle one.
	Requests int
	// Timeout bounds each request; 10s when zero.
	Timeout time.Duration
	// Scenarios is the mix; DemoMix when empty.
	Scenarios []Scenario
}

// Result is what one scenario, or the whole run, measured.
type Result struct {
	Name     string
	Requests uint64
	// Failed counts requests without the expected answer: transport errors, a status
	// other than 200, GraphQL errors, or a failed check.
	Failed uint64
	// Failures are the distinct reasons of failed requests, the first 5.
	Failures []string
	// Rate is the requests per second sent.
	Rate               float64
	P50, P95, P99, Max time.Duration
}

// Report is a whole run: one Result per scenario, and the total.
type Report struct {
	Scenarios []Result
	Total     Result
}

// Run sends the mix at the configured rate until the duration has passed or ctx ends, and
// reports what each scenario and the whole run measured.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.URL == "" || strings.Contains(o.URL, "#") || o.Rate <= 0 || (o.Duration <= 0 && o.Requests <= 0) {
		return nil, errors.New("loadtest: a URL without a fragment, a positive rate and a positive duration or number of requests are required")
	}
	du := o.Duration
	if o.Requests > 0 {
		du = 0 // until the targets run out
	}
	scenarios := o.Scenarios
	if len(scenarios) == 0 {
		scenarios = DemoMix(time.Now())
	}
	weights := 0
	for _, s := range scenarios {
		weights += s.Weight
	}
	if weights <= 0 {
		return nil, errors.New("loadtest: the scenarios' weights must add up to more than 0")
	}
	results := make([]*collector, len(scenarios))
	total := &collector{name: "total"}
	var wg sync.WaitGroup
	for i, s := range scenarios {
		rate := max(1, o.Rate*s.Weight/weights)
		limit := uint64(0)
		if o.Requests > 0 {
			limit = uint64(max(1, o.Requests*s.Weight/weights))
		}
		results[i] = &collector{name: s.Name}
		attacker := vegeta.NewAttacker(vegeta.Timeout(cmp.Or(o.Timeout, 10*time.Second)), vegeta.KeepAlive(true))
		wg.Go(func() {
			stop := context.AfterFunc(ctx, func() { attacker.Stop() })
			defer stop()
			for r := range attacker.Attack(targeter(o, s, limit), vegeta.Rate{Freq: rate, Per: time.Second}, du, s.Name) {
				if r.Error == vegeta.ErrNoTargets.Error() {
					continue // the scenario's share is sent; the attack stops
				}
				err := check(r, s)
				r.Body, r.Error = nil, "" // checked; what matters of them is in err
				results[i].add(r, err)
				total.add(r, err)
			}
		})
	}
	wg.Wait()
	report := &Report{Total: total.result()}
	for _, c := range results {
		report.Scenarios = append(report.Scenarios, c.result())
	}
	return report, ctx.Err()
}

// targeter builds the scenario's requests, numbering them so each can carry its own variables.
// The number rides in the URL's fragment, which is never sent but comes back in the result,
// so an answer is checked against the request it answers. With a limit it hands out that many
// and then vegeta.ErrNoTargets, which ends the attack.
func targeter(o Options, s Scenario, limit uint64) vegeta.Targeter {
	var mu sync.Mutex
	var n uint64
	return func(t *vegeta.Target) error {
		mu.Lock()
		i := n
		if limit > 0 && i >= limit {
			mu.Unlock()
			return vegeta.ErrNoTargets
		}
		n++
		mu.Unlock()
		body, err := json.Marshal(map[string]any{"query": s.Operation, "variables": s.Variables(i)})
		if err != nil {
			return err
		}
		t.Method, t.URL, t.Body = http.MethodPost, o.URL+"#"+strconv.FormatUint(i, 10), body
		t.Header = o.Header.Clone()
		if t.Header == nil {
			t.Header = http.Header{}
		}
		t.Header.Set("Content-Type", "application/json")
		t.Header.Set("Accept", "application/graphql-response+json")
		return nil
	}
}

// check says why an answer is not the one the scenario expects, or nil.
func check(r *vegeta.Result, s Scenario) error {
	var answer struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &answer); err != nil {
		if r.Error != "" { // no connection, a timeout, or an error page: vegeta says which
			base, _, _ := strings.Cut(r.URL, "#")
			return errors.New(strings.ReplaceAll(r.Error, r.URL, base)) // one message, not one per request
		}
		return fmt.Errorf("status %d, not a GraphQL response", r.Code)
	}
	if len(answer.Errors) > 0 {
		e := answer.Errors[0]
		return fmt.Errorf("%s: %s", cmp.Or(e.Extensions.Code, "ERROR"), e.Message)
	}
	if r.Code != http.StatusOK {
		return fmt.Errorf("status %d", r.Code)
	}
	_, fragment, _ := strings.Cut(r.URL, "#")
	n, err := strconv.ParseUint(fragment, 10, 64)
	if err != nil {
		return fmt.Errorf("request number lost from %q", r.URL)
	}
	return s.Check(n, answer.Data)
}

// collector gathers the results of one scenario, or of all of them: the latencies as a
// t-digest (vegeta's), so a long run's memory does not grow with its requests.
type collector struct {
	mu       sync.Mutex
	name     string
	metrics  vegeta.Metrics
	failed   uint64
	failures []string
}

func (c *collector) add(r *vegeta.Result, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.metrics.Add(r)
	if err == nil {
		return
	}
	c.failed++
	if msg := err.Error(); len(c.failures) < 5 && !slices.Contains(c.failures, msg) {
		c.failures = append(c.failures, msg)
	}
}

func (c *collector) result() Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := &c.metrics
	m.Close()
	return Result{
		Name: c.name, Requests: m.Requests, Failed: c.failed, Failures: c.failures, Rate: m.Rate,
		P50: m.Latencies.P50, P95: m.Latencies.P95, P99: m.Latencies.P99, Max: m.Latencies.Max,
	}
}

// WriteText writes the report as a table, one row per scenario and the total, followed by the
// reasons of failed requests.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\trequests\tfailed\treq/s\tp50\tp95\tp99\tmax\t")
	for _, res := range append(slices.Clone(r.Scenarios), r.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t\n", res.Name, res.Requests, res.Failed, res.Rate,
			ms(res.P50), ms(res.P95), ms(res.P99), ms(res.Max))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, res := range r.Scenarios {
		for _, f := range res.Failures {
			if _, err := fmt.Fprintf(w, "%s failed: %s\n", res.Name, f); err != nil {
				return err
			}
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
