package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/gatewaytest"
	"github.com/profilegate/profilegate/profile"
)

func TestMain(m *testing.M) { gatewaytest.Main(m) }

func TestDemoAcceptance(t *testing.T) {
	for _, backend := range gatewaytest.Backends {
		t.Run(backend, func(t *testing.T) {
			g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, backend))
			var ids []string
			for _, kv := range [][2]string{{"email", "ada.lovelace@example.com"}, {"user_id", "u-1001"}, {"phonenumber", "415-555-0100"}} {
				h := g.Header(kv[0], kv[1])
				if h.Name != "Ada Lovelace" || h.Profile.Status != "IDENTIFIED" || h.Badge != nil ||
					!slices.Equal(h.Profile.Sources, []string{"crm", "warehouse"}) {
					t.Fatalf("header by %s: %+v", kv[0], h)
				}
				ids = append(ids, h.Profile.ID)
			}
			if ids[0] != ids[1] || ids[1] != ids[2] {
				t.Fatalf("one person, several ids: %v", ids)
			}
			var out struct {
				SearchProfiles struct {
					TotalCount int
					Edges      []struct{ Node gatewaytest.Profile }
				}
			}
			g.Post(`{ searchProfiles(identifier: {key: "phonenumber", value: "+14155550199"}) { totalCount edges { node { id status sources } } } }`, nil).Decode(t, &out)
			if out.SearchProfiles.TotalCount != 2 || out.SearchProfiles.Edges[0].Node.ID == out.SearchProfiles.Edges[1].Node.ID {
				t.Fatalf("family phone search: %+v", out)
			}
		})
	}
}

// TestBatching counts the statements each source executes: every lookup of one round, across
// aliases and identifiers, must be one statement per source. A round's batch goes when every
// root field has asked or finished, so this holds whatever the machine's load; batch_wait, the
// safety bound that sends a batch anyway, is raised to its most (1 s), since a race build
// beside two busy processes took longer than the default 100 ms between rounds. (With batches
// sent by a 2 ms timer, as before, sixteen requests of thirty aliases at once split their later
// rounds; that no timer is involved is loaders' TestRoundsByReadiness.)
func TestBatching(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	cfg.BatchWait = time.Second
	cfg.Limits.MaxRootFields = 30
	g := gatewaytest.Start(t, cfg)
	// queriesDuring runs f and returns how many queries each source received meanwhile.
	queriesDuring := func(f func()) map[string]int64 {
		before := lookups(t, g)
		f()
		sent := lookups(t, g)
		for name, n := range before {
			sent[name] -= n
		}
		return sent
	}
	t.Run("NoMatches", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("{")
		for i := range 12 {
			fmt.Fprintf(&b, `h%d: searchProfiles(identifier: {key: "email", value: "nobody%d@example.com"}) { totalCount }`+"\n", i, i)
		}
		b.WriteString("}")
		var out map[string]struct{ TotalCount int }
		sent := queriesDuring(func() { g.Post(b.String(), nil).Decode(t, &out) })
		for source, n := range sent {
			if n != 1 {
				t.Errorf("source %s: %d queries for 12 aliases in one round, want 1", source, n)
			}
		}
	})
	t.Run("OneFieldManyIdentifiers", func(t *testing.T) {
		// email -> CRM; CRM's phone -> warehouse; warehouse's user_id, phone and
		// anonymous_id -> CRM in one query: two queries per source.
		var h gatewaytest.Header
		sent := queriesDuring(func() { h = g.Header("email", "ada.lovelace@example.com") })
		if h.Name != "Ada Lovelace" {
			t.Fatalf("header %+v", h)
		}
		for source, n := range sent {
			if n != 2 {
				t.Errorf("source %s: %d queries, want 2 (one per round it was asked in)", source, n)
			}
		}
	})
	t.Run("WithStitching", func(t *testing.T) {
		var out map[string]gatewaytest.Header
		sent := queriesDuring(func() {
			g.Post(`{
			a: customerHeader(identifier: {key: "email", value: "ada.lovelace@example.com"}) { name }
			b: customerHeader(identifier: {key: "user_id", value: "u-1001"}) { name }
			c: customerHeader(identifier: {key: "phonenumber", value: "+14155550199"}) { name }
			d: customerHeader(identifier: {key: "anonymous_id", value: "anon-42"}) { name }
			e: customerHeader(identifier: {key: "email", value: "linus@example.com"}) { name }
			f: customerHeader(identifier: {key: "email", value: "katherine@example.com"}) { name }
		}`, nil).Decode(t, &out)
		})
		rounds := int64(g.Config.StitchDepth + 1)
		for source, n := range sent {
			if n > rounds {
				t.Errorf("source %s: %d queries for 6 aliases, want at most one per round (%d)", source, n, rounds)
			}
		}
		if out["a"].Name != "Ada Lovelace" || out["d"].Name != "Ada Lovelace" || out["e"].Name != "Linus Torvalds" {
			t.Fatalf("answers %+v", out)
		}
	})
	t.Run("ThirtyAliasesUnderLoad", func(t *testing.T) {
		// Thirty headers of people who stitch in different numbers of rounds, some unknown:
		// alone, the request costs each source one statement per round it is asked in;
		// sixteen of them at once on two cores must cost exactly sixteen times as much.
		addresses := [][2]string{{"email", "ada.lovelace@example.com"}, {"user_id", "u-1001"}, {"phonenumber", "+14155550199"},
			{"anonymous_id", "anon-42"}, {"email", "linus@example.com"}, {"email", "katherine@example.com"}}
		var b strings.Builder
		b.WriteString("{")
		for i := range 30 {
			a := addresses[i%len(addresses)]
			if i%7 == 6 {
				a = [2]string{"phonenumber", fmt.Sprintf("+1646555%04d", i)}
			}
			fmt.Fprintf(&b, "h%d: customerHeader(identifier: {key: %q, value: %q}) { name }\n", i, a[0], a[1])
		}
		b.WriteString("}")
		body := gatewaytest.Body(b.String(), nil)
		alone := queriesDuring(func() { g.Send([]byte(body)) })
		const concurrent = 16
		loaded := queriesDuring(func() {
			var wg sync.WaitGroup
			for range concurrent {
				wg.Go(func() {
					if resp, err := g.Try([]byte(body)); err != nil || len(resp.Errors) > 0 {
						t.Errorf("request: %v %v", err, resp)
					}
				})
			}
			wg.Wait()
		})
		for source, n := range alone {
			if n == 0 || n > int64(g.Config.StitchDepth+1) || loaded[source] != concurrent*n {
				t.Errorf("source %s: %d statements for one request alone, %d for %d at once; want at most one a round, and %d",
					source, n, loaded[source], concurrent, concurrent*n)
			}
		}
	})
}

