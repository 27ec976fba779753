package gateway_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/profilegate/profilegate/auth"
	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/gateway"
	"github.com/profilegate/profilegate/internal/gatewaytest"
)

// callers of a gateway with auth on: one API key per role.
type callers struct {
	agent, admin http.Header
}

func bearer(credential string) http.Header {
	return http.Header{"Authorization": {"Bearer " + credential}}
}

// withKeys turns auth on in cfg with an agent key and an admin key.
func withKeys(cfg *config.Config) callers {
	agentKey, agentHash := auth.NewKey()
	adminKey, adminHash := auth.NewKey()
	cfg.Auth = auth.Config{APIKeys: []auth.APIKey{
		{Name: "desk", Role: auth.RoleAgent, SHA256: agentHash},
		{Name: "ops", Role: auth.RoleAdmin, SHA256: adminHash},
	}}
	return callers{agent: bearer(agentKey), admin: bearer(adminKey)}
}

const settingsQuery = `{ settings { version updatedBy headerAndSearchEditable
  identifiers { key displayName searchable normalization }
  customerHeader { nameTraits secondaryTrait secondaryLabel avatarTrait }
  profileSearch { allIdentifiers identifiers }
  components { customerDetails customerHistory customerHeaderAndSearch }
  unidentifiedProfiles { showToAgents badgeLabel } } }`

type settingsJSON struct {
	Version                 int
	UpdatedBy               string
	HeaderAndSearchEditable bool
	Identifiers             []struct {
		Key, DisplayName, Normalization string
		Searchable                      bool
	}
	CustomerHeader struct {
		NameTraits                                  []string
		SecondaryTrait, SecondaryLabel, AvatarTrait string
	}
	ProfileSearch struct {
		AllIdentifiers bool
		Identifiers    []string
	}
	Components struct {
		CustomerDetails, CustomerHistory, CustomerHeaderAndSearch bool
	}
	UnidentifiedProfiles struct {
		ShowToAgents bool
		BadgeLabel   string
	}
}

func readSettings(g *gatewaytest.Env, h http.Header) settingsJSON {
	g.T().Helper()
	var out struct{ Settings settingsJSON }
	g.PostWith(h, settingsQuery, nil).Decode(g.T(), &out)
	return out.Settings
}

const updateMutation = `mutation($input: UpdateSettingsInput!) {
  updateSettings(input: $input) { settings { version updatedBy } userErrors { field message code } }
}`

type updateJSON struct {
	UpdateSettings *struct {
		Settings struct {
			Version   int
			UpdatedBy string
		}
		UserErrors []struct {
			Field         []string
			Message, Code string
		}
	}
}

// update changes the settings from the version read now, failing on any error.
func updateSettings(g *gatewaytest.Env, h http.Header, input map[string]any) int {
	g.T().Helper()
	if _, ok := input["expectedVersion"]; !ok {
		input["expectedVersion"] = readSettings(g, h).Version
	}
	var out updateJSON
	g.PostWith(h, updateMutation, map[string]any{"input": input}).Decode(g.T(), &out)
	if len(out.UpdateSettings.UserErrors) > 0 {
		g.T().Fatalf("update refused: %+v", out.UpdateSettings.UserErrors)
	}
	return out.UpdateSettings.Settings.Version
}

