package gateway_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/profilegate/profilegate/demo"
	"github.com/profilegate/profilegate/internal/gatewaytest"
)

// hostileRequest is one request a careless or hostile client may send, and the answer it must get.
type hostileRequest struct {
	name    string
	method  string // POST when empty
	header  http.Header
	body    string
	status  int
	code    string // the first error's extensions.code; "" for none
	noData  bool   // the answer must not have a "data" entry: nothing was executed
	comment string
}

const ada = `customerHeader(identifier: {key: "user_id", value: "u-1001"}) { name }`

func hostileCorpus() []hostileRequest {
	graphqlResponse := http.Header{"Accept": {"application/graphql-response+json"}}
	return []hostileRequest{
		{name: "InvalidJSON", body: `{"query": `, status: 400, code: "BAD_USER_INPUT", noData: true},
		{name: "NotAnObject", body: `["{ __typename }"]`, status: 400, code: "BAD_USER_INPUT", noData: true},
		{name: "TrailingData", body: `{"query": "{ __typename }"} {}`, status: 400, code: "BAD_USER_INPUT", noData: true},
		{name: "EmptyBody", body: ``, status: 400, code: "BAD_USER_INPUT", noData: true},
		{name: "NoQuery", body: `{"qeury": "{ __typename }"}`, status: 400, code: "BAD_USER_INPUT", noData: true},
		{name: "QueryNotString", body: `{"query": 42}`, status: 400, code: "BAD_USER_INPUT", noData: true},
		{name: "HugeOperationName", body: `{"query": "query A { __typename }", "operationName": "` + strings.Repeat("A", 500_000) + `"}`, status: 400, code: "BAD_USER_INPUT", noData: true, comment: "not logged or echoed whole"},
		// With auth off (the demo), a page that rebinds its name to 127.0.0.1 is refused.
		{name: "RebindingHost", header: http.Header{"Host": {"attacker.example:8080"}}, body: gatewaytest.Body(`{ __typename }`, nil), status: 403, code: "HOST_NOT_ALLOWED", noData: true},
		// A variable of the wrong type, null or missing, used by @include or @skip, once panicked
		// in the request telemetry (graphql.CollectFields evaluates the directives): 500.
		{name: "IncludeWithStringVariable", body: `{"query":"query($f:Boolean!){ __typename @include(if:$f) }","variables":{"f":"true"}}`, status: 200, code: "GRAPHQL_VALIDATION_FAILED", noData: true},
		{name: "IncludeWithNullVariable", body: `{"query":"query($f:Boolean!){ __typename @include(if:$f) }","variables":{"f":null}}`, status: 200, code: "GRAPHQL_VALIDATION_FAILED", noData: true},
		{name: "SkipWithNumberVariable", header: graphqlResponse, body: `{"query":"query($f:Boolean!){ __typename @skip(if:$f) }","variables":{"f":1}}`, status: 400, code: "GRAPHQL_VALIDATION_FAILED", noData: true},
		{name: "SkipWithoutVariable", method: http.MethodGet, body: `query($f:Boolean!){ __typename @skip(if:$f) }`, status: 200, code: "GRAPHQL_VALIDATION_FAILED", noData: true},
		{name: "FragmentCycleWithBadVariable", body: `{"query":"query($f:Boolean!){ ...A } fragment A on Query { __typename @include(if:$f) ...B } fragment B on Query { ...A }","variables":{"f":"x"}}`, status: 200, code: "GRAPHQL_VALIDATION_FAILED", noData: true},
		{name: "VariablesNotObject", body: `{"query": "{ __typename }", "variables": "x"}`, status: 400, code: "BAD_USER_INPUT", noData: true},
		{name: "UnknownBodyKeysIgnored", body: `{"query": "{ __typename }", "foo": {"bar": 1}}`, status: 200},
		{name: "InvalidUTF8", body: `{"query": "query($v: String!) { customerHeader(identifier: {key: \"user_id\", value: $v}) { name } }", "variables": {"v": "u-1` + "\xff\xfe" + `"}}`, status: 200, code: "BAD_USER_INPUT"},
		{name: "BodyOverLimit", body: `{"query": "{ __typename }", "variables": {"v": "` + strings.Repeat("x", 1<<20) + `"}}`, status: 413, code: "REQUEST_TOO_LARGE", noData: true},
		{name: "HugeValue", body: gatewaytest.Body(`query($v: String!) { customerHeader(identifier: {key: "email", value: $v}) { name } }`, map[string]any{"v": strings.Repeat("a", 100_000) + "@example.com"}), status: 200, code: "BAD_USER_INPUT"},
		{name: "HugeKey", body: gatewaytest.Body(`query($k: String!) { customerHeader(identifier: {key: $k, value: "x"}) { name } }`, map[string]any{"k": strings.Repeat("k", 100_000)}), status: 200, code: "UNKNOWN_IDENTIFIER"},
		{name: "NULByte", body: gatewaytest.Body(`query($v: String!) { customerHeader(identifier: {key: "user_id", value: $v}) { name } }`, map[string]any{"v": "u-1\x00001"}), status: 200, code: "BAD_USER_INPUT"},
		{name: "SQLInEmail", body: gatewaytest.Body(`query($v: String!) { customerHeader(identifier: {key: "email", value: $v}) { name } }`, map[string]any{"v": "x' OR '1'='1"}), status: 200, code: "BAD_USER_INPUT"},
		{name: "SQLInUserID", body: gatewaytest.Body(`query($v: String!) { searchProfiles(identifier: {key: "user_id", value: $v}) { totalCount } }`, map[string]any{"v": "u-1001'; DROP TABLE contacts; --"}), status: 200,
			comment: "a value is a parameter: no match, no error, and the CRM still answers below"},
		{name: "WrongVariableType", body: gatewaytest.Body(`query($v: String!) { customerHeader(identifier: {key: "email", value: $v}) { name } }`, map[string]any{"v": map[string]any{"a": 1}}), status: 200, code: "GRAPHQL_VALIDATION_FAILED", noData: true},
		{name: "WrongVariableTypeGraphQLResponse", header: graphqlResponse, body: gatewaytest.Body(`query($v: String!) { customerHeader(identifier: {key: "email", value: $v}) { name } }`, map[string]any{"v": []int{42}}), status: 400, code: "GRAPHQL_VALIDATION_FAILED", noData: true},
		{name: "UnknownField", body: gatewaytest.Body(`{ customerHeader(identifier: {key: "email", value: "a@b.co"}) { password } }`, nil), status: 200, code: "GRAPHQL_VALIDATION_FAILED", noData: true},
		{name: "ParseError", body: gatewaytest.Body(`{ customerHeader(`, nil), status: 200, code: "GRAPHQL_PARSE_FAILED", noData: true},
		{name: "DeepNesting", body: gatewaytest.Body(strings.Repeat("{ a ", 3000)+strings.Repeat("}", 3000), nil), status: 200, code: "DEPTH_LIMIT_EXCEEDED", noData: true},
		{name: "TooManyTokens", body: gatewaytest.Body("{ settings { "+strings.Repeat("version ", 6000)+"} }", nil), status: 200, code: "TOKEN_LIMIT_EXCEEDED", noData: true},
		{name: "TooManyRootFields", body: gatewaytest.Body(gatewaytest.Aliases(21, ada), nil), status: 200, code: "ROOT_FIELD_LIMIT_EXCEEDED", noData: true},
		{name: "TooManyAliases", body: gatewaytest.Body("{ settings "+gatewaytest.Aliases(31, "version")+" }", nil), status: 200, code: "ALIAS_LIMIT_EXCEEDED", noData: true},
		{name: "TooComplex", body: gatewaytest.Body(gatewaytest.Aliases(5, `searchProfiles(identifier: {key: "email", value: "a@b.co"}, first: 100) { edges { node { id status sources identifiers { key value } } } }`), nil), status: 200, code: "COMPLEXITY_LIMIT_EXCEEDED", noData: true},
		{name: "PageTooLarge", body: gatewaytest.Body(`{ searchProfiles(identifier: {key: "email", value: "a@b.co"}, first: 1000) { totalCount } }`, nil), status: 200, code: "BAD_USER_INPUT"},
		{name: "GetMutation", method: http.MethodGet, body: `mutation { updateSettings(input: {expectedVersion: 1}) { settings { version } } }`, status: 405, code: "METHOD_NOT_ALLOWED", noData: true},
		{name: "WrongContentType", header: http.Header{"Content-Type": {"text/plain"}}, body: gatewaytest.Body(`{ __typename }`, nil), status: 415, code: "UNSUPPORTED_MEDIA_TYPE", noData: true},
		{name: "UnacceptableAccept", header: http.Header{"Accept": {"text/html"}}, body: gatewaytest.Body(`{ __typename }`, nil), status: 406, code: "NOT_ACCEPTABLE", noData: true},
		{name: "MalformedFlexVersion", header: http.Header{"X-Flex-Ui-Version": {"'; DROP TABLE settings; --"}}, body: gatewaytest.Body(`{ settings { version } }`, nil), status: 400, code: "BAD_USER_INPUT", noData: true},
		{name: "IntrospectionWithinLimits", body: gatewaytest.Body(introspectionQuery, nil), status: 200},
	}
}

