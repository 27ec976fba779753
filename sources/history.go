package sources

import (
	"context"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/history"
)

// GuardedHistory is a source's history behind the source's timeout; while the source's
// breaker is open its history fails fast too, as the same database would not answer.
type GuardedHistory struct {
	src   history.Source
	guard *Guarded
}

// WithHistory returns h, the history kept in s's database, guarded as s is.
func (s *Guarded) WithHistory(h history.Source) *GuardedHistory {
	return &GuardedHistory{src: h, guard: s}
}

// Name is the source's name.
func (g *GuardedHistory) Name() string { return g.src.Name() }

// Coverage is from when the source's history is complete.
func (g *GuardedHistory) Coverage(now time.Time) *time.Time { return g.src.Coverage(now) }

// History asks the source for a page of each request within its timeout, in a span.
func (g *GuardedHistory) History(ctx context.Context, reqs []history.Request) ([][]history.Activity, *errcode.Error) {
	ctx, span := startSpan(ctx, "history "+g.Name(), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("profilegate.source", g.Name()), attribute.Int("profilegate.requests", len(reqs))))
	defer span.End()
	if b := g.guard.breaker; b != nil && b.State() == gobreaker.StateOpen {
		return nil, g.guard.sourceError(gobreaker.ErrOpenState)
	}
	ctx, cancel := context.WithTimeout(ctx, g.guard.timeout)
	defer cancel()
	pages, err := g.src.History(ctx, reqs)
	if err != nil {
		e := g.guard.sourceError(err)
		if e.Message == "lookup failed" {
			e.Message = "reading the history failed"
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, e.Message)
		return nil, e
	}
	return pages, nil
}