func TestAccessByRole(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	who := withKeys(cfg)
	g := gatewaytest.Start(t, cfg)
	ops := []struct {
		name, query string
		admin       bool
	}{
		{"customerHeader", `{ customerHeader(identifier: {key: "email", value: "ada.lovelace@example.com"}) { name } }`, false},
		{"searchProfiles", `{ searchProfiles(identifier: {key: "email", value: "ada.lovelace@example.com"}) { totalCount } }`, false},
		{"profile", `{ profile(id: "pf_ZW1haWw6YWRhQGV4YW1wbGUuY29t") { id } }`, false},
		{"settings", `{ settings { version } }`, false},
		{"customerDetails", `{ customerDetails(profileId: "pf_ZW1haWw6YWRhQGV4YW1wbGUuY29t") { groups { name } } }`, false},
		{"customerHistory", `{ customerHistory(profileId: "pf_ZW1haWw6YWRhQGV4YW1wbGUuY29t") { edges { cursor } } }`, false},
		{"settingsHistory", `{ settingsHistory { version } }`, true},
		{"updateSettings", `mutation { updateSettings(input: {expectedVersion: 1}) { settings { version } } }`, true},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			for _, c := range []struct {
				caller string
				h      http.Header
				status int
				code   string
			}{
				{"none", nil, http.StatusUnauthorized, "UNAUTHENTICATED"},
				{"badKey", bearer(auth.KeyPrefix + "not-a-key"), http.StatusUnauthorized, "UNAUTHENTICATED"},
				{"badScheme", http.Header{"Authorization": {"Basic YWRtaW46YWRtaW4="}}, http.StatusUnauthorized, "UNAUTHENTICATED"},
				{"agent", who.agent, http.StatusOK, map[bool]string{false: "", true: "FORBIDDEN"}[op.admin]},
				{"admin", who.admin, http.StatusOK, ""},
			} {
				r := g.PostWith(c.h, op.query, nil)
				if r.Status != c.status || !slices.Equal(r.Codes(), slices.DeleteFunc([]string{c.code}, func(s string) bool { return s == "" })) {
					t.Errorf("%s: status %d, codes %v; want %d %q\n%s", c.caller, r.Status, r.Codes(), c.status, c.code, r.Raw)
				}
			}
		})
	}
	r := g.PostWith(nil, ops[0].query, nil)
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "Authorization: Bearer") {
		t.Errorf("401 does not say how to authenticate: %s", r.Raw)
	}
	if h := readSettings(g, who.admin); h.Version != 1 {
		t.Errorf("a refused update changed the settings: version %d", h.Version)
	}
}

func TestFlexUIVersionGate(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	change := func(version string, header map[string]any) *gatewaytest.Response {
		h := http.Header{"X-Flex-Ui-Version": {version}}
		input := map[string]any{"expectedVersion": readSettings(g, nil).Version, "customerHeader": header}
		return g.PostWith(h, updateMutation, map[string]any{"input": input})
	}
	firstOnly := map[string]any{"nameTraits": []string{"first_name"}, "secondaryTrait": "customer_since", "avatarTrait": "profile_image_url"}
	for _, tc := range []struct {
		version  string
		editable bool
	}{
		{"2.7.3", false}, {"2.7.99", false}, {"2.8.0-beta.2", false}, {"2.8.0", true}, {"2.10.1", true},
	} {
		t.Run(tc.version, func(t *testing.T) {
			before := readSettings(g, nil)
			if s := readSettings(g, http.Header{"X-Flex-Ui-Version": {tc.version}}); s.HeaderAndSearchEditable != tc.editable || s.Version != before.Version {
				t.Fatalf("read by %s: editable %v, version %d", tc.version, s.HeaderAndSearchEditable, s.Version)
			}
			names := []string{"first_name"}
			if slices.Equal(before.CustomerHeader.NameTraits, names) {
				names = []string{"first_name", "last_name"}
			}
			firstOnly["nameTraits"] = names
			r := change(tc.version, firstOnly)
			after := readSettings(g, nil)
			if tc.editable {
				if len(r.Errors) > 0 || after.Version != before.Version+1 || !slices.Equal(after.CustomerHeader.NameTraits, names) {
					t.Fatalf("change from %s refused: %s", tc.version, r.Raw)
				}
				return
			}
			if !slices.Equal(r.Codes(), []string{"SETTINGS_READ_ONLY"}) || !strings.Contains(r.Errors[0].Message, "2.8.0") {
				t.Fatalf("change from %s: %s; want SETTINGS_READ_ONLY naming 2.8.0", tc.version, r.Raw)
			}
			if after.Version != before.Version {
				t.Fatal("a read-only change was saved")
			}
		})
	}
	t.Run("DetailsAndHistory", func(t *testing.T) {
		for _, section := range []map[string]any{
			{"details": map[string]any{"groups": []map[string]any{{"name": "Who", "traits": []map[string]any{{"key": "first_name"}}}}}},
			{"history": map[string]any{"pageSize": 5, "events": []map[string]any{}}},
		} {
			for _, version := range []string{"2.7.3", "2.8.0"} {
				before := readSettings(g, nil)
				input := map[string]any{"expectedVersion": before.Version}
				maps.Copy(input, section)
				r := g.PostWith(http.Header{"X-Flex-Ui-Version": {version}}, updateMutation, map[string]any{"input": input})
				after := readSettings(g, nil)
				if version == "2.7.3" && (!slices.Equal(r.Codes(), []string{"SETTINGS_READ_ONLY"}) || after.Version != before.Version) {
					t.Fatalf("%v from %s: %s; want SETTINGS_READ_ONLY and nothing saved", section, version, r.Raw)
				}
				if version == "2.8.0" && (len(r.Errors) > 0 || after.Version != before.Version+1) {
					t.Fatalf("%v from %s refused: %s", section, version, r.Raw)
				}
			}
		}
	})
	t.Run("OldClientChangesOtherSettings", func(t *testing.T) {
		h := http.Header{"X-Flex-Ui-Version": {"2.7.3"}}
		updateSettings(g, h, map[string]any{"unidentifiedProfiles": map[string]any{"showToAgents": true, "badgeLabel": "First call"}})
	})
	t.Run("Malformed", func(t *testing.T) {
		r := g.PostWith(http.Header{"X-Flex-Ui-Version": {"two point eight"}}, `{ settings { version } }`, nil)
		if r.Status != http.StatusBadRequest || !slices.Equal(r.Codes(), []string{"BAD_USER_INPUT"}) || !strings.Contains(r.Errors[0].Message, "X-Flex-UI-Version") {
			t.Fatalf("malformed version: %d %s", r.Status, r.Raw)
		}
	})
}

