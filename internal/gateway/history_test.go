package gateway_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/internal/gatewaytest"
	"github.com/profilegate/profilegate/profile"
)

// adaID is Ada's profile id (her user_id, which the warehouse holds).
const adaID = "pf_dXNlcl9pZDp1LTEwMDE"

const historyPage = `query($id: ID!, $first: Int, $after: String) {
  customerHistory(profileId: $id, first: $first, after: $after) {
    edges { cursor node { id occurredAt kind source } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`

type historyJSON struct {
	CustomerHistory struct {
		Edges []struct {
			Cursor string
			Node   struct {
				ID         string
				OccurredAt time.Time
				Kind       string
				Source     string
			}
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			EndCursor                    *string
		}
	}
}

// activity inserts a CRM activity of contact at t.
func activity(t *testing.T, crm *sqlx.DB, id, contact string, at time.Time) {
	t.Helper()
	crm.MustExec(crm.Rebind(`INSERT INTO activities (id, contact_id, occurred_at, type, subject) VALUES (?, ?, ?, 'note', ?)`),
		id, contact, at.UTC().Format(time.RFC3339), "Note "+id)
}

// pageView inserts a warehouse page view of a segment id at t.
func pageView(t *testing.T, wh *sqlx.DB, id, segmentID string, at time.Time) {
	t.Helper()
	wh.MustExec(wh.Rebind(`INSERT INTO pages (id, segment_id, timestamp, title) VALUES (?, ?, ?, ?)`),
		id, segmentID, at.UTC().Format(time.RFC3339), "Page "+id)
}

// TestHistoryPagingWhileWriting walks Ada's whole timeline seven activities at a time while
// both sources get new activities between pages: every activity there was at the start comes
// exactly once, newest first; ones written later and newer than the page reached never show
// up in the walk, and a backdated one older than it does. Activities share instants within
// and across sources, so ties are crossed by page boundaries too.
func TestHistoryPagingWhileWriting(t *testing.T) {
	gatewaytest.Run(t, nil, func(t *testing.T, g *gatewaytest.Env) {
		crm, wh := g.DB(g.Config.Sources[0].Database), g.DB(g.Config.Sources[1].Database)
		base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
		want := map[string]bool{}
		for i := range 45 {
			at := base.Add(time.Duration(i/3) * time.Hour) // three activities per instant
			activity(t, crm, fmt.Sprintf("w-%02d", i), "c-1", at)
			want[fmt.Sprintf("crm:w-%02d", i)] = true
		}
		for i := range 30 {
			at := base.Add(time.Duration(i/2) * time.Hour) // the same instants as the CRM's
			seg := []string{"seg-ada", "seg-ada-anon"}[i%2]
			pageView(t, wh, fmt.Sprintf("v-%02d", i), seg, at)
			want[fmt.Sprintf("warehouse:pages:v-%02d", i)] = true
		}
		var first historyJSON
		g.Post(historyPage, map[string]any{"id": adaID, "first": 100}).Decode(t, &first)
		demoActivities := 0
		for _, e := range first.CustomerHistory.Edges {
			if !strings.Contains(e.Node.ID, ":w-") && !strings.Contains(e.Node.ID, ":v-") {
				want[e.Node.ID] = true
				demoActivities++
			}
		}
		if demoActivities < 10 || first.CustomerHistory.PageInfo.HasNextPage {
			t.Fatalf("whole timeline in one page: %d demo activities, hasNextPage %v", demoActivities, first.CustomerHistory.PageInfo.HasNextPage)
		}

		seen := map[string]bool{}
		var after *string
		var last time.Time
		backdated := false
		for page := 0; ; page++ {
			var out historyJSON
			vars := map[string]any{"id": adaID, "first": 7}
			if after != nil {
				vars["after"] = *after
			}
			g.Post(historyPage, vars).Decode(t, &out)
			h := out.CustomerHistory
			if h.PageInfo.HasPreviousPage != (after != nil) {
				t.Fatalf("page %d: hasPreviousPage %v", page, h.PageInfo.HasPreviousPage)
			}
			for _, e := range h.Edges {
				if seen[e.Node.ID] {
					t.Fatalf("page %d: %s again", page, e.Node.ID)
				}
				seen[e.Node.ID] = true
				if !last.IsZero() && e.Node.OccurredAt.After(last) {
					t.Fatalf("page %d: %s at %s after %s: not newest first", page, e.Node.ID, e.Node.OccurredAt, last)
				}
				last = e.Node.OccurredAt
			}
			// Written between pages: newer than anything (must not appear in this walk) and,
			// once, older than everything (must appear at its end).
			activity(t, crm, fmt.Sprintf("new-%d", page), "c-1", gatewaytest.Now.Add(time.Duration(page)*time.Minute))
			pageView(t, wh, fmt.Sprintf("new-%d", page), "seg-ada", gatewaytest.Now.Add(time.Duration(page)*time.Minute))
			if page == 3 {
				activity(t, crm, "old", "c-1", time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))
				want["crm:old"], backdated = true, true
			}
			if !h.PageInfo.HasNextPage {
				if len(h.Edges) > 7 {
					t.Fatalf("last page holds %d", len(h.Edges))
				}
				break
			}
			if len(h.Edges) != 7 || h.PageInfo.EndCursor == nil || *h.PageInfo.EndCursor != h.Edges[6].Cursor {
				t.Fatalf("page %d: %d edges, end cursor %v", page, len(h.Edges), h.PageInfo.EndCursor)
			}
			after = h.PageInfo.EndCursor
		}
		if !backdated {
			t.Fatal("the walk ended before the backdated activity was written")
		}
		for id := range want {
			if !seen[id] {
				t.Errorf("%s never came", id)
			}
		}
		for id := range seen {
			if !want[id] {
				t.Errorf("%s came, written after the walk passed its time", id)
			}
		}
	})
}