// introspectionQuery is what GraphiQL and codegen tools ask; the limits must let it through.
const introspectionQuery = `query IntrospectionQuery { __schema { queryType { name } mutationType { name }
  types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue } interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`

// TestHostileRequests sends the corpus through the real handler: each gets its coded answer,
// none a 5xx, and no goroutine outlives its request.
func TestHostileRequests(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	g.Header("user_id", "u-1001") // warm up: connections and statements are made once
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	defer http.DefaultClient.CloseIdleConnections()
	for _, tc := range hostileCorpus() {
		t.Run(tc.name, func(t *testing.T) {
			// Twice: the second time the query's parse, limits and weight may come from the
			// caches, and the answer must not change.
			for range 2 {
				r := sendHostile(g, tc)
				if r.Status != tc.status || r.Status >= 500 {
					t.Fatalf("status %d, want %d: %.300s", r.Status, tc.status, r.Raw)
				}
				codes := r.Codes()
				switch {
				case tc.code == "" && len(codes) > 0:
					t.Fatalf("errors %v: %.300s", codes, r.Raw)
				case tc.code != "" && (len(codes) == 0 || codes[0] != tc.code || r.Errors[0].Message == ""):
					t.Fatalf("codes %v, want %s: %.300s", codes, tc.code, r.Raw)
				}
				if tc.noData && bytes.Contains(r.Raw, []byte(`"data"`)) {
					t.Fatalf("a request that was not executed has a data entry: %.300s", r.Raw)
				}
				if got := r.HTTP.Header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Fatalf("X-Content-Type-Options %q: a browser may read the answer as other than JSON", got)
				}
			}
		})
	}
	if h := g.Header("user_id", "u-1001"); h.Name != "Ada Lovelace" {
		t.Fatalf("after the corpus the CRM answers %+v", h)
	}
}