func TestSettingsValidationOverHTTP(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	var out updateJSON
	g.Post(updateMutation, map[string]any{"input": map[string]any{
		"expectedVersion": 1,
		"traits":          []map[string]any{{"key": "first_name"}, {"key": "email", "displayName": "E-mail"}},
		"customerHeader":  map[string]any{"nameTraits": []string{"first_name", "nickname"}, "avatarTrait": "profile_image_url"},
		"profileSearch":   map[string]any{"allIdentifiers": false, "identifiers": []string{"fax"}},
		"details": map[string]any{"groups": []map[string]any{
			{"name": "Contact", "traits": []map[string]any{{"key": "first_name"}, {"key": "nickname"}}},
			{"name": "Contact", "traits": []map[string]any{{"key": "first_name", "type": "CURRENCY", "currency": "dollars"}}},
		}},
		"history": map[string]any{"pageSize": 500, "events": []map[string]any{
			{"name": "Order Completed"}, {"name": "Order Completed", "properties": []map[string]any{{"key": ""}}},
		}},
	}}).Decode(t, &out)
	var got []string
	for _, e := range out.UpdateSettings.UserErrors {
		got = append(got, strings.Join(e.Field, ".")+" "+e.Code)
	}
	want := []string{
		"traits.1.displayName FIXED",
		"customerHeader.nameTraits.1 NOT_CONFIGURED",
		"customerHeader.avatarTrait NOT_CONFIGURED",
		"profileSearch.identifiers.0 NOT_CONFIGURED",
		"details.groups.0.traits.1.key NOT_CONFIGURED",
		"details.groups.1.name DUPLICATE",
		"details.groups.1.traits.0.key DUPLICATE",
		"details.groups.1.traits.0.currency INVALID",
		"history.pageSize INVALID",
		"history.events.1.name DUPLICATE",
		"history.events.1.properties.0.key INVALID",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("user errors %v, want %v", got, want)
	}
	if out.UpdateSettings.Settings.Version != 1 || readSettings(g, nil).CustomerHeader.AvatarTrait != "profile_image_url" {
		t.Fatal("an invalid change was applied")
	}
}

func TestConcurrentSettingsWriters(t *testing.T) {
	for _, backend := range gatewaytest.Backends {
		t.Run(backend, func(t *testing.T) {
			g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, backend))
			const writers = 8
			var wg sync.WaitGroup
			codes := make([]string, writers)
			for i := range writers {
				wg.Go(func() {
					body := fmt.Sprintf(`{"query":"mutation { updateSettings(input: {expectedVersion: 1, unidentifiedProfiles: {showToAgents: true, badgeLabel: \"Writer %d\"}}) { settings { version } } }"}`, i)
					r, err := g.Try([]byte(body))
					if err != nil {
						codes[i] = err.Error()
						return
					}
					codes[i] = strings.Join(r.Codes(), ",")
				})
			}
			wg.Wait()
			slices.Sort(codes)
			want := append([]string{""}, slices.Repeat([]string{"CONFLICT"}, writers-1)...)
			slices.Sort(want)
			if !slices.Equal(codes, want) {
				t.Fatalf("outcomes %q; want one saved and %d CONFLICT", codes, writers-1)
			}
			if s := readSettings(g, nil); s.Version != 2 || !strings.HasPrefix(s.UnidentifiedProfiles.BadgeLabel, "Writer ") {
				t.Fatalf("settings after the race: %+v", s)
			}
		})
	}
}

