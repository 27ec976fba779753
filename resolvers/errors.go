package resolvers

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/profilegate/profilegate/errcode"
)

// report adds the failures of sources to the response, beside the data they did not prevent.
func report(ctx context.Context, errs []*errcode.Error) {
	for _, e := range errs {
		graphql.AddError(ctx, e)
	}
}

// fail reports the failures of sources that left a field without a value, returning the last
// one as the field's error.
func fail(ctx context.Context, errs []*errcode.Error) error {
	report(ctx, errs[:len(errs)-1])
	return errs[len(errs)-1]
}

// PresentError is the one place errors become GraphQL errors: a profile.Error shows its
// message and code (and the source it came from); errors of GraphQL itself keep gqlgen's
// presentation; anything else is logged and shown as INTERNAL with no details.
func PresentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	sampled := &sourceWarnings{log: log, last: map[string]time.Time{}, suppressed: map[string]int{}}
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		var pe *errcode.Error
		switch {
		case errors.As(err, &pe):
			gqlErr.Message = pe.Message
			gqlErr.Extensions = map[string]any{"code": string(pe.Code)}
			if pe.Source != "" {
				gqlErr.Message = pe.Source + ": " + pe.Message
				gqlErr.Extensions["source"] = pe.Source
				sampled.warn(ctx, pe.Source, gqlErr.Path.String(), pe.Err)
			}
			if pe.Code == errcode.Internal {
				log.ErrorContext(ctx, "internal error", "path", gqlErr.Path.String(), "err", err)
			}
		case isGraphQLError(err):
		default:
			log.ErrorContext(ctx, "internal error", "path", gqlErr.Path.String(), "err", err)
			gqlErr.Message = "internal error"
			gqlErr.Extensions = map[string]any{"code": string(errcode.Internal)}
		}
		return gqlErr
	}
}

// sourceWarnings logs a failing source's errors at most once per warnEvery for each source,
// with how many were left out since: during an outage every lookup fails, and a line each
// (11 000 in six seconds) buries everything else in the log.
type sourceWarnings struct {
	log        *slog.Logger
	mu         sync.Mutex
	last       map[string]time.Time
	suppressed map[string]int
}

const warnEvery = 10 * time.Second

func (w *sourceWarnings) warn(ctx context.Context, source, path string, err error) {
	w.mu.Lock()
	now := time.Now()
	if now.Sub(w.last[source]) < warnEvery {
		w.suppressed[source]++
		w.mu.Unlock()
		return
	}
	left := w.suppressed[source]
	w.last[source], w.suppressed[source] = now, 0
	w.mu.Unlock()
	w.log.WarnContext(ctx, "source failed", "source", source, "path", path, "err", err, "left_out_since_last", left)
}

// isGraphQLError reports whether err is one of gqlgen's own (parsing, validation, coercion).
func isGraphQLError(err error) bool {
	var gqlErr *gqlerror.Error
	return errors.As(err, &gqlErr) && errors.Unwrap(gqlErr) == nil
}

// Recover turns a panic in a resolver into an INTERNAL error, logged with its value.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", v)
		return errcode.Errorf(errcode.Internal, "internal error")
	}
}
