package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/profilegate/profilegate/demo"
	"github.com/profilegate/profilegate/internal/gatewaytest"
)

// connector calls the Profile Connector as Flex UI's bundle does: a form body for Find, query
// strings for the rest, HTTP Basic with the user "token" and the credential as password.
type connector struct {
	t    *testing.T
	base string
	cred string
}

type connectorProfile struct {
	Sid, GivenName, FamilyName, PhoneNumber, Status string
}

type findJSON struct {
	Profiles []struct {
		Profile struct {
			Sid         string
			GivenName   string `json:"given_name"`
			PhoneNumber string `json:"phone_number"`
			Status      string
		}
		MatchPercentage *int `json:"match_percentage"`
		Status          string
	}
}

func (c connector) do(method, path string, form url.Values) (int, []byte) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.cred != "" {
		req.SetBasicAuth("token", c.cred)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// find posts Profiles/Find with each attribute as its own Attributes field, as the bundle does.
func (c connector) find(write string, attrs ...string) (int, findJSON, []byte) {
	c.t.Helper()
	form := url.Values{"UniqueName": {"profilegate"}, "Attributes": attrs}
	if write != "" {
		form.Set("WriteIfNotFound", write)
	}
	status, b := c.do(http.MethodPost, "/Profiles/Find", form)
	var out findJSON
	if status == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			c.t.Fatalf("Find answered %s: %v", b, err)
		}
	}
	return status, out, b
}

// TestProfileConnector: Flex UI's automated search finds Ada by the task's from, ranks the two
// people of a family phone, records an unknown caller when asked to and gives the same
// profile next time, and answers Identifiers, Traits and a profile by sid, on both backends.
func TestProfileConnector(t *testing.T) {
	gatewaytest.Run(t, nil, func(t *testing.T, g *gatewaytest.Env) {
		c := connector{t: t, base: g.URL + "/flex/profile-connector"}
		status, ada, raw := c.find("", `{"key":"from","value":"+14155550100"}`)
		if status != http.StatusOK || len(ada.Profiles) != 1 || ada.Profiles[0].Profile.GivenName != "Ada" ||
			ada.Profiles[0].Status != "identified" || *ada.Profiles[0].MatchPercentage != 80 {
			t.Fatalf("Ada by from: %d %s", status, raw)
		}
		// The header's profile is the connector's: one identity for both.
		if h := g.Header("phonenumber", "+14155550100"); h.Profile.ID != ada.Profiles[0].Profile.Sid {
			t.Errorf("connector sid %s, header profile %s", ada.Profiles[0].Profile.Sid, h.Profile.ID)
		}
		_, byEmail, raw := c.find("", `[{"key":"email","value":"Ada.Lovelace@example.com"},{"key":"name","value":"Ada"}]`)
		if len(byEmail.Profiles) != 1 || byEmail.Profiles[0].Profile.Sid != ada.Profiles[0].Profile.Sid || *byEmail.Profiles[0].MatchPercentage != 90 {
			t.Errorf("Ada by email, as a JSON list with an attribute no identifier holds: %s", raw)
		}

		_, family, raw := c.find("", `{"key":"from","value":"whatsapp:+14155550199"}`)
		if len(family.Profiles) != 2 || *family.Profiles[0].MatchPercentage != 40 || *family.Profiles[1].MatchPercentage != 40 ||
			family.Profiles[0].Profile.Sid == family.Profiles[1].Profile.Sid {
			t.Errorf("family phone: want two profiles at 40%%: %s", raw)
		}

		before := g.UnidentifiedCount()
		_, none, raw := c.find("false", `{"key":"from","value":"+16465550177"}`)
		if len(none.Profiles) != 0 || g.UnidentifiedCount() != before {
			t.Errorf("unknown caller without WriteIfNotFound: %s, %d recorded", raw, g.UnidentifiedCount()-before)
		}
		_, unknown, raw := c.find("true", `{"key":"from","value":"(646) 555-0177"}`)
		if len(unknown.Profiles) != 1 || unknown.Profiles[0].Status != "unknown" || g.UnidentifiedCount() != before+1 {
			t.Fatalf("unknown caller with WriteIfNotFound: %s", raw)
		}
		_, again, raw := c.find("", `{"key":"from","value":"+16465550177"}`)
		if len(again.Profiles) != 1 || again.Profiles[0].Profile.Sid != unknown.Profiles[0].Profile.Sid || g.UnidentifiedCount() != before+1 {
			t.Errorf("the unknown caller again: %s", raw)
		}
		if h := g.Header("phonenumber", "+16465550177"); h.Profile.ID != unknown.Profiles[0].Profile.Sid {
			t.Errorf("header of the recorded caller: %+v", h)
		}

		status, b := c.do(http.MethodGet, "/Profiles/"+ada.Profiles[0].Profile.Sid+"?UniqueName=profilegate", nil)
		var p connectorProfile
		if status != http.StatusOK || json.Unmarshal(b, &p) != nil || p.Sid != ada.Profiles[0].Profile.Sid || p.Status != "identified" {
			t.Errorf("profile by sid: %d %s", status, b)
		}
		status, b = c.do(http.MethodGet, "/Identifiers?UniqueName=profilegate", nil)
		if status != http.StatusOK || !strings.Contains(string(b), `{"key":"user_id","priority":1,"friendly_name":"user_id"}`) {
			t.Errorf("identifiers: %d %s", status, b)
		}
		status, b = c.do(http.MethodGet, "/Traits?UniqueName=profilegate", nil)
		if status != http.StatusOK || !strings.Contains(string(b), `{"from":"first_name","to":"given_name","categories":["Contact"],"friendly_name":"First name"}`) {
			t.Errorf("traits: %d %s", status, b)
		}
	})
}