// TestComplexityFollowsVariables: an operation's weight is remembered only when no variable
// can change it; one whose page size is a variable is weighed again for each request.
func TestComplexityFollowsVariables(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	query := "query($n: Int) " + gatewaytest.Aliases(5, `searchProfiles(identifier: {key: "email", value: "a@b.co"}, first: $n) { edges { node { id status sources identifiers { key value } } } }`)
	for _, tc := range []struct {
		n    int
		code string
	}{{1, ""}, {100, "COMPLEXITY_LIMIT_EXCEEDED"}, {1, ""}, {100, "COMPLEXITY_LIMIT_EXCEEDED"}} {
		r := sendHostile(g, hostileRequest{body: gatewaytest.Body(query, map[string]any{"n": tc.n})})
		if codes := r.Codes(); r.Status != http.StatusOK || (tc.code == "") != (len(codes) == 0) || (tc.code != "" && codes[0] != tc.code) {
			t.Fatalf("first: %d: status %d, codes %v, want %q: %.300s", tc.n, r.Status, codes, tc.code, r.Raw)
		}
	}
}

func sendHostile(g *gatewaytest.Env, tc hostileRequest) *gatewaytest.Response {
	g.T().Helper()
	var req *http.Request
	if tc.method == http.MethodGet {
		req, _ = http.NewRequest(http.MethodGet, g.URL+"/query?query="+url.QueryEscape(tc.body), nil)
	} else {
		req, _ = http.NewRequest(http.MethodPost, g.URL+"/query", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range tc.header {
		req.Header[k] = slices.Clone(v)
	}
	if host := tc.header.Get("Host"); host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.T().Fatal(err)
	}
	return gatewaytest.MustRead(g.T(), resp)
}

// FuzzHandler sends arbitrary bodies and Accept headers to the real handler (in process, on the
// SQLite demo): every answer is JSON and none is a 5xx.
func FuzzHandler(f *testing.F) {
	for _, tc := range hostileCorpus() {
		if tc.method == "" && len(tc.body) < 4096 {
			f.Add(tc.body, tc.header.Get("Accept"))
		}
	}
	f.Add(gatewaytest.Body(gatewaytest.HeaderQuery, map[string]any{"key": "phonenumber", "value": "(415) 555-0100"}), "")
	h := gatewaytest.Start(f, demo.Config(f.TempDir())).Gateway.Handler()
	f.Fuzz(func(t *testing.T, body, accept string) {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/query", strings.NewReader(body)) // auth is off: a loopback host
		req.Header.Set("Content-Type", "application/json")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON for %q: %s", body, rec.Body)
		}
	})
}

