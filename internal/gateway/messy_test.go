package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/gatewaytest"
	"github.com/profilegate/profilegate/internal/messydata"
	"github.com/profilegate/profilegate/profile"
	"github.com/profilegate/profilegate/sources/sqlsource"
)

// messySources configures a CRM and a Segment warehouse as a user would from the README, with
// no stored_as: the columns' spellings are unknown.
func messySources(crm, warehouse config.Database) []config.SourceConfig {
	return []config.SourceConfig{
		{Name: "crm", Database: crm, SystemOfRecord: true, Records: &sqlsource.RecordTable{
			Table: "contacts", IDColumn: "id", UpdatedColumn: "updated_at",
			Identifiers: []sqlsource.IdentifierColumn{{Column: "email", Key: "email"}, {Column: "phone", Key: "phonenumber"}},
			Traits: []sqlsource.TraitColumn{{Column: "first_name", Key: "first_name"}, {Column: "last_name", Key: "last_name"},
				{Column: "customer_since", Key: "customer_since"}},
		}},
		{Name: "warehouse", Database: warehouse, IdentityGraph: &sqlsource.IdentityGraph{Types: map[string]string{"phone": "phonenumber"}}},
	}
}

// startMessy loads data into a backend and starts a gateway on it, its indexes built.
func startMessy(t *testing.T, backend string, data *messydata.Data, opts ...gatewaytest.Option) *gatewaytest.Env {
	t.Helper()
	cfg := gatewaytest.DemoConfig(t, backend)
	crm, wh := cfg.Sources[0].Database, cfg.Sources[1].Database
	if backend == "sqlite" {
		crm.DSN, wh.DSN = config.SQLiteDSN(t.TempDir()+"/crm.db"), config.SQLiteDSN(t.TempDir()+"/warehouse.db")
	}
	cfg.Sources = messySources(crm, wh)
	if err := data.Load(context.Background(), gatewaytest.OpenDB(t, crm), gatewaytest.OpenDB(t, wh)); err != nil {
		t.Fatal(err)
	}
	return gatewaytest.Start(t, cfg, append([]gatewaytest.Option{gatewaytest.NoSeed()}, opts...)...)
}

// lookupSpellings are how an agent desktop or an agent may type an identifier.
func lookupSpellings(id profile.Identifier) []string {
	switch id.Key {
	case profile.KeyPhoneNumber:
		d := strings.TrimPrefix(id.Value, "+1")
		var out []string
		for _, s := range messydata.PhoneSpellings {
			if slices.Contains([]string{"e164", "national", "dots", "one_prefix", "national_digits"}, s.Name) {
				out = append(out, s.Render(d))
			}
		}
		return out
	case profile.KeyEmail:
		return []string{id.Value, " " + strings.ToUpper(id.Value) + " "}
	}
	return []string{id.Value}
}

const messyQuery = `query($key: String!, $value: String!) {
  h: customerHeader(identifier: {key: $key, value: $value}) { name badge otherMatches profile { id status identifiers { key value } } }
  s: searchProfiles(identifier: {key: $key, value: $value}, first: 20) { edges { node { id identifiers { key value } } } }
}`

type messyProfile struct {
	ID          string
	Status      string
	Identifiers []profile.Identifier
}

