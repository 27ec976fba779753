package telemetry

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/sources"
)

var _ sources.Observer = (*Metrics)(nil)

// Metrics are the gateway's Prometheus metrics, on a registry of their own.
type Metrics struct {
	registry       *prometheus.Registry
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	sourceDuration *prometheus.HistogramVec
	sourceErrors   *prometheus.CounterVec
	breaker        *prometheus.GaugeVec
	batchSize      *prometheus.HistogramVec
	unidentified   prometheus.Counter
	contacts       prometheus.Gauge
	pruned         prometheus.Counter
}

// latencyBuckets suit a gateway answering in about a millisecond with sources timing out in
// seconds.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// NewMetrics registers the gateway's metrics and the Go runtime's.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "profilegate_requests_total",
			Help: "GraphQL requests by operation (its root fields) and outcome: ok, partial (data and errors), error, or the refusal's code.",
		}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "profilegate_request_duration_seconds", Help: "Time to answer a GraphQL request, by operation.", Buckets: latencyBuckets,
		}, []string{"operation"}),
		sourceDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "profilegate_source_lookup_duration_seconds", Help: "Time of one batched lookup against a source.", Buckets: latencyBuckets,
		}, []string{"source"}),
		sourceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "profilegate_source_errors_total", Help: "Failed source lookups by source and error code.",
		}, []string{"source", "code"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "profilegate_source_circuit_breaker_state", Help: "1 for the current state of a source's circuit breaker (closed, half-open, open), 0 for the others.",
		}, []string{"source", "state"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "profilegate_source_batch_size", Help: "How many lookups of a request one batch against a source joined.", Buckets: []float64{1, 2, 3, 5, 8, 13, 20, 40},
		}, []string{"source"}),
		unidentified: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "profilegate_unidentified_profiles_created_total", Help: "Unidentified profiles created for contacts no source knows.",
		}),
	}
	m.contacts = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "profilegate_unidentified_profiles", Help: "Unidentified profiles kept in the store, as of the last prune.",
	})
	m.pruned = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "profilegate_unidentified_profiles_pruned_total", Help: "Unidentified profiles dropped by retention (ttl, max).",
	})
	m.registry.MustRegister(m.contacts, m.pruned)
	m.registry.MustRegister(m.requests, m.duration, m.sourceDuration, m.sourceErrors, m.breaker, m.batchSize, m.unidentified,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Database exports the connection pool of a database as go_sql_* metrics labelled db_name:
// open, in use and idle connections, and how often and how long queries waited for one.
func (m *Metrics) Database(name string, db *sql.DB) {
	m.registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// Statements exports how many statements a source has executed, read from the source's own
// count: the one-statement-per-source-per-round promise is checked against it.
func (m *Metrics) Statements(source string, executed func() int64) {
	m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "profilegate_source_statements_total", Help: "Lookup statements a source has executed.",
		ConstLabels: prometheus.Labels{"source": source},
	}, func() float64 { return float64(executed()) }))
}

// Pruned records a prune of unidentified contacts: how many it dropped and how many remain.
func (m *Metrics) Pruned(pruned, remaining int64) {
	m.pruned.Add(float64(pruned))
	m.contacts.Set(float64(remaining))
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Lookup records one batched lookup against a source.
func (m *Metrics) Lookup(_ context.Context, source string, fetches int, took time.Duration, err *errcode.Error) {
	m.sourceDuration.WithLabelValues(source).Observe(took.Seconds())
	m.batchSize.WithLabelValues(source).Observe(float64(fetches))
	if err != nil {
		m.sourceErrors.WithLabelValues(source, string(err.Code)).Inc()
	}
}

// BreakerState records the state a source's circuit breaker is now in.
func (m *Metrics) BreakerState(source, state string) {
	for _, s := range []string{"closed", "half-open", "open"} {
		v := 0.0
		if s == state {
			v = 1
		}
		m.breaker.WithLabelValues(source, s).Set(v)
	}
}

// request records one answered request.
func (m *Metrics) request(operation, outcome string, took time.Duration) {
	m.requests.WithLabelValues(operation, outcome).Inc()
	m.duration.WithLabelValues(operation).Observe(took.Seconds())
}

// CountingStore counts the unidentified profiles a store creates.
type CountingStore struct {
	profile.UnidentifiedStore
	Metrics *Metrics
}

// RecordContact records the contact and counts it when it is the address's first.
func (s CountingStore) RecordContact(ctx context.Context, id profile.Identifier, at time.Time) (*profile.UnidentifiedContact, error) {
	c, err := s.UnidentifiedStore.RecordContact(ctx, id, at)
	if err == nil && c.ContactCount == 1 {
		s.Metrics.unidentified.Inc()
	}
	return c, err
}