// TestPersistedQueries: Apollo's automatic persisted queries: a hash alone is unknown at first,
// registered with its query, and then enough.
func TestPersistedQueries(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	query := "{ " + ada + " }"
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	send := func(withQuery bool) *gatewaytest.Response {
		body := map[string]any{"extensions": ext}
		if withQuery {
			body["query"] = query
		}
		b, _ := json.Marshal(body)
		return g.Send(b)
	}
	if r := send(false); !slices.Equal(r.Codes(), []string{"PERSISTED_QUERY_NOT_FOUND"}) {
		t.Fatalf("unknown hash: %s", r.Raw)
	}
	if r := send(true); len(r.Errors) > 0 {
		t.Fatalf("registering: %s", r.Raw)
	}
	if r := send(false); len(r.Errors) > 0 || !strings.Contains(string(r.Raw), "Ada Lovelace") {
		t.Fatalf("hash alone after registering: %s", r.Raw)
	}
	// Every refusal has a code: a hash that is not the query's, a malformed one, an unknown version.
	for name, pq := range map[string]map[string]any{
		"mismatch":  {"version": 1, "sha256Hash": strings.Repeat("ab", 32)},
		"malformed": {"version": 1, "sha256Hash": 42},
		"version":   {"version": 2, "sha256Hash": hex.EncodeToString(sum[:])},
	} {
		b, _ := json.Marshal(map[string]any{"query": query, "extensions": map[string]any{"persistedQuery": pq}})
		if r := g.Send(b); len(r.Errors) != 1 || r.Codes()[0] == "" || r.Data != nil {
			t.Errorf("%s: %s; want a refusal with a code", name, r.Raw)
		}
	}
}