// TestProfileConnectorRefusals: what a client can get wrong is answered 4xx with a code and a
// message saying what, never 5xx; credentials go in Basic auth as Flex sends them.
func TestProfileConnectorRefusals(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	who := withKeys(cfg)
	g := gatewaytest.Start(t, cfg)
	agentKey := strings.TrimPrefix(who.agent.Get("Authorization"), "Bearer ")
	c := connector{t: t, base: g.URL + "/flex/profile-connector", cred: agentKey}
	from := `{"key":"from","value":"+14155550100"}`
	for name, tc := range map[string]struct {
		c      connector
		method string
		path   string
		form   url.Values
		status int
		code   string
	}{
		"no credentials":      {connector{t: t, base: c.base}, "POST", "/Profiles/Find", url.Values{"UniqueName": {"x"}, "Attributes": {from}}, 401, "UNAUTHENTICATED"},
		"wrong credential":    {connector{t: t, base: c.base, cred: "pg_nope"}, "POST", "/Profiles/Find", url.Values{"UniqueName": {"x"}, "Attributes": {from}}, 401, "UNAUTHENTICATED"},
		"no UniqueName":       {c, "POST", "/Profiles/Find", url.Values{"Attributes": {from}}, 400, "BAD_USER_INPUT"},
		"no Attributes":       {c, "POST", "/Profiles/Find", url.Values{"UniqueName": {"x"}}, 400, "BAD_USER_INPUT"},
		"Attributes not JSON": {c, "POST", "/Profiles/Find", url.Values{"UniqueName": {"x"}, "Attributes": {"from=+1415"}}, 400, "BAD_USER_INPUT"},
		"no identifier":       {c, "POST", "/Profiles/Find", url.Values{"UniqueName": {"x"}, "Attributes": {`{"key":"from","value":"client:agent7"}`}}, 400, "BAD_USER_INPUT"},
		"not a phone":         {c, "POST", "/Profiles/Find", url.Values{"UniqueName": {"x"}, "Attributes": {`{"key":"from","value":"call me maybe"}`}}, 400, "BAD_USER_INPUT"},
		"WriteIfNotFound=yes": {c, "POST", "/Profiles/Find", url.Values{"UniqueName": {"x"}, "Attributes": {from}, "WriteIfNotFound": {"yes"}}, 400, "BAD_USER_INPUT"},
		"unknown sid":         {c, "GET", "/Profiles/pf_ZW1haWw6bm9ib2R5QGV4YW1wbGUuY29t?UniqueName=x", nil, 404, "NOT_FOUND"},
		"malformed sid":       {c, "GET", "/Profiles/42?UniqueName=x", nil, 400, "BAD_USER_INPUT"},
		"no such endpoint":    {c, "GET", "/Profiles", nil, 404, "NOT_FOUND"},
		"Find by GET":         {c, "GET", "/Profiles/Find?UniqueName=x", nil, 405, "METHOD_NOT_ALLOWED"},
	} {
		status, b := tc.c.do(tc.method, tc.path, tc.form)
		var e struct{ Code string }
		json.Unmarshal(b, &e)
		if status != tc.status || (e.Code != tc.code && !strings.Contains(string(b), tc.code)) {
			t.Errorf("%s: %d %s; want %d %s", name, status, b, tc.status, tc.code)
		}
	}
	if status, _ := c.do("GET", "/Identifiers?UniqueName=x", nil); status != http.StatusOK {
		t.Errorf("an agent's key in Basic auth: %d", status)
	}
}

