package loaders

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
)

// Breaker configures a source's circuit breaker: after Failures lookups in a row fail, lookups
// fail fast for OpenFor, then one probe decides whether it closes again. Failures 0 turns the
// breaker off.
type Breaker struct {
	Failures uint32
	OpenFor  time.Duration
}

// Observer is told about every lookup a source makes and every change of its breaker;
// telemetry implements it.
type Observer interface {
	// Lookup reports one batch: how many Fetches it joined, how long it took and its error.
	Lookup(ctx context.Context, source string, fetches int, took time.Duration, err *errcode.Error)
	// BreakerState reports the breaker's new state: "closed", "half-open" or "open".
	BreakerState(source, state string)
}

// Source is a profile source as the loaders reach it: with its timeout and circuit breaker.
type Source struct {
	profile.Source
	Timeout  time.Duration
	breaker  *gobreaker.CircuitBreaker[[]profile.Record]
	openFor  time.Duration
	observer Observer
}

// NewSource guards src with a timeout and, unless b.Failures is 0, a circuit breaker; obs
// (nil for none) observes its lookups.
func NewSource(src profile.Source, timeout time.Duration, b Breaker, obs Observer) Source {
	s := Source{Source: src, Timeout: timeout, openFor: b.OpenFor, observer: obs}
	if obs != nil {
		obs.BreakerState(src.Name(), gobreaker.StateClosed.String())
	}
	if b.Failures > 0 {
		s.breaker = gobreaker.NewCircuitBreaker[[]profile.Record](gobreaker.Settings{
			Name:        src.Name(),
			MaxRequests: 1,
			Timeout:     b.OpenFor,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= b.Failures },
			OnStateChange: func(name string, _, to gobreaker.State) {
				if obs != nil {
					obs.BreakerState(name, to.String())
				}
			},
		})
	}
	return s
}

// tracerName names the spans' instrumentation scope. The tracer is looked up per lookup, not
// kept: a tracer kept from before the provider was installed would not follow a later one.
const tracerName = "github.com/profilegate/profilegate/loaders"

// lookup asks the source for ids within its timeout and through its breaker, in a span.
func (s Source) lookup(ctx context.Context, ids []profile.Identifier, fetches int) ([]profile.Record, *errcode.Error) {
	ctx, span := otel.Tracer(tracerName).Start(ctx, "lookup "+s.Name(), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("profilegate.source", s.Name()), attribute.Int("profilegate.identifiers", len(ids)), attribute.Int("profilegate.fetches", fetches)))
	defer span.End()
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	call := func() ([]profile.Record, error) { return s.Lookup(ctx, ids) }
	var recs []profile.Record
	var err error
	if s.breaker != nil {
		recs, err = s.breaker.Execute(call)
	} else {
		recs, err = call()
	}
	var perr *errcode.Error
	if err != nil {
		perr = s.sourceError(err)
		span.RecordError(err)
		span.SetStatus(codes.Error, perr.Message)
	}
	span.SetAttributes(attribute.Int("profilegate.records", len(recs)))
	if s.observer != nil {
		s.observer.Lookup(ctx, s.Name(), fetches, time.Since(start), perr)
	}
	return recs, perr
}

func (s Source) sourceError(err error) *errcode.Error {
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return errcode.SourceError(s.Name(), fmt.Sprintf("is failing: its circuit breaker is open after failures in a row, and it is probed again within %s", s.openFor), err)
	case errors.Is(err, context.DeadlineExceeded):
		return errcode.SourceError(s.Name(), fmt.Sprintf("did not answer within %s", s.Timeout), err)
	}
	return errcode.SourceError(s.Name(), "lookup failed", err)
}
