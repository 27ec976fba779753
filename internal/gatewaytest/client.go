package gatewaytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Response is a GraphQL response as a client reads it.
type Response struct {
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
	// Status is the HTTP status; Raw the body as sent.
	Status int    `json:"-"`
	Raw    []byte `json:"-"`
	// HTTP is the response, its body read.
	HTTP *http.Response `json:"-"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Codes lists the errors' extensions.code values.
func (r *Response) Codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// Decode reads the response's data into v, failing the test on any error in the response.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %s", r.Raw)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
}

// Body is the JSON body of a GraphQL request.
func Body(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

// Aliases is an operation asking for field n times, under the aliases a0, a1, ...
func Aliases(n int, field string) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "a%d: %s ", i, field)
	}
	return b.String() + "}"
}

// Post sends a GraphQL request as JSON.
func (e *Env) Post(query string, vars map[string]any) *Response {
	e.t.Helper()
	return e.PostWith(nil, query, vars)
}

// PostWith sends a GraphQL request with extra request headers (credentials, Flex UI version).
func (e *Env) PostWith(h http.Header, query string, vars map[string]any) *Response {
	e.t.Helper()
	r, err := e.TryWith(h, []byte(Body(query, vars)))
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// Send posts a raw body.
func (e *Env) Send(body []byte) *Response {
	e.t.Helper()
	r, err := e.Try(body)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// Try posts a raw body without failing the test, so it may run off the test's goroutine.
func (e *Env) Try(body []byte) (*Response, error) { return e.TryWith(nil, body) }

// TryWith posts a raw body with extra request headers, without failing the test.
func (e *Env) TryWith(h http.Header, body []byte) (*Response, error) {
	req, err := http.NewRequest(http.MethodPost, e.URL+"/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return Do(req)
}

// Do sends any request and reads its answer as a GraphQL response.
func Do(req *http.Request) (*Response, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	return ReadResponse(resp)
}

// ReadResponse reads resp as a GraphQL response; a body that is not JSON is an error.
func ReadResponse(resp *http.Response) (*Response, error) {
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	r := &Response{Status: resp.StatusCode, Raw: raw, HTTP: resp}
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("status %d, body is not JSON: %s", resp.StatusCode, raw)
	}
	return r, nil
}

// MustRead is ReadResponse failing the test on an error.
func MustRead(t testing.TB, resp *http.Response) *Response {
	t.Helper()
	r, err := ReadResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ReadBody reads and closes resp's body.
func ReadBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Get fetches a path of the gateway and returns the status and body.
func (e *Env) Get(path string) (int, string) {
	e.t.Helper()
	resp, err := http.Get(e.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, ReadBody(e.t, resp)
}

// Header is a customerHeader answer.
type Header struct {
	Name           string
	Badge          *string
	OtherMatches   int
	AvatarURL      *string
	SecondaryTrait *struct{ Label, Value, Formatted, TimeSince *string }
	Profile        Profile
}

// Profile is a profile as HeaderQuery asks for it.
type Profile struct {
	ID           string
	Status       string
	Sources      []string
	Identifiers  []struct{ Key, Value string }
	Traits       []struct{ Key, Label, Value, Source string }
	ContactCount int
}

// HeaderQuery asks for a whole customer header by $key and $value.
const HeaderQuery = `query($key: String!, $value: String!) {
  customerHeader(identifier: {key: $key, value: $value}) {
    name badge otherMatches avatarUrl
    secondaryTrait { label value formatted timeSince }
    profile { id status sources contactCount identifiers { key value } traits { key label value source } }
  }
}`

// Header asks for the customer header of an address, failing the test on any error.
func (e *Env) Header(key, value string) Header {
	e.t.Helper()
	var out struct{ CustomerHeader Header }
	e.Post(HeaderQuery, map[string]any{"key": key, "value": value}).Decode(e.t, &out)
	return out.CustomerHeader
}