// TestConcurrentFirstContacts sends many first contacts from one address at once: they must
// all get the same profile, recorded once.
func TestConcurrentFirstContacts(t *testing.T) {
	const callers = 50
	for _, backend := range gatewaytest.Backends {
		t.Run(backend, func(t *testing.T) {
			g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, backend))
			body, _ := json.Marshal(map[string]any{"query": gatewaytest.HeaderQuery, "variables": map[string]any{"key": "phonenumber", "value": "(646) 555-0123"}})
			ids := make([]string, callers)
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() {
					// no Fatal off the test goroutine: a failed caller leaves an empty id
					resp, err := g.Try(body)
					var out struct{ CustomerHeader gatewaytest.Header }
					if err == nil && len(resp.Errors) == 0 && json.Unmarshal(resp.Data, &out) == nil {
						ids[i] = out.CustomerHeader.Profile.ID
					}
				})
			}
			wg.Wait()
			for _, id := range ids {
				if id == "" || id != ids[0] {
					t.Fatalf("ids %v: want one profile for every caller", ids)
				}
			}
			c, err := g.Store().FindContact(context.Background(), profile.Identifier{Key: "phonenumber", Value: "+16465550123"})
			if err != nil || c == nil || c.ContactCount != callers {
				t.Fatalf("record %+v, %v; want one record with %d contacts", c, err, callers)
			}
		})
	}
}

