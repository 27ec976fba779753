// Package ratelimit owns the per-caller limits: requests per second, requests in flight, and
// new contacts (unidentified profiles) per minute. They are counted in the process by default,
// or in Redis when one is configured, so that replicas share one budget per caller.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
)

// Limits are a caller's budgets; 0 turns one off.
type Limits struct {
	// RequestsPerSecond is the sustained rate of requests; Burst how many may come at once.
	RequestsPerSecond int `yaml:"requests_per_second"`
	Burst             int `yaml:"burst"`
	// Concurrent is how many of the caller's requests may be answered at once.
	Concurrent int `yaml:"concurrent"`
	// NewContactsPerMinute is how many unidentified profiles the caller's lookups may create.
	NewContactsPerMinute int `yaml:"new_contacts_per_minute"`
}

// Counter counts budgets by key.
type Counter interface {
	// Take spends one of key's budget of rate per period, burst at most at once. When none is
	// left it reports how long until one is.
	Take(ctx context.Context, key string, rate int, per time.Duration, burst int) (ok bool, retryAfter time.Duration, err error)
	// Enter counts a request of key in flight unless limit already are; leave ends it.
	Enter(ctx context.Context, key string, limit int) (ok bool, leave func(), err error)
}

// Caller names the caller a request comes from (its API key's name, its token's subject).
type Caller func(ctx context.Context) string

// Middleware answers a caller over its request rate or its requests in flight with 429
// RATE_LIMITED and Retry-After, before the request is answered. refuse writes the refusal;
// warn is told when the counter fails, and the request then goes on (limits fail open: a
// counter that is down must not take the gateway down).
func Middleware(c Counter, l Limits, caller Caller, refuse func(http.ResponseWriter, *http.Request, errcode.Code, string), warn func(context.Context, error), next http.Handler) http.Handler {
	if l.RequestsPerSecond <= 0 && l.Concurrent <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		who := caller(ctx)
		if l.RequestsPerSecond > 0 {
			ok, wait, err := c.Take(ctx, "rps:"+who, l.RequestsPerSecond, time.Second, max(l.Burst, 1))
			if err != nil {
				warn(ctx, err)
			} else if !ok {
				w.Header().Set("Retry-After", retryAfter(wait))
				refuse(w, r, errcode.RateLimited, fmt.Sprintf("%s is over its limit of %d requests a second; retry after %s seconds", who, l.RequestsPerSecond, retryAfter(wait)))
				return
			}
		}
		if l.Concurrent > 0 {
			ok, leave, err := c.Enter(ctx, "inflight:"+who, l.Concurrent)
			switch {
			case err != nil:
				warn(ctx, err)
			case !ok:
				w.Header().Set("Retry-After", "1")
				refuse(w, r, errcode.RateLimited, fmt.Sprintf("%s has its limit of %d requests in flight; retry when one is answered", who, l.Concurrent))
				return
			default:
				defer leave()
			}
		}
		next.ServeHTTP(w, r)
	})
}

// retryAfter is a Retry-After value: whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// ContactBudget is an unidentified-contact store that lets each caller create at most
// PerMinute new contacts a minute: past that, a lookup of an address nobody knows answers
// RATE_LIMITED instead of recording it. Repeat contacts of a recorded address cost nothing.
type ContactBudget struct {
	profile.UnidentifiedStore
	Counter   Counter
	PerMinute int
	Caller    Caller
	// Warn is told when the counter fails; the contact is then recorded.
	Warn func(context.Context, error)
}

// RecordContact records the contact when it is not new or the caller has budget left.
func (b ContactBudget) RecordContact(ctx context.Context, id profile.Identifier, at time.Time) (*profile.UnidentifiedContact, error) {
	if b.PerMinute > 0 {
		known, err := b.FindContact(ctx, id)
		if err != nil {
			return nil, err
		}
		if known == nil {
			who := b.Caller(ctx)
			ok, wait, err := b.Counter.Take(ctx, "contacts:"+who, b.PerMinute, time.Minute, b.PerMinute)
			if err != nil {
				b.Warn(ctx, err)
			} else if !ok {
				return nil, errcode.Errorf(errcode.RateLimited,
					"%s has created its limit of %d new contacts a minute; the next one can be created in %s seconds", who, b.PerMinute, retryAfter(wait))
			}
		}
	}
	return b.UnidentifiedStore.RecordContact(ctx, id, at)
}
