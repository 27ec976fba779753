package telemetry

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/profilegate/profilegate/matchindex"
)

var _ matchindex.Observer = (*MatchIndexMetrics)(nil)

// MatchIndexMetrics export each source's match index: its size, how stale it is and when it
// was last rebuilt in full, and whether its first build is under way.
type MatchIndexMetrics struct {
	mu        sync.Mutex
	refreshed map[string]time.Time
	now       func() time.Time
	rows      *prometheus.GaugeVec
	reconcile *prometheus.GaugeVec
	building  *prometheus.GaugeVec
}

// MatchIndexes registers the match index metrics; now is the clock lag is measured with.
func (m *Metrics) MatchIndexes(now func() time.Time) *MatchIndexMetrics {
	mi := &MatchIndexMetrics{
		refreshed: map[string]time.Time{},
		now:       now,
		rows: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "profilegate_match_index_rows", Help: "Identifiers the source's match index holds.",
		}, []string{"source"}),
		reconcile: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "profilegate_match_index_reconciled_timestamp_seconds", Help: "When the source's match index was last rebuilt in full (Unix time).",
		}, []string{"source"}),
		building: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "profilegate_match_index_building", Help: "1 while the source's match index is not complete (first build, or a rebuild after its layout changed).",
		}, []string{"source"}),
	}
	lag := prometheus.NewDesc("profilegate_match_index_lag_seconds", "How long ago the source's match index last caught up with the source's changes.", []string{"source"}, nil)
	m.registry.MustRegister(mi.rows, mi.reconcile, mi.building, collectorFunc{desc: lag, collect: func(ch chan<- prometheus.Metric) {
		mi.mu.Lock()
		defer mi.mu.Unlock()
		for source, at := range mi.refreshed {
			ch <- prometheus.MustNewConstMetric(lag, prometheus.GaugeValue, mi.now().Sub(at).Seconds(), source)
		}
	}})
	return mi
}

// MatchIndex records the state of a source's index.
func (mi *MatchIndexMetrics) MatchIndex(source string, rows int64, refreshedAt, reconciledAt time.Time, building bool) {
	mi.rows.WithLabelValues(source).Set(float64(rows))
	if !reconciledAt.IsZero() {
		mi.reconcile.WithLabelValues(source).Set(float64(reconciledAt.Unix()))
	}
	b := 0.0
	if building {
		b = 1
	}
	mi.building.WithLabelValues(source).Set(b)
	if !refreshedAt.IsZero() {
		mi.mu.Lock()
		mi.refreshed[source] = refreshedAt
		mi.mu.Unlock()
	}
}

// collectorFunc is a collector of one metric computed when scraped.
type collectorFunc struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }
