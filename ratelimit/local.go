package ratelimit

import (
	"context"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Local counts in the process: token buckets (golang.org/x/time/rate) for rates, counters for
// requests in flight. It keeps the buckets of the most recent callers only.
type Local struct {
	buckets  *lru.Cache[string, *rate.Limiter]
	mu       sync.Mutex
	inFlight map[string]int
}

// NewLocal returns a counter in the process.
func NewLocal() *Local {
	buckets, _ := lru.New[string, *rate.Limiter](100_000)
	return &Local{buckets: buckets, inFlight: map[string]int{}}
}

// Take spends one token of key's bucket.
func (l *Local) Take(_ context.Context, key string, n int, per time.Duration, burst int) (bool, time.Duration, error) {
	l.mu.Lock()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(rate.Limit(float64(n)/per.Seconds()), burst)
		l.buckets.Add(key, b)
	}
	l.mu.Unlock()
	r := b.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return false, d, nil
	}
	return true, 0, nil
}

// Enter counts a request in flight.
func (l *Local) Enter(_ context.Context, key string, limit int) (bool, func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight[key] >= limit {
		return false, nil, nil
	}
	l.inFlight[key]++
	return true, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.inFlight[key]--; l.inFlight[key] <= 0 {
			delete(l.inFlight, key)
		}
	}, nil
}
