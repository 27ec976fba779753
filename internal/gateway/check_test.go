package gateway_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/gateway"
	"github.com/profilegate/profilegate/internal/gatewaytest"
	"github.com/profilegate/profilegate/internal/messydata"
)

// TestCheck: on tables with no index but the CRM's primary key, profilegate check reports each
// lookup that reads a whole table with the CREATE INDEX statement that fixes it; once those
// statements have run, every lookup uses an index.
func TestCheck(t *testing.T) {
	for _, backend := range gatewaytest.Backends {
		t.Run(backend, func(t *testing.T) {
			cfg := gatewaytest.DemoConfig(t, backend)
			crm, wh := cfg.Sources[0].Database, cfg.Sources[1].Database
			if backend == "sqlite" {
				crm.DSN, wh.DSN = config.SQLiteDSN(t.TempDir()+"/crm.db"), config.SQLiteDSN(t.TempDir()+"/warehouse.db")
			}
			cfg.Sources = messySources(crm, wh)
			cfg.Sources[0].Records.Identifiers[0].StoredAs = []string{"mixed_case"} // compared as lower(email)
			if err := messydata.Generate(1, 30).Load(context.Background(), gatewaytest.OpenDB(t, crm), gatewaytest.OpenDB(t, wh)); err != nil {
				t.Fatal(err)
			}
			advice, err := gateway.Check(context.Background(), cfg, false)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			good := gateway.WriteAdvice(&out, advice)
			t.Logf("advice:\n%s", &out)
			if good {
				t.Fatalf("tables without indexes passed:\n%s", &out)
			}
			var fixes []string
			for _, a := range advice {
				for _, p := range a.Plans {
					if p.Fix != "" && !slices.Contains(fixes, a.Source+": "+p.Fix) {
						fixes = append(fixes, a.Source+": "+p.Fix)
					}
				}
			}
			for _, want := range []string{
				"crm: CREATE INDEX contacts_email_lookup ON contacts (lower(email));",
				"crm: CREATE INDEX contacts_phone_lookup ON contacts (phone);",
				"warehouse: CREATE INDEX user_identifiers_type_value_lookup ON user_identifiers (type, value);",
				"warehouse: CREATE INDEX user_identifiers_canonical_segment_id_lookup ON user_identifiers (canonical_segment_id);",
				"warehouse: CREATE INDEX user_traits_canonical_segment_id_lookup ON user_traits (canonical_segment_id);",
				"crm: CREATE INDEX contacts_updated_at_lookup ON contacts (updated_at);",                     // the match index's refresh
				"warehouse: CREATE INDEX user_identifiers_timestamp_lookup ON user_identifiers (timestamp);", // likewise
			} {
				if !strings.Contains(strings.Join(fixes, "\n"), want) {
					t.Errorf("advice lacks %q:\n%s", want, &out)
				}
			}
			if strings.Contains(out.String(), "record id from the match index (id) reads") {
				t.Errorf("the CRM's primary key serves lookups by id:\n%s", &out)
			}
			for _, fix := range fixes {
				source, stmt, _ := strings.Cut(fix, ": ")
				db := crm
				if source == "warehouse" {
					db = wh
				}
				gatewaytest.OpenDB(t, db).MustExec(stmt)
			}
			advice, err = gateway.Check(context.Background(), cfg, false)
			out.Reset()
			if err != nil || !gateway.WriteAdvice(&out, advice) || !strings.Contains(out.String(), "All lookups use an index.") {
				t.Fatalf("after the advised indexes: %v\n%s", err, &out)
			}
		})
	}
}