// TestHistoryBatching asks the first page of ten people's histories in one request: each
// source gets one statement for all ten pages, beside the statements that resolve the ten
// profile ids (measured by asking the same ids without history).
func TestHistoryBatching(t *testing.T) {
	cfg := gatewaytest.DemoConfig(t, "sqlite")
	cfg.BatchWait = time.Second
	cfg.Limits.MaxRootFields = 30
	g := gatewaytest.Start(t, cfg)
	crm := g.DB(g.Config.Sources[0].Database)
	ids := []string{adaID, "pf_ZW1haWw6Z3JhY2UuaG9wcGVyQGV4YW1wbGUuY29t", "pf_ZW1haWw6YWxhbi50dXJpbmdAZXhhbXBsZS5jb20"}
	for i := range 7 {
		email := fmt.Sprintf("batch%d@example.com", i)
		crm.MustExec(crm.Rebind(`INSERT INTO contacts (id, first_name, email, updated_at) VALUES (?, 'Batch', ?, '2026-01-01T00:00:00Z')`), fmt.Sprintf("b-%d", i), email)
		activity(t, crm, fmt.Sprintf("b-%d-1", i), fmt.Sprintf("b-%d", i), gatewaytest.Now.Add(-time.Hour))
		ids = append(ids, profile.ProfileID(profile.Identifier{Key: profile.KeyEmail, Value: email}))
	}
	query := func(field string) string {
		var b strings.Builder
		b.WriteString("{")
		for i, id := range ids {
			fmt.Fprintf(&b, "p%d: %s\n", i, strings.ReplaceAll(field, "ID", id))
		}
		return b.String() + "}"
	}
	statements := func(q string, out any) map[string]int64 {
		before := lookups(t, g)
		g.Post(q, nil).Decode(t, out)
		sent := lookups(t, g)
		for name, n := range before {
			sent[name] -= n
		}
		return sent
	}
	var profiles map[string]struct{ ID string }
	resolving := statements(query(`profile(id: "ID") { id }`), &profiles)
	var pages map[string]struct {
		Edges []struct{ Node struct{ Source string } }
	}
	paging := statements(query(`customerHistory(profileId: "ID", first: 5) { edges { node { source } } }`), &pages)
	for _, source := range []string{"crm", "warehouse"} {
		if n := paging[source] - resolving[source]; n != 1 {
			t.Errorf("source %s: %d statements for ten first pages, want 1 (%d resolving, %d with history)", source, n, resolving[source], paging[source])
		}
	}
	for alias, p := range pages {
		if len(p.Edges) == 0 {
			t.Errorf("%s: empty history", alias)
		}
	}
}