// TestProfileConnectorSourceDown: with the CRM down, Find answers 502 naming it, never an
// unknown profile, and records nothing.
func TestProfileConnectorSourceDown(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "postgres"), gatewaytest.WithFaults())
	c := connector{t: t, base: g.URL + "/flex/profile-connector"}
	// With the warehouse down, Ada is still found through the CRM, and the answer says what
	// it may lack.
	g.Fault("warehouse").Fail()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/Profiles/Find", strings.NewReader(url.Values{"UniqueName": {"x"},
		"Attributes": {`{"key":"email","value":"ada.lovelace@example.com"}`}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Source-Unavailable") != "warehouse" {
		t.Errorf("Ada with the warehouse down: %d, X-Source-Unavailable %q", resp.StatusCode, resp.Header.Get("X-Source-Unavailable"))
	}
	g.Fault("warehouse").Heal()
	g.Fault("crm").Fail()
	before := g.UnidentifiedCount()
	status, _, raw := c.find("true", `{"key":"from","value":"+14155550199"}`)
	if status != http.StatusBadGateway || !strings.Contains(string(raw), `"source":"crm"`) || g.UnidentifiedCount() != before {
		t.Fatalf("Grace's number with the CRM down: %d %s", status, raw)
	}
}

// flexPost sends a GraphQL request to /flex/graphql with Flex's Basic token credentials.
func flexPost(t *testing.T, g *gatewaytest.Env, cred, query string, vars map[string]any) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/flex/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if cred != "" {
		req.SetBasicAuth("token", cred)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestFlexGraphQL: Flex's own operations, written as Flex UI writes them (union fragments on
// the configuration data, the timeline's Activity and ActivityView), answer from the settings
// and the history on both backends: a header's trait reference resolves to its mapping, the
// timeline pages with Flex's page tokens, and an activity's sid gives its details.
func TestFlexGraphQL(t *testing.T) {
	gatewaytest.Run(t, nil, func(t *testing.T, g *gatewaytest.Env) {
		_, header := flexPost(t, g, "", `query($input: ProfilesAndHistoryConfigurationsInput!) {
			profileAndHistoryConfigurations(input: $input) { configurations { data {
				... on ProfilesAndHistoryConfigurationCustomerHeader {
					profileName { customerNameTraits { referenceSid type order } }
					secondaryTrait { referenceSid friendlyNameOverride } } } } } }`,
			map[string]any{"input": map[string]any{"context": "PROFILE_HEADER_CONFIGURATIONS"}})
		var h struct {
			Data struct {
				ProfileAndHistoryConfigurations struct {
					Configurations []struct {
						Data struct {
							ProfileName struct {
								CustomerNameTraits []struct{ ReferenceSid, Type string }
							}
							SecondaryTrait struct{ ReferenceSid, FriendlyNameOverride string }
						}
					}
				}
			}
		}
		remarshal(t, header, &h)
		cs := h.Data.ProfileAndHistoryConfigurations.Configurations
		if len(cs) != 1 || len(cs[0].Data.ProfileName.CustomerNameTraits) != 2 || cs[0].Data.SecondaryTrait.FriendlyNameOverride != "Customer since" {
			t.Fatalf("header configuration: %v", header)
		}
		_, mapping := flexPost(t, g, "", `query($input: ProfilesAndHistoryConfigurationInput!) {
			profileAndHistoryConfiguration(input: $input) { sid data { ... on ProfilesAndHistoryConfigurationTraitMapping { from to defaultFriendlyName traitFieldType } } } }`,
			map[string]any{"input": map[string]any{"configurationSid": cs[0].Data.SecondaryTrait.ReferenceSid}})
		if got := fmt.Sprint(mapping["data"]); !strings.Contains(got, "from:customer_since") || !strings.Contains(got, "traitFieldType:DATE") {
			t.Errorf("the secondary trait's mapping: %v", mapping)
		}

		_, ada, _ := connector{t: t, base: g.URL + "/flex/profile-connector"}.find("", `{"key":"from","value":"+14155550100"}`)
		timeline := `query($input: ActivitiesInput!) { activities(input: $input) {
			activities {
				... on Activity { __typename sid timestamp label attributes { ... on InteractionAttributes { channelType direction duration } ... on CustomAttributes { data } } }
				... on ActivityView { __typename timestamp label attributes { ... on ProfileEventUIAttributes { eventName } } details { ... on ProfileEventDetail { data } } }
			}
			warnings { code message } meta { nextPageToken pageSize } } }`
		type page struct {
			Data struct {
				Activities struct {
					Activities []struct {
						Typename   string `json:"__typename"`
						Sid, Label string
						Attributes map[string]any
					}
					Warnings []struct{ Message string }
					Meta     struct {
						NextPageToken *string
						PageSize      int
					}
				}
			}
		}
		var first, second page
		_, raw := flexPost(t, g, "", timeline, map[string]any{"input": map[string]any{"profileConnectSid": ada.Profiles[0].Profile.Sid, "pagination": map[string]any{"pageSize": 4}}})
		remarshal(t, raw, &first)
		acts := first.Data.Activities.Activities
		if len(acts) != 4 || acts[0].Typename != "Activity" || acts[0].Attributes["channelType"] != "VOICE" || first.Data.Activities.Meta.NextPageToken == nil {
			t.Fatalf("first page: %v", raw)
		}
		_, raw = flexPost(t, g, "", timeline, map[string]any{"input": map[string]any{"profileConnectSid": ada.Profiles[0].Profile.Sid,
			"pagination": map[string]any{"pageSize": 4, "pageToken": *first.Data.Activities.Meta.NextPageToken}}})
		remarshal(t, raw, &second)
		if len(second.Data.Activities.Activities) != 4 || second.Data.Activities.Activities[0].Label == acts[0].Label {
			t.Errorf("second page: %v", raw)
		}
		_, raw = flexPost(t, g, "", `query($input: ActivityDetailsInput!) { activityDetails(input: $input) {
			sid label attributes { ... on InteractionAttributes { channelType } } details { __typename ... on CustomDetail { data } } } }`,
			map[string]any{"input": map[string]any{"profileConnectSid": ada.Profiles[0].Profile.Sid, "activitySid": acts[0].Sid}})
		if got := fmt.Sprint(raw["data"]); !strings.Contains(got, "sid:"+acts[0].Sid) || !strings.Contains(got, "ChannelDetail") || !strings.Contains(got, "label:"+acts[0].Label) {
			t.Errorf("activity details: %v", raw)
		}
	})
}

// TestFlexGraphQLRefusals: Flex's endpoint needs an agent's credentials, refuses a forged
// activity sid with BAD_USER_INPUT, and reports a failed source as a warning beside the rest of
// the timeline.
func TestFlexGraphQLRefusals(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "postgres")
	who := withKeys(cfg)
	g := gatewaytest.Start(t, cfg, gatewaytest.WithFaults())
	agent := strings.TrimPrefix(who.agent.Get("Authorization"), "Bearer ")
	if status, _ := flexPost(t, g, "", `{ __typename }`, nil); status != http.StatusUnauthorized {
		t.Errorf("no credentials: %d", status)
	}
	_, raw := flexPost(t, g, agent, `{ activityDetails(input: {activitySid: "AC!!", profileConnectSid: "pf_dXNlcl9pZDp1LTEwMDE"}) { sid } }`, nil)
	if got := fmt.Sprint(raw["errors"]); !strings.Contains(got, "BAD_USER_INPUT") {
		t.Errorf("forged activity sid: %v", raw)
	}
	g.Fault("crm").Fail()
	_, raw = flexPost(t, g, agent, `{ activities(input: {profileConnectSid: "pf_dXNlcl9pZDp1LTEwMDE"}) {
		activities { ... on ActivityView { label } ... on Activity { label } } warnings { code message } } }`, nil)
	got := fmt.Sprint(raw["data"])
	if raw["errors"] != nil || !strings.Contains(got, "crm: ") || !strings.Contains(got, "code:502") || !strings.Contains(got, "label:") {
		t.Errorf("the timeline with the CRM down: %v", raw)
	}
}