// TestSourceDown runs the gateway with its CRM unreachable: a known customer is never shown as
// a new contact, and what the warehouse knows still comes back.
func TestSourceDown(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	gatewaytest.Start(t, cfg) // seeds the warehouse
	cfg.Sources[0].Database = config.Database{Driver: "postgres", DSN: "postgres://nobody@127.0.0.1:1/crm?sslmode=disable&connect_timeout=2"}
	g := gatewaytest.Start(t, cfg, gatewaytest.NoSeed())

	resp := g.Post(gatewaytest.HeaderQuery, map[string]any{"key": "email", "value": "ada.lovelace@example.com"})
	if len(resp.Errors) != 1 || resp.Codes()[0] != "SOURCE_UNAVAILABLE" || resp.Errors[0].Extensions["source"] != "crm" || string(resp.Data) != "null" {
		t.Fatalf("header while the CRM is down: %s", resp.Raw)
	}
	resp = g.Post(gatewaytest.HeaderQuery, map[string]any{"key": "user_id", "value": "u-1001"})
	var out struct{ CustomerHeader gatewaytest.Header }
	if err := json.Unmarshal(resp.Data, &out); err != nil || out.CustomerHeader.Profile.Status != "IDENTIFIED" ||
		!slices.Equal(out.CustomerHeader.Profile.Sources, []string{"warehouse"}) || !slices.Equal(resp.Codes(), []string{"SOURCE_UNAVAILABLE"}) {
		t.Fatalf("partial answer while the CRM is down: %s", resp.Raw)
	}
	for _, id := range [][2]string{{"phonenumber", "(646) 555-0199"}, {"anonymous_id", "anon-77"}} {
		// nobody known, or only an anonymous warehouse record: the CRM may know them
		resp = g.Post(gatewaytest.HeaderQuery, map[string]any{"key": id[0], "value": id[1]})
		if !slices.Equal(resp.Codes(), []string{"SOURCE_UNAVAILABLE"}) || string(resp.Data) != "null" {
			t.Fatalf("%s while the CRM is down: %s", id[1], resp.Raw)
		}
	}
	for _, id := range []profile.Identifier{{Key: "email", Value: "ada.lovelace@example.com"}, {Key: "phonenumber", Value: "+16465550199"}} {
		if c, err := g.Store().FindContact(context.Background(), id); err != nil || c != nil {
			t.Fatalf("an unidentified profile was recorded for %v while a source was down: %+v %v", id, c, err)
		}
	}
}

// TestUnidentifiedBecomesIdentified follows an address from its first contact to the day the
// CRM holds it.
func TestUnidentifiedBecomesIdentified(t *testing.T) {
	for _, backend := range gatewaytest.Backends {
		t.Run(backend, func(t *testing.T) {
			cfg := gatewaytest.DemoConfig(t, backend)
			g := gatewaytest.Start(t, cfg)
			first := g.Header("email", "New.Customer@Example.com")
			again := g.Header("email", "new.customer@example.com")
			if first.Profile.Status != "UNIDENTIFIED" || *first.Badge != "New Contact" || first.Name != "new.customer@example.com" ||
				again.Profile.ID != first.Profile.ID || again.Profile.ContactCount != 2 {
				t.Fatalf("first %+v, again %+v", first, again)
			}
			var found struct {
				SearchProfiles struct {
					Edges []struct{ Node gatewaytest.Profile }
				}
			}
			g.Post(`{ searchProfiles(identifier: {key: "email", value: "new.customer@example.com"}) { edges { node { id status } } } }`, nil).Decode(t, &found)
			if e := found.SearchProfiles.Edges; len(e) != 1 || e[0].Node.ID != first.Profile.ID {
				t.Fatalf("search does not find the recorded profile: %+v", found)
			}

			crm := cfg.Sources[0].Database
			db := sqlx.MustOpen(config.Drivers[crm.Driver], crm.DSN)
			defer db.Close()
			db.MustExec(db.Rebind(`INSERT INTO contacts (id, first_name, last_name, email, customer_since, updated_at) VALUES (?, ?, ?, ?, ?, ?)`),
				"c-9", "Nina", "Newman", "NEW.customer@example.com", "2026-11-29", "2026-11-29T12:00:00Z")

			now := g.Header("email", "new.customer@example.com")
			if now.Profile.Status != "IDENTIFIED" || now.Name != "Nina Newman" || now.Badge != nil {
				t.Fatalf("after the CRM holds the address: %+v", now)
			}
			var byID struct{ Profile *gatewaytest.Profile }
			g.Post(`query($id: ID!) { profile(id: $id) { id status } }`, map[string]any{"id": first.Profile.ID}).Decode(t, &byID)
			if byID.Profile == nil || byID.Profile.ID != now.Profile.ID || byID.Profile.Status != "IDENTIFIED" {
				t.Fatalf("profile(old unidentified id) = %+v, want the identified profile %s", byID.Profile, now.Profile.ID)
			}
		})
	}
}