// TestConfiguredLimits: the limits follow the configuration: a depth limit of 3 refuses a
// fourth level, also when it comes through a fragment, but not the deeper introspection query;
// a page size limit of 5 refuses first: 6.
func TestConfiguredLimits(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	cfg.Limits.MaxDepth, cfg.Limits.MaxPageSize = 3, 5
	g := gatewaytest.Start(t, cfg)
	for _, tc := range []struct {
		name, query, code string
	}{
		{"ThreeLevels", `{ customerHeader(identifier: {key: "user_id", value: "u-1001"}) { profile { id } } }`, ""},
		{"FourLevels", `{ customerHeader(identifier: {key: "user_id", value: "u-1001"}) { profile { identifiers { key } } } }`, "DEPTH_LIMIT_EXCEEDED"},
		{"FourThroughFragment", `{ customerHeader(identifier: {key: "user_id", value: "u-1001"}) { ...H } } fragment H on CustomerHeader { profile { traits { key } } }`, "DEPTH_LIMIT_EXCEEDED"},
		{"Introspection", introspectionQuery, ""},
		{"PageWithinLimit", `{ searchProfiles(identifier: {key: "email", value: "a@b.co"}, first: 5) { totalCount } }`, ""},
		{"PageOverLimit", `{ searchProfiles(identifier: {key: "email", value: "a@b.co"}, first: 6) { totalCount } }`, "BAD_USER_INPUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := g.Post(tc.query, nil)
			codes := r.Codes()
			if (tc.code == "" && len(codes) > 0) || (tc.code != "" && (len(codes) != 1 || codes[0] != tc.code)) {
				t.Fatalf("codes %v, want %q: %.300s", codes, tc.code, r.Raw)
			}
		})
	}
}

// TestIntrospectionOff: with introspection off, reading the schema is refused before anything
// runs; __typename and every other field still answer.
func TestIntrospectionOff(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	cfg.Introspection = false
	g := gatewaytest.Start(t, cfg)
	for _, q := range []string{`{ __schema { queryType { name } } }`, `{ x: customerHeader(identifier: {key: "user_id", value: "u-1001"}) { name } ... on Query { __type(name: "Query") { name } } }`} {
		if r := g.Post(q, nil); !slices.Equal(r.Codes(), []string{"INTROSPECTION_DISABLED"}) || r.Data != nil {
			t.Fatalf("%s: %s", q, r.Raw)
		}
	}
	if r := g.Post(`{ __typename `+ada+` }`, nil); len(r.Errors) > 0 {
		t.Fatalf("a query without introspection: %s", r.Raw)
	}
}

// TestTrustedDocuments: with trusted documents on, the sample operations run, sent whole or
// by their hash alone, and anything else is refused before it is parsed.
func TestTrustedDocuments(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	cfg.TrustedDocuments.Enabled = true
	g := gatewaytest.Start(t, cfg)
	doc, err := os.ReadFile("../../examples/operations/CustomerHeader.graphql")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{"identifier": map[string]any{"key": "user_id", "value": "u-1001"}}
	if r := g.Post(string(doc), vars); len(r.Errors) > 0 || !strings.Contains(string(r.Raw), "Ada Lovelace") {
		t.Fatalf("a trusted document: %s", r.Raw)
	}
	sum := sha256.Sum256(doc)
	body, _ := json.Marshal(map[string]any{"variables": vars, "extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}})
	if r := g.Send(body); len(r.Errors) > 0 || !strings.Contains(string(r.Raw), "Ada Lovelace") {
		t.Fatalf("a trusted document by its hash: %s", r.Raw)
	}
	for _, q := range []string{"{ " + ada + " }", `{ __schema { types { name } } }`} {
		if r := g.Post(q, nil); !slices.Equal(r.Codes(), []string{"OPERATION_NOT_TRUSTED"}) || r.Data != nil {
			t.Fatalf("%s: %s", q, r.Raw)
		}
	}
}