// TestMessyRecall looks every person of a messy CRM and warehouse up by each of their
// identifiers in several spellings: every answer names only one person (precision 1.0), the
// person is found whole (recall 1.0), and by the same profile id from every entry point.
func TestMessyRecall(t *testing.T) {
	data := messydata.Generate(7, 160)
	norm, err := profile.NewNormalizer(nil, "US", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range gatewaytest.Backends {
		t.Run(backend, func(t *testing.T) {
			g := startMessy(t, backend, data)
			owners := func(ids []profile.Identifier) []*messydata.Person {
				var out []*messydata.Person
				for _, p := range data.People {
					if !slices.ContainsFunc(ids, func(id profile.Identifier) bool { return !p.Has(id) }) {
						out = append(out, p)
					}
				}
				return out
			}
			idOf := map[*messydata.Person]string{}
			lookups, misses := 0, 0
			for _, person := range data.People {
				for _, id := range person.Identifiers {
					holders := owners([]profile.Identifier{id})
					for _, spelled := range lookupSpellings(id) {
						lookups++
						var out struct {
							H struct {
								Name         string
								Badge        *string
								OtherMatches int
								Profile      messyProfile
							}
							S struct{ Edges []struct{ Node messyProfile } }
						}
						r := g.Post(messyQuery, map[string]any{"key": id.Key, "value": spelled})
						if err := json.Unmarshal(r.Data, &out); err != nil || len(r.Errors) > 0 {
							t.Fatalf("%s %q: %s", id.Key, spelled, r.Raw)
						}
						where := fmt.Sprintf("%s %q (%s, stored as %q)", id.Key, spelled, person.Name(), person.Spelled)
						whole := false
						var found []messyProfile
						for _, e := range out.S.Edges {
							found = append(found, e.Node)
						}
						for _, n := range append(found, out.H.Profile) {
							// A withheld caller id the CRM holds is listed, but it is nobody's identity.
							n.Identifiers = slices.DeleteFunc(n.Identifiers, norm.Blocked)
							if len(owners(n.Identifiers)) == 0 {
								t.Errorf("%s: profile %s blends people: %v", where, n.ID, n.Identifiers)
							}
							if len(n.Identifiers) == len(person.Identifiers) && len(owners(n.Identifiers)) == 1 && owners(n.Identifiers)[0] == person {
								whole = true
								if prev, ok := idOf[person]; ok && prev != n.ID {
									t.Errorf("%s: profile id %s, but %s from another entry point", where, n.ID, prev)
								}
								idOf[person] = n.ID
							}
						}
						if !whole {
							misses++
							t.Errorf("%s: the person is not found whole: header %v, search %v", where, out.H.Profile.Identifiers, found)
						}
						if out.H.Badge != nil || out.H.Profile.Status != "IDENTIFIED" || out.H.OtherMatches != len(holders)-1 || len(found) != len(holders) {
							t.Errorf("%s: header %+v, %d search results; want a known customer among %d people", where, out.H, len(found), len(holders))
						}
						if len(holders) == 1 && out.H.Name != person.Name() {
							t.Errorf("%s: header names %q", where, out.H.Name)
						}
					}
				}
			}
			t.Logf("%d people, %d lookups, %d missed", len(data.People), lookups, misses)
		})
	}
}

// TestLookupAloneOrBatched: a lookup's answer is the same alone and aliased beside lookups of
// the same person by their other identifiers and of other people, whatever spelling the
// sources hold (a batch brings back records a lone lookup must find too).
func TestLookupAloneOrBatched(t *testing.T) {
	data := messydata.Generate(11, 40)
	g := startMessy(t, "sqlite", data)
	field := func(alias string, id profile.Identifier) string {
		return fmt.Sprintf(`%s: customerHeader(identifier: {key: %q, value: %q}) { name badge otherMatches profile { id sources identifiers { key value } } }`, alias, id.Key, id.Value)
	}
	for i, person := range data.People {
		for _, id := range person.Identifiers {
			alone := g.Post("{ "+field("x", id)+" }", nil)
			var batch strings.Builder
			batch.WriteString("{ " + field("x", id))
			for j, other := range person.Identifiers {
				batch.WriteString(" " + field(fmt.Sprintf("self%d", j), other))
			}
			for j := 1; j <= 4; j++ {
				other := data.People[(i+j)%len(data.People)]
				batch.WriteString(" " + field(fmt.Sprintf("o%d", j), other.Identifiers[0]))
			}
			batched := g.Post(batch.String()+" }", nil)
			var a, b map[string]json.RawMessage
			if json.Unmarshal(alone.Data, &a) != nil || json.Unmarshal(batched.Data, &b) != nil || string(a["x"]) != string(b["x"]) {
				t.Fatalf("%v alone: %s\nbatched: %s", id, alone.Raw, batched.Raw)
			}
		}
	}
}