func TestBlockedCaller(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	g := gatewaytest.Start(t, cfg)
	crm := cfg.Sources[0].Database
	db := sqlx.MustOpen(config.Drivers[crm.Driver], crm.DSN)
	defer db.Close()
	db.MustExec(`INSERT INTO contacts (id, first_name, email, phone) VALUES ('c-0', 'Placeholder', 'p@example.com', '000-000-0000')`)

	a, b := g.Header("phonenumber", "Restricted"), g.Header("phonenumber", "Restricted")
	if a.Profile.Status != "UNIDENTIFIED" || a.Badge == nil || !strings.HasPrefix(a.Profile.ID, "tmp_") || a.Profile.ID == b.Profile.ID {
		t.Fatalf("withheld caller ids: %+v / %+v; want unidentified headers that share nothing", a, b)
	}
	zero := g.Header("phonenumber", "(000) 000-0000")
	if zero.Profile.Status != "UNIDENTIFIED" || zero.Name == "Placeholder" {
		t.Fatalf("all-zero number matched a record: %+v", zero)
	}
	if n := g.UnidentifiedCount(); n != 0 {
		t.Fatalf("%d unidentified profiles recorded for blocked values", n)
	}
}

// TestStableIDs runs two gateways over one database, as replicas or a restart do: a person and
// an unidentified contact have the same id on both, and the contact count is shared.
func TestStableIDs(t *testing.T) {
	for _, backend := range gatewaytest.Backends {
		t.Run(backend, func(t *testing.T) {
			cfg := gatewaytest.DemoConfig(t, backend)
			one := gatewaytest.Start(t, cfg)
			a1, n1 := one.Header("email", "ada.lovelace@example.com"), one.Header("phonenumber", "212-555-0177")
			one.Stop()
			two := gatewaytest.Start(t, cfg)
			a2, n2 := two.Header("phonenumber", "+1 415 555 0100"), two.Header("phonenumber", "+12125550177")
			if a1.Profile.ID != a2.Profile.ID || n1.Profile.ID != n2.Profile.ID || n2.Profile.ContactCount != 2 {
				t.Fatalf("ids differ across gateways: %s/%s, %s/%s (count %d)", a1.Profile.ID, a2.Profile.ID, n1.Profile.ID, n2.Profile.ID, n2.Profile.ContactCount)
			}
		})
	}
}