// TestHistoryWhenASourceFails: with the CRM down, Ada's details and history still come from
// the warehouse, and the CRM's failure is reported with its name.
func TestHistoryWhenASourceFails(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "postgres"), gatewaytest.WithFaults())
	g.Fault("crm").Fail()
	r := g.Post(`query($id: ID!) {
		customerDetails(profileId: $id) { groups { name traits { key value source } } }
		customerHistory(profileId: $id) { edges { node { id source } } }
	}`, map[string]any{"id": adaID})
	if len(r.Errors) == 0 {
		t.Fatalf("no error for the failed CRM: %s", r.Raw)
	}
	for _, e := range r.Errors {
		if e.Extensions["code"] != "SOURCE_UNAVAILABLE" || e.Extensions["source"] != "crm" {
			t.Errorf("error %+v, want SOURCE_UNAVAILABLE from crm", e)
		}
	}
	var out struct {
		CustomerDetails struct {
			Groups []struct {
				Name   string
				Traits []struct{ Key, Source string }
			}
		}
		CustomerHistory struct {
			Edges []struct{ Node struct{ ID, Source string } }
		}
	}
	if err := json.Unmarshal(r.Data, &out); err != nil {
		t.Fatal(err)
	}
	var plan string
	for _, g := range out.CustomerDetails.Groups {
		for _, tr := range g.Traits {
			if tr.Key == "plan" {
				plan = tr.Source
			}
		}
	}
	if plan != "warehouse" {
		t.Errorf("details without the CRM: %s", r.Data)
	}
	if len(out.CustomerHistory.Edges) == 0 || slices.ContainsFunc(out.CustomerHistory.Edges, func(e struct{ Node struct{ ID, Source string } }) bool { return e.Node.Source != "warehouse" }) {
		t.Errorf("history without the CRM: %s", r.Data)
	}
}

// TestHistoryHostileFilters: filters a client can send answer with data or a coded error,
// never a source failure: repeated enum values, empty lists, until before since, a forged
// cursor, too many event names.
func TestHistoryHostileFilters(t *testing.T) {
	g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, "sqlite"))
	q := `query($f: HistoryFilter, $after: String) { customerHistory(profileId: "` + adaID + `", filter: $f, after: $after) { edges { node { kind } } } }`
	kinds := make([]string, 20000)
	for i := range kinds {
		kinds[i] = "INTERACTION"
	}
	var out struct {
		CustomerHistory struct {
			Edges []struct{ Node struct{ Kind string } }
		}
	}
	g.Post(q, map[string]any{"f": map[string]any{"kinds": kinds}}).Decode(t, &out)
	if len(out.CustomerHistory.Edges) != 4 {
		t.Errorf("20000 repeats of one kind: %d interactions, want 4", len(out.CustomerHistory.Edges))
	}
	g.Post(q, map[string]any{"f": map[string]any{"kinds": []string{}}}).Decode(t, &out)
	if len(out.CustomerHistory.Edges) != 0 {
		t.Errorf("no kinds: %d activities, want none", len(out.CustomerHistory.Edges))
	}
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"v":1,"p":{"crm":{"a":"2026-11-27T15:20:00Z' OR 1=1 --","i":"x"},"nowhere":{"a":"","i":""}}}`))
	names := make([]string, 101)
	for i := range names {
		names[i] = fmt.Sprint("Event ", i)
	}
	for name, c := range map[string]struct {
		vars map[string]any
		code string
	}{
		"until before since": {map[string]any{"f": map[string]any{"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}}, "BAD_USER_INPUT"},
		"not a cursor":       {map[string]any{"after": "%%%"}, "BAD_USER_INPUT"},
		"forged cursor":      {map[string]any{"after": forged}, ""},
		"101 event names":    {map[string]any{"f": map[string]any{"eventNames": names}}, "BAD_USER_INPUT"},
		"unknown kind":       {map[string]any{"f": map[string]any{"kinds": []string{"PHONE"}}}, "GRAPHQL_VALIDATION_FAILED"},
	} {
		r := g.Post(q, c.vars)
		want := []string{c.code}
		if c.code == "" {
			want = nil
		}
		if !slices.Equal(r.Codes(), want) || r.Status >= 500 {
			t.Errorf("%s: %d %s; want codes %v", name, r.Status, r.Raw, want)
		}
	}
}
