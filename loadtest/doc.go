// Package loadtest drives a running gateway with an agent desktop's traffic and checks every
// answer. Requests go out at a fixed rate whatever the gateway's latency (an open model, via
// vegeta), so a slow gateway shows up as latency rather than as fewer requests; each
// scenario's answers are decoded with the typed Go client generated from the sample
// operations and counted as failed unless they say what the scenario expects.
package loadtest