func TestHTTP(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	q := url.Values{"query": {`{ customerHeader(identifier: {key: "user_id", value: "u-1001"}) { name } }`}}
	resp, err := http.Get(g.URL + "/query?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ CustomerHeader gatewaytest.Header }
	gatewaytest.MustRead(t, resp).Decode(t, &out)
	if out.CustomerHeader.Name != "Ada Lovelace" {
		t.Fatalf("GET: %+v", out)
	}
	for path, want := range map[string]string{"/healthz": "ok", "/": "<html"} {
		resp, err := http.Get(g.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body := gatewaytest.ReadBody(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(body), want) {
			t.Errorf("GET %s: %d %.80s", path, resp.StatusCode, body)
		}
	}
	for name, body := range map[string]string{
		"invalid JSON":     `{"query": `,
		"wrong type":       `{"query": "query($v: String!) { customerHeader(identifier: {key: \"email\", value: $v}) { name } }", "variables": {"v": 42}}`,
		"unknown field":    `{"query": "{ customerHeader(identifier: {key: \"email\", value: \"a@b.co\"}) { nope } }"}`,
		"unknown argument": `{"query": "{ customerHeader(identifier: {key: \"email\", value: \"a@b.co\", extra: 1}) { name } }"}`,
	} {
		r := g.Send([]byte(body))
		if r.Status >= 500 || len(r.Errors) == 0 {
			t.Errorf("%s: status %d, body %s; want a client error", name, r.Status, r.Raw)
		}
	}
}

// TestSourceTimeout holds a lock on the CRM's table in a real PostgreSQL, so the CRM does not
// answer: the lookup gives up at the CRM's timeout, the warehouse's answer still comes back,
// and no unidentified profile is made.
func TestSourceTimeout(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "postgres")
	cfg.Sources[0].Timeout = 300 * time.Millisecond
	g := gatewaytest.Start(t, cfg)
	g.Header("email", "katherine@example.com") // the CRM answers while nobody holds its table

	db := g.DB(cfg.Sources[0].Database)
	tx := db.MustBegin()
	tx.MustExec(`LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE`)

	resp := g.Post(gatewaytest.HeaderQuery, map[string]any{"key": "user_id", "value": "u-1001"})
	var out struct{ CustomerHeader gatewaytest.Header }
	if err := json.Unmarshal(resp.Data, &out); err != nil || !slices.Equal(out.CustomerHeader.Profile.Sources, []string{"warehouse"}) ||
		len(resp.Errors) != 1 || resp.Errors[0].Extensions["source"] != "crm" || !strings.Contains(resp.Errors[0].Message, "did not answer within 300ms") {
		t.Fatalf("answer while the CRM hangs: %s", resp.Raw)
	}
	resp = g.Post(gatewaytest.HeaderQuery, map[string]any{"key": "email", "value": "katherine@example.com"})
	if !slices.Equal(resp.Codes(), []string{"SOURCE_UNAVAILABLE"}) || string(resp.Data) != "null" {
		t.Fatalf("a known customer while the CRM hangs: %s", resp.Raw)
	}
	if c, err := g.Store().FindContact(context.Background(), profile.Identifier{Key: "email", Value: "katherine@example.com"}); err != nil || c != nil {
		t.Fatalf("recorded %+v (%v) while the CRM hung", c, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if h := g.Header("email", "katherine@example.com"); h.Name != "Katherine Johnson" || h.Profile.Status != "IDENTIFIED" {
		t.Fatalf("after the CRM recovered: %+v", h)
	}
}

// lookups reads from /metrics how many lookups each source has answered; a lookup is one
// statement (sqlsource's tests hold it to that).
func lookups(t *testing.T, g *gatewaytest.Env) map[string]int64 {
	t.Helper()
	_, metrics := g.Get("/metrics")
	out := map[string]int64{}
	for _, source := range []string{"crm", "warehouse"} {
		out[source], _ = strconv.ParseInt(sample(metrics, `profilegate_source_statements_total{source="`+source+`"}`), 10, 64)
	}
	return out
}

// TestContactsApartFromTheIndex: on a SQLite store a new caller's contact is written to the
// contacts file, not the file the match index is read from: no connection reading the index
// sees its file change (PRAGMA data_version), so none drops its page cache.
func TestContactsApartFromTheIndex(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	cfg.MatchIndex.Refresh, cfg.MatchIndex.Reconcile, cfg.SettingsRefresh = time.Hour, time.Hour, time.Hour // nothing else writes meanwhile
	g := gatewaytest.Start(t, cfg)
	conn, err := g.DB(cfg.StoreDatabase()).Connx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	version := func() (v int) {
		if err := conn.GetContext(context.Background(), &v, `PRAGMA data_version`); err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := g.UnidentifiedCount()
	v := version()
	if h := g.Header("phonenumber", "(646) 555-0177"); h.Badge == nil {
		t.Fatalf("an unknown caller: %+v", h)
	}
	if g.UnidentifiedCount() != before+1 {
		t.Fatal("the new caller was not recorded")
	}
	if version() != v {
		t.Fatal("recording a contact wrote the store's file, which the match index is read from")
	}
}

// TestInternalErrorsHideDetails breaks the gateway's own store: the client gets INTERNAL and
// nothing about the database.
func TestInternalErrorsHideDetails(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	g.ContactsDB().MustExec(`DROP TABLE unidentified_contacts`)
	resp := g.Post(gatewaytest.HeaderQuery, map[string]any{"key": "phonenumber", "value": "(646) 555-0111"})
	if !slices.Equal(resp.Codes(), []string{"INTERNAL"}) || resp.Errors[0].Message != "internal error" || resp.Status >= 500 {
		t.Fatalf("store failure: %d %s", resp.Status, resp.Raw)
	}
	if h := g.Header("user_id", "u-1001"); h.Name != "Ada Lovelace" {
		t.Fatalf("lookups that need no store must still answer: %+v", h)
	}
}

// TestGetRecordsNothing: any web page can make a browser send a GET, so a GET has no side
// effect: an unknown caller's header comes back with the profile the contact will have, and is
// recorded only by a POST.
func TestGetRecordsNothing(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	q := url.Values{"query": {`{ customerHeader(identifier: {key: "phonenumber", value: "+1 212 555 0160"}) { badge profile { id status contactCount } } }`}}
	resp, err := http.Get(g.URL + "/query?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var viaGet struct {
		CustomerHeader struct {
			Badge   *string
			Profile struct {
				ID, Status   string
				ContactCount int
			}
		}
	}
	gatewaytest.MustRead(t, resp).Decode(t, &viaGet)
	if viaGet.CustomerHeader.Profile.Status != "UNIDENTIFIED" || viaGet.CustomerHeader.Badge == nil || g.UnidentifiedCount() != 0 {
		t.Fatalf("GET: %+v, %d recorded", viaGet, g.UnidentifiedCount())
	}
	posted := g.Header("phonenumber", "+1 212 555 0160")
	if posted.Profile.ID != viaGet.CustomerHeader.Profile.ID || posted.Profile.ContactCount != 1 || g.UnidentifiedCount() != 1 {
		t.Fatalf("POST after GET: %+v, %d recorded", posted.Profile, g.UnidentifiedCount())
	}
}
