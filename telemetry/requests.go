package telemetry

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/profilegate/profilegate/auth"
)

// request is what one request's log line and metrics say; the GraphQL extension fills in the
// operation once it is known.
type request struct {
	mu        sync.Mutex
	caller    string
	name      string // the client's operation name
	operation string // the root fields, the metrics' bounded label
	codes     []string
	hasData   bool
}

type requestKey struct{}

// Requests logs one line per request to /query and counts it: operation name, root fields,
// status, duration and error codes, never variables or identifier values.
func Requests(m *Metrics, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &request{}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestKey{}, info)))
		took := time.Since(start)

		info.mu.Lock()
		defer info.mu.Unlock()
		operation := cmp.Or(info.operation, "unknown")
		outcome := "ok"
		switch {
		case rec.status >= 400 && len(info.codes) > 0:
			outcome = info.codes[0]
		case rec.status >= 400:
			outcome = "http_" + http.StatusText(rec.status)
		case len(info.codes) > 0 && info.hasData:
			outcome = "partial"
		case len(info.codes) > 0:
			outcome = "error"
		}
		m.request(operation, outcome, took)
		if !log.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		// The record is handed to the handler directly, as slog's docs show for wrappers: the
		// line has no source position, so Logger.Info's runtime.Callers per request is spared.
		line := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
		line.AddAttrs(slog.String("method", r.Method), slog.Int("status", rec.status), slog.String("operation", operation),
			slog.Float64("duration_ms", float64(took.Microseconds())/1000))
		if info.name != "" {
			line.AddAttrs(slog.String("operation_name", info.name))
		}
		if len(info.codes) > 0 {
			line.AddAttrs(slog.String("error_codes", strings.Join(info.codes, ",")))
		}
		if info.caller != "" {
			line.AddAttrs(slog.String("caller", info.caller))
		}
		_ = log.Handler().Handle(r.Context(), line)
	})
}

// NoteRefusal records the code of a request refused before GraphQL saw it (401, 400).
func NoteRefusal(ctx context.Context, code string) {
	if info, ok := ctx.Value(requestKey{}).(*request); ok {
		info.mu.Lock()
		info.codes = append(info.codes, code)
		info.mu.Unlock()
	}
}

// NoteCaller records who a request comes from, once authenticated.
func NoteCaller(ctx context.Context, p *auth.Principal) {
	if info, ok := ctx.Value(requestKey{}).(*request); ok {
		info.mu.Lock()
		info.caller = p.Name
		info.mu.Unlock()
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Operations is the gqlgen extension that tells Requests which operation a request ran and
// which error codes it answered with.
type Operations struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = Operations{}

// ExtensionName names the extension for gqlgen.
func (Operations) ExtensionName() string { return "RequestTelemetry" }

// Validate accepts any schema.
func (Operations) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse notes the operation and the response's error codes.
func (Operations) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	info, ok := ctx.Value(requestKey{}).(*request)
	if !ok || resp == nil {
		return resp
	}
	info.mu.Lock()
	defer info.mu.Unlock()
	if graphql.HasOperationContext(ctx) {
		rc := graphql.GetOperationContext(ctx)
		info.name = rc.OperationName
		if rc.Operation != nil {
			var roots []string
			rootFields(rc.Doc, rc.Operation.SelectionSet, map[string]bool{}, &roots)
			slices.Sort(roots)
			info.operation = strings.Join(roots, ",")
		}
	}
	info.hasData = len(resp.Data) > 0 && string(resp.Data) != "null"
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		info.codes = append(info.codes, cmp.Or(code, "UNKNOWN"))
	}
	return resp
}

// rootFields adds the names of the root fields of set to names, through fragments (each
// once: a document that failed validation may spread them in a cycle). It reads the document
// only: it evaluates no @skip or @include, whose variables may be the request's error
// (graphql.CollectFields panics on them).
func rootFields(doc *ast.QueryDocument, set ast.SelectionSet, spread map[string]bool, names *[]string) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if !slices.Contains(*names, sel.Name) {
				*names = append(*names, sel.Name)
			}
		case *ast.InlineFragment:
			rootFields(doc, sel.SelectionSet, spread, names)
		case *ast.FragmentSpread:
			if def := doc.Fragments.ForName(sel.Name); def != nil && !spread[sel.Name] {
				spread[sel.Name] = true
				rootFields(doc, def.SelectionSet, spread, names)
			}
		}
	}
}
