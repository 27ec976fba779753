package httpapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/telemetry"
)

// The media types a GraphQL response is served as.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// maxOperationName bounds an operationName: it is logged and quoted back in errors.
const maxOperationName = 256

// Transport serves GraphQL over HTTP GET and POST as the GraphQL-over-HTTP specification
// says, where gqlgen's stock transports differ: a request that fails before execution
// (parsing, validation, variable coercion, limits) is answered without a "data" entry, with
// 200 to application/json clients and 400 to application/graphql-response+json ones. The
// body is read up to MaxBodyBytes.
type Transport struct {
	MaxBodyBytes int64
}

var _ graphql.Transport = Transport{}

// Supports takes every GET and POST that is not a protocol upgrade.
func (t Transport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && (r.Method == http.MethodGet || r.Method == http.MethodPost)
}

// Do answers one GraphQL request.
func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media, ok := negotiate(r.Header.Get("Accept"))
	if !ok {
		Refuse(w, r, errcode.NotAcceptable, "the Accept header allows neither application/graphql-response+json nor application/json")
		return
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	start := graphql.Now()
	params, err := t.read(r)
	switch {
	case err != nil:
	case params.Query == "" && params.Extensions["persistedQuery"] == nil:
		err = errcode.Errorf(errcode.BadUserInput, `the request has no "query"`)
	case len(params.OperationName) > maxOperationName:
		err = errcode.Errorf(errcode.BadUserInput, "operationName is %d bytes long; names are at most %d", len(params.OperationName), maxOperationName)
	}
	if err != nil {
		Refuse(w, r, err.Code, err.Message)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	ctx := r.Context()
	rc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		writeResponse(w, requestErrorStatus(media, resp.Errors), requestError{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	}
	if r.Method == http.MethodGet && rc.Operation.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		Refuse(w, r, errcode.MethodNotAllowed, fmt.Sprintf("a %s must be sent with POST; GET only runs queries", rc.Operation.Operation))
		return
	}
	if r.Method == http.MethodGet {
		ctx = profile.WithoutRecording(ctx) // a GET has no side effect: no contact is recorded
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, http.StatusOK, responses(ctx))
}

// requestErrorStatus is the status of a request that failed before execution: the spec wants
// 200 for application/json, which legacy clients read only on success, and otherwise the
// status the code table gives the first error's code.
func requestErrorStatus(media string, errs gqlerror.List) int {
	if media == mediaJSON {
		return http.StatusOK
	}
	code, _ := errs[0].Extensions["code"].(string)
	return errcode.Code(code).Status()
}

// read reads the request's parameters: from the URL of a GET, from the JSON body of a POST.
func (t Transport) read(r *http.Request) (*graphql.RawParams, *errcode.Error) {
	params := &graphql.RawParams{}
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		params.Query, params.OperationName = q.Get("query"), q.Get("operationName")
		for name, into := range map[string]*map[string]any{"variables": &params.Variables, "extensions": &params.Extensions} {
			if v := q.Get(name); v != "" {
				if err := decodeJSON(strings.NewReader(v), into); err != nil {
					return nil, errcode.Errorf(errcode.BadUserInput, "%s must be a JSON object", name)
				}
			}
		}
		return params, nil
	}
	if media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || media != mediaJSON {
		return nil, errcode.Errorf(errcode.UnsupportedMediaType, "send the request as Content-Type: application/json")
	}
	body := http.MaxBytesReader(nil, r.Body, t.MaxBodyBytes)
	err := decodeJSON(body, params)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errcode.Errorf(errcode.RequestTooLarge, "the request body is larger than %d bytes", t.MaxBodyBytes)
	case err != nil:
		return nil, errcode.Errorf(errcode.BadUserInput,
			`the body must be a JSON object such as {"query": "...", "variables": {...}}: %s`, jsonProblem(err))
	}
	return params, nil
}

// decodeJSON decodes exactly one JSON value into v.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// jsonProblem says what was wrong with a body in words that do not echo it.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("%q must not be a %s", typeErr.Field, typeErr.Value)
	case errors.As(err, &typeErr):
		return "the body is a " + typeErr.Value + ", not an object"
	case errors.As(err, &syntaxErr):
		return "invalid JSON at byte " + strconv.FormatInt(syntaxErr.Offset, 10)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	}
	return "it could not be read"
}

// requestError is the response to a request that was not executed: it has no "data" entry.
type requestError struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Refuse answers a request that will not be served with one error and no data, at the status
// the code table gives code, and counts the refusal in the request's telemetry. It is the one
// writer of refusals.
func Refuse(w http.ResponseWriter, r *http.Request, code errcode.Code, message string) {
	telemetry.NoteRefusal(r.Context(), string(code))
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", mediaJSON)
	}
	writeResponse(w, code.Status(), requestError{Errors: gqlerror.List{{Message: message, Extensions: map[string]any{"code": code}}}})
}

func writeResponse(w http.ResponseWriter, status int, v any) {
	var b []byte
	if r, ok := v.(*graphql.Response); ok && len(r.Errors) == 0 && r.Label == "" && r.Path == nil && r.HasNext == nil && len(r.Extensions) == 0 {
		// Data alone is the JSON gqlgen wrote: framed as it is, not scanned and copied again
		// by encoding/json (which also escaped <, > and & for HTML; nosniff below keeps a
		// browser from reading any answer as anything but JSON).
		data := r.Data
		if len(data) == 0 {
			data = json.RawMessage("null")
		}
		b = make([]byte, 0, len(data)+len(`{"data":}`))
		b = append(append(append(b, `{"data":`...), data...), '}')
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			status, b = http.StatusInternalServerError, []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)
		}
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// negotiate picks the response media type from an Accept header by its q-values: none given
// means application/json (what legacy clients expect), and so do */* and application/*.
func negotiate(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON, true
	}
	type offer struct {
		media string
		q     float64
		at    int
	}
	var offers []offer
	for i, part := range strings.Split(accept, ",") {
		media, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		switch media {
		case mediaGraphQLResponse, mediaJSON:
		case "*/*", "application/*":
			media = mediaJSON
		default:
			continue
		}
		if q > 0 {
			offers = append(offers, offer{media, q, i})
		}
	}
	if len(offers) == 0 {
		return "", false
	}
	best := slices.MinFunc(offers, func(a, b offer) int { return cmp.Or(cmp.Compare(b.q, a.q), cmp.Compare(a.at, b.at)) })
	return best.media, true
}