func remarshal(t *testing.T, from, to any) {
	t.Helper()
	b, _ := json.Marshal(from)
	if err := json.Unmarshal(b, to); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

// TestProfileConnectorAnonymousWhileSourceDown: the warehouse's anonymous visitor is not
// answered as the contact while the CRM, which may know the address, is down.
func TestProfileConnectorAnonymousWhileSourceDown(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "postgres"), gatewaytest.WithFaults())
	c := connector{t: t, base: g.URL + "/flex/profile-connector"}
	if status, found, raw := c.find("", `{"key":"email","value":"visitor@example.com"}`); status != http.StatusOK || len(found.Profiles) != 1 || found.Profiles[0].Status != "unknown" {
		t.Fatalf("the anonymous visitor with every source up: %d %s", status, raw)
	}
	g.Fault("crm").Fail()
	if status, _, raw := c.find("", `{"key":"email","value":"visitor@example.com"}`); status != http.StatusBadGateway {
		t.Fatalf("the anonymous visitor with the CRM down: %d %s", status, raw)
	}
}

// FuzzProfileConnector sends Profiles/Find anything a client could: a form body of any bytes,
// and any profile sid. No answer is a 5xx, and every one but a redirect is JSON.
func FuzzProfileConnector(f *testing.F) {
	f.Add(`UniqueName=x&Attributes=%7B%22key%22%3A%22from%22%2C%22value%22%3A%22%2B14155550100%22%7D`, "pf_dXNlcl9pZDp1LTEwMDE")
	f.Add(`UniqueName=x&Attributes=%5B%7B%22key%22%3A%22email%22%2C%22value%22%3A%22a%40b%22%7D%5D&WriteIfNotFound=true`, "pf_")
	f.Add(`UniqueName=x&Attributes={"key":"from","value":"whatsapp:+1 (646) 555-0100"}&Attributes=[]`, "%00")
	f.Add(`%zz&&==`, "../../query")
	h := gatewaytest.Start(f, demo.Config(f.TempDir())).Gateway.Handler()
	f.Fuzz(func(t *testing.T, body, sid string) {
		for _, req := range []*http.Request{
			httptest.NewRequest(http.MethodPost, "http://127.0.0.1/flex/profile-connector/Profiles/Find", strings.NewReader(body)),
			httptest.NewRequest(http.MethodGet, "http://127.0.0.1/flex/profile-connector/Profiles/"+url.PathEscape(sid)+"?UniqueName=x", nil),
		} {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			redirect := rec.Code >= 300 && rec.Code < 400 // net/http cleaning the path ("Profiles/." to "Profiles")
			if rec.Code >= 500 || !redirect && !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %s: %d %s", req.Method, req.URL, rec.Code, rec.Body)
			}
		}
	})
}
