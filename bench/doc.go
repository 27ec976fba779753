// Package bench measures the gateway against a hand-written server doing the same lookups: it
// generates a CRM and a warehouse of any size in the demo's shapes (Generate), draws the
// desktop's traffic with the answer each request must get (Traffic), serves the same
// customer header from the same SQL without GraphQL (Baseline), and runs both interleaved,
// reporting throughput, CPU per request, latency, peak memory and statements per source
// (Run). cmd/bench is its command line.
package bench
