package resolvers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/resolvers"
)

func TestPresentError(t *testing.T) {
	var logs bytes.Buffer
	present := resolvers.PresentError(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	for _, tc := range []struct {
		name           string
		err            error
		message, code  string
		source, logHas string
	}{
		{name: "Coded", err: errcode.Errorf(errcode.BadUserInput, "first must be between 1 and 100"),
			message: "first must be between 1 and 100", code: "BAD_USER_INPUT"},
		{name: "Wrapped", err: fmt.Errorf("desk: %w", errcode.Errorf(errcode.Forbidden, "agents may not")),
			message: "agents may not", code: "FORBIDDEN"},
		{name: "Source", err: errcode.SourceError("crm", "lookup failed", errors.New("dial tcp 10.0.0.7:5432: refused")),
			message: "crm: lookup failed", code: "SOURCE_UNAVAILABLE", source: "crm", logHas: "10.0.0.7"},
		{name: "GraphQL", err: gqlerror.Errorf("Cannot query field \"nope\" on type \"Query\"."),
			message: "Cannot query field \"nope\" on type \"Query\"."},
		{name: "Uncoded", err: errors.New("pq: relation \"contacts\" does not exist"),
			message: "internal error", code: "INTERNAL", logHas: "relation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			got := present(ctx, tc.err)
			code, _ := got.Extensions["code"].(string)
			source, _ := got.Extensions["source"].(string)
			if got.Message != tc.message || code != tc.code || source != tc.source {
				t.Fatalf("presented %q code %q source %q", got.Message, code, source)
			}
			if !strings.Contains(logs.String(), tc.logHas) {
				t.Fatalf("the log lacks %q: %s", tc.logHas, logs.String())
			}
		})
	}
}

// TestSourceWarningsSampled: during an outage every lookup fails; the log says so once per
// source per interval, counting what it left out, not once per error.
func TestSourceWarningsSampled(t *testing.T) {
	var logs bytes.Buffer
	present := resolvers.PresentError(slog.New(slog.NewTextHandler(&logs, nil)))
	for range 1000 {
		present(context.Background(), errcode.SourceError("crm", "lookup failed", errors.New("connection refused")))
		present(context.Background(), errcode.SourceError("warehouse", "lookup failed", errors.New("connection refused")))
	}
	if n := strings.Count(logs.String(), "source failed"); n != 2 {
		t.Fatalf("%d log lines for 2000 failures of two sources:\n%s", n, logs.String())
	}
}
