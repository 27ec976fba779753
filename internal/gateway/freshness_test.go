package gateway_test

import (
	"testing"
	"time"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/gatewaytest"
	"github.com/profilegate/profilegate/internal/messydata"
)

const searchNames = `query($key: String!, $value: String!) {
  searchProfiles(identifier: {key: $key, value: $value}, first: 20) { edges { node { traits { key value } } } }
}`

// firstNames searches by a phone number and lists the first_name of each person found; search
// records no contact, so it can be asked again and again.
func firstNames(t *testing.T, g *gatewaytest.Env, phone string) []string {
	t.Helper()
	var out struct {
		SearchProfiles struct {
			Edges []struct {
				Node struct{ Traits []struct{ Key, Value string } }
			}
		}
	}
	g.Post(searchNames, map[string]any{"key": "phonenumber", "value": phone}).Decode(t, &out)
	var names []string
	for _, e := range out.SearchProfiles.Edges {
		for _, tr := range e.Node.Traits {
			if tr.Key == "first_name" {
				names = append(names, tr.Value)
			}
		}
	}
	return names
}

// eventually waits, a while at most, until cond holds; the index's schedule is the system
// under test, so the deadline is generous and only a hang fails.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
	}
}

// TestIndexFreshness: the match index follows the CRM. A contact written in an unusual
// spelling is found within the refresh, one in the standard spelling at once (the live query);
// a changed phone stops matching its old number; a deleted contact is not found, and its
// entries leave the index at the next full rebuild.
func TestIndexFreshness(t *testing.T) {
	data := messydata.Generate(3, 20)
	for _, backend := range gatewaytest.Backends {
		t.Run(backend, func(t *testing.T) {
			g := startMessy(t, backend, data, withIndex(config.MatchIndex{Refresh: 200 * time.Millisecond, Reconcile: 2 * time.Second}))
			crm := g.DB(g.Config.Sources[0].Database)
			write := func(q string, args ...any) {
				t.Helper()
				if _, err := crm.Exec(crm.Rebind(q), args...); err != nil {
					t.Fatal(err)
				}
			}
			now := func() any {
				if backend == "postgres" {
					return time.Now()
				}
				return time.Now().UTC().Format(time.RFC3339Nano)
			}

			write(`INSERT INTO contacts (id, first_name, last_name, email, phone, updated_at) VALUES ('new-1', 'Nova', 'Messy', 'nova@example.com', '617.507.4070', ?)`, now())
			eventually(t, "a contact stored as 617.507.4070 found by +16175074070", func() bool {
				names := firstNames(t, g, "+16175074070")
				return len(names) == 1 && names[0] == "Nova"
			})

			write(`INSERT INTO contacts (id, first_name, last_name, email, phone, updated_at) VALUES ('new-2', 'Stan', 'Dard', 'stan@example.com', '+16175074071', ?)`, now())
			if names := firstNames(t, g, "(617) 507-4071"); len(names) != 1 || names[0] != "Stan" {
				t.Fatalf("a contact stored in E.164 is not found at once: %v", names)
			}

			write(`UPDATE contacts SET phone = '1-628-761-1028', updated_at = ? WHERE id = 'new-1'`, now())
			eventually(t, "the changed phone matches, the old one does not", func() bool {
				return len(firstNames(t, g, "+16175074070")) == 0 && len(firstNames(t, g, "+16287611028")) == 1
			})

			entries := func() (n int) {
				if err := g.DB(g.Config.StoreDatabase()).Get(&n, `SELECT COUNT(*) FROM match_index WHERE source = 'crm' AND record_id = 'new-1'`); err != nil {
					t.Fatal(err)
				}
				return n
			}
			write(`DELETE FROM contacts WHERE id = 'new-1'`)
			if names := firstNames(t, g, "+16287611028"); len(names) != 0 {
				t.Fatalf("a deleted contact is still found: %v", names)
			}
			eventually(t, "the deleted contact's entries leave the index at the full rebuild", func() bool { return entries() == 0 })
		})
	}
}

// withIndex sets the match index of every source.
func withIndex(mi config.MatchIndex) gatewaytest.Option {
	return gatewaytest.Configure(func(cfg *config.Config) { cfg.MatchIndex = mi })
}
