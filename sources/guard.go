// Package sources holds the profile sources as the gateway reaches them: each one guarded by
// its timeout and circuit breaker, with a span and telemetry per lookup. The adapters that
// reach a source's database live below it (sqlsource); the interface they implement is
// profile.Source.
package sources

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

// Guarded is a profile source behind its timeout and circuit breaker.
type Guarded struct {
	src      profile.Source
	timeout  time.Duration
	breaker  *gobreaker.CircuitBreaker[[]profile.Record]
	openFor  time.Duration
	observer Observer
	span     string // the lookup span's name
}

// Guard guards src with a timeout and, unless b.Failures is 0, a circuit breaker; obs (nil for
// none) observes its lookups.
func Guard(src profile.Source, timeout time.Duration, b Breaker, obs Observer) *Guarded {
	s := &Guarded{src: src, timeout: timeout, openFor: b.OpenFor, observer: obs, span: "lookup " + src.Name()}
	if obs != nil {
		obs.BreakerState(src.Name(), gobreaker.StateClosed.String())
	}
	if b.Failures > 0 {
		s.breaker = gobreaker.NewCircuitBreaker[[]profile.Record](gobreaker.Settings{
			Name:        src.Name(),
			MaxRequests: 1,
			Timeout:     b.OpenFor,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= b.Failures },
			// A source that answered without being sure it found everything is up.
			IsSuccessful: func(err error) bool { return err == nil || errcode.Of(err) == errcode.SourceIncomplete },
			OnStateChange: func(name string, _, to gobreaker.State) {
				if obs != nil {
					obs.BreakerState(name, to.String())
				}
			},
		})
	}
	return s
}

// tracer makes the lookup spans. Taken from the global provider once: a tracer taken before
// telemetry installs its provider delegates to that provider from then on (otel's global
// package does so), and looking the tracer up per lookup cost 6 µs a request (a lock and a
// map in the global provider).
var tracer = otel.Tracer("github.com/profilegate/profilegate/sources")

// untraced is the global tracer provider before telemetry installs one (tracing off). Its spans
// do nothing, yet starting one looked for a parent through the request's whole context, 2 µs
// a lookup: startSpan makes none then.
var untraced = otel.GetTracerProvider()

// noSpan is the span of a call to a source while tracing is off.
var noSpan = trace.SpanFromContext(context.Background())

// startSpan starts the span of a call to a source, or hands out noSpan while tracing is off.
func startSpan(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if otel.GetTracerProvider() == untraced {
		return ctx, noSpan
	}
	return tracer.Start(ctx, name, opts...)
}

// Name is the source's name.
func (s *Guarded) Name() string { return s.src.Name() }

// Lookup asks the source for ids within its timeout and through its breaker, in a span;
// fetches is how many lookups of a request the call joins, for telemetry.
func (s *Guarded) Lookup(ctx context.Context, ids []profile.Identifier, fetches int) ([]profile.Record, *errcode.Error) {
	ctx, span := startSpan(ctx, s.span, trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	if span.IsRecording() {
		span.SetAttributes(attribute.String("profilegate.source", s.Name()), attribute.Int("profilegate.identifiers", len(ids)), attribute.Int("profilegate.fetches", fetches))
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	call := func() ([]profile.Record, error) { return s.src.Lookup(ctx, ids) }
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
	if span.IsRecording() {
		span.SetAttributes(attribute.Int("profilegate.records", len(recs)))
	}
	if s.observer != nil {
		s.observer.Lookup(ctx, s.Name(), fetches, time.Since(start), perr)
	}
	return recs, perr
}

func (s *Guarded) sourceError(err error) *errcode.Error {
	var e *errcode.Error
	switch {
	case errors.As(err, &e) && e.Code == errcode.SourceIncomplete:
		return e
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return errcode.SourceError(s.Name(), fmt.Sprintf("is failing: its circuit breaker is open after failures in a row, and it is probed again within %s", s.openFor), err)
	case errors.Is(err, context.DeadlineExceeded):
		return errcode.SourceError(s.Name(), fmt.Sprintf("did not answer within %s", s.timeout), err)
	}
	return errcode.SourceError(s.Name(), "lookup failed", err)
}
