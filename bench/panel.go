package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/profilegate/profilegate/examples/operations"
)

// PanelOptions say what Panel measures.
type PanelOptions struct {
	// Dir holds data Generate and GenerateHistory wrote for People people.
	Dir    string
	People int
	// Gateway runs the gateway: the profilegate binary.
	Gateway string
	// Visits is how many agent visits each phase makes: a header, then the person's details
	// and the first page of their history, as the panel asks them.
	Visits int
	// Concurrency lists the numbers of agents (concurrent clients) of the phases.
	Concurrency []int
	Out         io.Writer
}

var (
	detailsQuery = operation("CustomerDetails.graphql")
	historyQuery = operation("CustomerHistory.graphql")
)

func operation(name string) string {
	b, err := operations.Files.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Panel starts the gateway on the generated data and measures what an agent's panel asks, at
// each concurrency: the customer header of a known person (by phone), then their details and
// the first page of their history by the header's profile id, each answer checked. It prints
// each request's p50 and p99 and their ratios to the header's, measured in the same visits.
func Panel(ctx context.Context, o PanelOptions) error {
	gw, err := startGateway(ctx, RunOptions{Dir: o.Dir, People: o.People, Gateway: o.Gateway})
	if err != nil {
		return err
	}
	defer stop(gw)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
	if _, err := visits(ctx, client, gw, o, 1, min(o.Visits, 200), 0); err != nil { // warm-up
		return err
	}
	w := tabwriter.NewWriter(o.Out, 0, 8, 2, ' ', tabwriter.AlignRight)
	defer w.Flush()
	fmt.Fprintf(o.Out, "%d people; %d visits per phase (header, then details and the first history page)\n", o.People, o.Visits)
	fmt.Fprintln(w, "agents\trequest\tp50\tp99\tp50 / header p50\tp99 / header p99\t")
	for i, c := range o.Concurrency {
		rs, err := visits(ctx, client, gw, o, c, o.Visits, uint64(i+1))
		if err != nil {
			return err
		}
		h := rs[0]
		for _, r := range rs {
			fmt.Fprintf(w, "\t%d\t%s\t%s\t%s\t%.2f\t%.2f\t\n", c, r.name, ms(r.p(50)), ms(r.p(99)),
				r.p(50).Seconds()/h.p(50).Seconds(), r.p(99).Seconds()/h.p(99).Seconds())
		}
	}
	return nil
}

// timings are one kind of request's latencies.
type timings struct {
	name      string
	latencies []time.Duration
}

func (t *timings) p(q int) time.Duration {
	r := result{latencies: t.latencies}
	return r.p(q)
}

// visits runs n visits from c concurrent agents and returns the latencies of the header, the
// details and the history page; any wrong answer fails the run.
func visits(ctx context.Context, client *http.Client, gw *server, o PanelOptions, c, n int, seed uint64) ([]*timings, error) {
	rs := []*timings{{name: "customerHeader"}, {name: "customerDetails"}, {name: "customerHistory (first page)"}}
	var mu sync.Mutex
	var firstErr error
	next := make(chan Person)
	go func() {
		defer close(next)
		rng := rand.New(rand.NewPCG(seed, 7))
		for range n {
			p := Person{rng.IntN(o.People)}
			for p.I%100 >= 98 { // a household's number is two people's: the picker's case, not this one
				p = Person{rng.IntN(o.People)}
			}
			select {
			case next <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for p := range next {
				took, err := visit(ctx, client, gw.url, p)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("bench: visit of person %d: %w", p.I, err)
				}
				for i, d := range took {
					rs[i].latencies = append(rs[i].latencies, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return rs, firstErr
}

// visit asks what the panel asks for person p and checks the answers.
func visit(ctx context.Context, client *http.Client, url string, p Person) ([]time.Duration, error) {
	var took []time.Duration
	timed := func(query, op string, vars map[string]any, out any) error {
		body, _ := json.Marshal(map[string]any{"query": query, "operationName": op, "variables": vars})
		start := time.Now()
		err := post(ctx, client, url, body, out)
		took = append(took, time.Since(start))
		return err
	}
	var h struct {
		Data struct {
			CustomerHeader struct {
				Name    string
				Profile struct{ ID string }
			}
		}
		Errors []struct{ Message string }
	}
	if err := timed(headerQuery, "CustomerHeader", map[string]any{"identifier": map[string]string{"key": "phonenumber", "value": "+1" + p.Digits()}}, &h); err != nil {
		return nil, err
	}
	if len(h.Errors) > 0 || h.Data.CustomerHeader.Name != p.Name() {
		return nil, fmt.Errorf("header %+v %v, want %s", h.Data.CustomerHeader, h.Errors, p.Name())
	}
	id := h.Data.CustomerHeader.Profile.ID
	var d struct {
		Data struct {
			CustomerDetails struct {
				Groups []struct {
					Traits []struct{ Key, Value string }
				}
			}
		}
		Errors []struct{ Message string }
	}
	if err := timed(detailsQuery, "CustomerDetails", map[string]any{"profileId": id}, &d); err != nil {
		return nil, err
	}
	if len(d.Errors) > 0 || len(d.Data.CustomerDetails.Groups) == 0 || d.Data.CustomerDetails.Groups[0].Traits[0].Value != p.First() {
		return nil, fmt.Errorf("details %+v %v", d.Data, d.Errors)
	}
	var hist struct {
		Data struct {
			CustomerHistory struct {
				Edges []json.RawMessage
			}
		}
		Errors []struct{ Message string }
	}
	if err := timed(historyQuery, "CustomerHistory", map[string]any{"profileId": id}, &hist); err != nil {
		return nil, err
	}
	if len(hist.Errors) > 0 {
		return nil, errors.New(hist.Errors[0].Message)
	}
	if n := len(hist.Data.CustomerHistory.Edges); n != p.HistoryLen() {
		return nil, fmt.Errorf("history of %d activities, want %d", n, p.HistoryLen())
	}
	return took, nil
}