func TestSettingsSurviveRestart(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	g := gatewaytest.Start(t, cfg)
	updateSettings(g, nil, map[string]any{"unidentifiedProfiles": map[string]any{"showToAgents": true, "badgeLabel": "First call"}})
	g.Stop()

	again := gatewaytest.Start(t, cfg)
	if s := readSettings(again, nil); s.Version != 2 || s.UnidentifiedProfiles.BadgeLabel != "First call" || s.UpdatedBy != "anonymous" {
		t.Fatalf("after restart: %+v", s)
	}
	if h := again.Header("phonenumber", "+1 212 555 0147"); h.Badge == nil || *h.Badge != "First call" {
		t.Fatalf("header badge %v; want the stored label", h.Badge)
	}
	var out struct{ SettingsHistory []struct{ Version int } }
	again.Post(`{ settingsHistory { version } }`, nil).Decode(t, &out)
	if len(out.SettingsHistory) != 2 {
		t.Fatalf("history after restart %+v", out)
	}
}

// TestReplicasShareSettings runs two gateways on one PostgreSQL: a change made through one is
// answered by the other within its refresh interval, without a restart.
func TestReplicasShareSettings(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "postgres")
	cfg.SettingsRefresh = 100 * time.Millisecond
	a := gatewaytest.Start(t, cfg)
	b := gatewaytest.Start(t, cfg, gatewaytest.NoSeed())
	if readSettings(b, nil).Version != 1 {
		t.Fatal("replicas disagree at start")
	}
	updateSettings(a, nil, map[string]any{"components": map[string]any{"customerDetails": false, "customerHistory": false}})
	deadline := time.Now().Add(5 * time.Second)
	for readSettings(b, nil).Version != 2 {
		if time.Now().After(deadline) {
			t.Fatal("replica b did not see the change within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := b.Post(`{ customerHeader(identifier: {key: "email", value: "ada.lovelace@example.com"}) { name } }`, nil)
	if !slices.Equal(r.Codes(), []string{"COMPONENT_DISABLED"}) {
		t.Fatalf("replica b still answers the header: %s", r.Raw)
	}
}

func TestComponentDisabled(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	updateSettings(g, nil, map[string]any{"components": map[string]any{"customerDetails": false, "customerHistory": false}})
	if s := readSettings(g, nil); s.Components.CustomerHeaderAndSearch {
		t.Fatal("header and search still on with both components off")
	}
	for _, q := range []string{
		`{ customerHeader(identifier: {key: "email", value: "ada.lovelace@example.com"}) { name } }`,
		`{ searchProfiles(identifier: {key: "email", value: "ada.lovelace@example.com"}) { totalCount } }`,
	} {
		r := g.Post(q, nil)
		if !slices.Equal(r.Codes(), []string{"COMPONENT_DISABLED"}) || !strings.Contains(r.Errors[0].Message, "customer history") {
			t.Errorf("%s: %s; want COMPONENT_DISABLED saying how to turn it on", q, r.Raw)
		}
	}
	if n := g.UnidentifiedCount(); n != 0 {
		t.Fatal("a disabled header recorded a contact")
	}
	updateSettings(g, nil, map[string]any{"components": map[string]any{"customerDetails": false, "customerHistory": true}})
	if h := g.Header("email", "ada.lovelace@example.com"); h.Name != "Ada Lovelace" {
		t.Fatalf("header with customer history on: %+v", h)
	}
	// Each panel tab answers only while its own component is on.
	details := `{ customerDetails(profileId: "pf_dXNlcl9pZDp1LTEwMDE") { groups { name } } }`
	history := `{ customerHistory(profileId: "pf_dXNlcl9pZDp1LTEwMDE") { edges { cursor } } }`
	for _, c := range []struct {
		details, history bool
	}{{false, true}, {true, false}} {
		updateSettings(g, nil, map[string]any{"components": map[string]any{"customerDetails": c.details, "customerHistory": c.history}})
		for q, on := range map[string]bool{details: c.details, history: c.history} {
			r := g.Post(q, nil)
			if on && len(r.Errors) > 0 || !on && !slices.Equal(r.Codes(), []string{"COMPONENT_DISABLED"}) {
				t.Errorf("details %v history %v: %s: %s", c.details, c.history, q, r.Raw)
			}
		}
	}
}

func TestSearchByHiddenIdentifier(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	who := withKeys(cfg)
	g := gatewaytest.Start(t, cfg)
	ids := []map[string]any{
		{"key": "user_id", "searchable": true}, {"key": "email", "searchable": false, "displayName": "Email"},
		{"key": "phonenumber", "searchable": true}, {"key": "anonymous_id", "searchable": true},
	}
	updateSettings(g, who.admin, map[string]any{"identifiers": ids})
	search := `query($key: String!) { searchProfiles(identifier: {key: $key, value: "ada.lovelace@example.com"}) { totalCount } }`
	r := g.PostWith(who.agent, search, map[string]any{"key": "email"})
	if !slices.Equal(r.Codes(), []string{"FORBIDDEN"}) || !strings.Contains(r.Errors[0].Message, "phonenumber") {
		t.Fatalf("agent searching by a hidden identifier: %s; want FORBIDDEN listing the allowed keys", r.Raw)
	}
	if r := g.PostWith(who.admin, search, map[string]any{"key": "email"}); len(r.Errors) > 0 {
		t.Fatalf("admin searching by a hidden identifier: %s", r.Raw)
	}
	if r := g.PostWith(who.agent, search, map[string]any{"key": "fax"}); !slices.Equal(r.Codes(), []string{"UNKNOWN_IDENTIFIER"}) {
		t.Fatalf("unknown key: %s", r.Raw)
	}
	var out struct{ CustomerHeader struct{ Name string } }
	g.PostWith(who.agent, `{ customerHeader(identifier: {key: "email", value: "ada.lovelace@example.com"}) { name } }`, nil).Decode(t, &out)
	if out.CustomerHeader.Name != "Ada Lovelace" {
		t.Fatal("hiding an identifier from search broke the header's lookup by it")
	}
	s := readSettings(g, who.agent)
	if !slices.Equal(s.ProfileSearch.Identifiers, []string{"user_id", "phonenumber", "anonymous_id"}) || s.Identifiers[1].DisplayName != "Email" {
		t.Fatalf("settings after hiding email: %+v", s)
	}

	updateSettings(g, who.admin, map[string]any{"profileSearch": map[string]any{"allIdentifiers": false, "identifiers": []string{"phonenumber"}}})
	if r := g.PostWith(who.agent, search, map[string]any{"key": "user_id"}); !slices.Equal(r.Codes(), []string{"FORBIDDEN"}) {
		t.Fatalf("agent searching by an identifier left out of search: %s", r.Raw)
	}
	// A profile id is an identifier in base64: reading one is searching by its key.
	byID := `query($id: ID!) { profile(id: $id) { status } }`
	id := func(key, value string) string {
		return "pf_" + base64.RawURLEncoding.EncodeToString([]byte(key+":"+value))
	}
	if r := g.PostWith(who.agent, byID, map[string]any{"id": id("user_id", "u-1001")}); !slices.Equal(r.Codes(), []string{"FORBIDDEN"}) {
		t.Fatalf("agent reading a profile by a user_id id: %s", r.Raw)
	}
	if r := g.PostWith(who.agent, byID, map[string]any{"id": id("phonenumber", "+14155550199")}); len(r.Errors) > 0 || !strings.Contains(string(r.Raw), "IDENTIFIED") {
		t.Fatalf("agent reading a profile by a phone id: %s", r.Raw)
	}
	if r := g.PostWith(who.admin, byID, map[string]any{"id": id("user_id", "u-1001")}); len(r.Errors) > 0 || !strings.Contains(string(r.Raw), "IDENTIFIED") {
		t.Fatalf("admin reading a profile by a user_id id: %s", r.Raw)
	}
}

func TestUnidentifiedHiddenFromSearch(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	g.Header("phonenumber", "+1 212 555 0147") // records the new contact
	count := func() int {
		var out struct{ SearchProfiles struct{ TotalCount int } }
		g.Post(`{ searchProfiles(identifier: {key: "phonenumber", value: "+1 212 555 0147"}) { totalCount } }`, nil).Decode(t, &out)
		return out.SearchProfiles.TotalCount
	}
	if count() != 1 {
		t.Fatal("the recorded contact is not found while shown to agents")
	}
	updateSettings(g, nil, map[string]any{"unidentifiedProfiles": map[string]any{"showToAgents": false, "badgeLabel": "New Contact"}})
	if count() != 0 {
		t.Fatal("search lists an unidentified profile while they are hidden")
	}
	if h := g.Header("phonenumber", "+1 212 555 0147"); h.Badge == nil || *h.Badge != "New Contact" {
		t.Fatal("the header lost the new contact badge")
	}
}

func TestAuthOffOnlyOnLoopback(t *testing.T) {
	getenv := func(string) string { return "" }
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "10.1.2.3:8080", "[::]:8080"} {
		if _, _, err := gateway.LoadConfig("", addr, t.TempDir(), getenv); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("demo on %s with auth off: %v; want a refusal naming loopback", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080"} {
		if _, _, err := gateway.LoadConfig("", addr, t.TempDir(), getenv); err != nil {
			t.Errorf("demo on %s: %v", addr, err)
		}
	}
}

func TestJWTCallers(t *testing.T) {
	const secret = "a-shared-secret-of-at-least-32-bytes!"
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	cfg.Auth = auth.Config{JWT: &auth.JWT{HS256Secret: secret, Issuer: "https://idp.test/", Audience: "profilegate"}}
	g := gatewaytest.Start(t, cfg)
	token := func(sub string, role any) http.Header {
		claims := jwt.MapClaims{"iss": "https://idp.test/", "aud": "profilegate", "sub": sub, "exp": time.Now().Add(time.Hour).Unix()}
		if role != nil {
			claims["role"] = role
		}
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return bearer(s)
	}
	updateSettings(g, token("alice", "admin"), map[string]any{"unidentifiedProfiles": map[string]any{"showToAgents": true, "badgeLabel": "Hello"}})
	if s := readSettings(g, token("bob", []string{"agent"})); s.UpdatedBy != "jwt:alice" {
		t.Fatalf("updatedBy %q, want jwt:alice", s.UpdatedBy)
	}
	if r := g.PostWith(token("carol", nil), `{ settings { version } }`, nil); !slices.Equal(r.Codes(), []string{"FORBIDDEN"}) {
		t.Fatalf("token without a role: %s", r.Raw)
	}
	expired := jwt.MapClaims{"iss": "https://idp.test/", "aud": "profilegate", "sub": "dave", "role": "admin", "exp": time.Now().Add(-time.Hour).Unix()}
	s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, expired).SignedString([]byte(secret))
	if r := g.PostWith(bearer(s), `{ settings { version } }`, nil); r.Status != http.StatusUnauthorized || !strings.Contains(r.Errors[0].Message, "expired") {
		t.Fatalf("expired token: %d %s", r.Status, r.Raw)
	}
}

// TestCORS: a Flex UI plugin in the browser, on an allowed origin, gets its preflight answered
// without credentials and may send the Authorization and X-Flex-UI-Version headers; other
// origins get no CORS headers.
func TestCORS(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	who := withKeys(cfg)
	cfg.CORSOrigins = []string{"https://flex.twilio.com"}
	g := gatewaytest.Start(t, cfg)
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, g.URL+"/query", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, x-flex-ui-version")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight("https://flex.twilio.com")
	if resp.StatusCode >= 300 || resp.Header.Get("Access-Control-Allow-Origin") != "https://flex.twilio.com" ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-flex-ui-version") {
		t.Fatalf("preflight from Flex: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight("https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin allowed: %v", resp.Header)
	}
	h := who.agent.Clone()
	h.Set("Origin", "https://flex.twilio.com")
	body, _ := json.Marshal(map[string]any{"query": `{ settings { version } }`})
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/query", bytes.NewReader(body))
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r := gatewaytest.MustRead(t, res)
	if res.Header.Get("Access-Control-Allow-Origin") != "https://flex.twilio.com" || len(r.Errors) > 0 {
		t.Fatalf("request from Flex: %v %s", res.Header, r.Raw)
	}
}
