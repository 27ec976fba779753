package demo

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/profilegate/profilegate/sources/sqlsource"
)

// CRMTable is the demo CRM's contacts table as a record-table source.
func CRMTable() sqlsource.RecordTable {
	return sqlsource.RecordTable{
		Table:         "contacts",
		IDColumn:      "id",
		UpdatedColumn: "updated_at",
		Identifiers: []sqlsource.IdentifierColumn{
			{Column: "email", Key: "email", StoredAs: []string{sqlsource.StoredMixedCase}},
			{Column: "phone", Key: "phonenumber", StoredAs: []string{sqlsource.StoredAnyPhone}},
		},
		Traits: []sqlsource.TraitColumn{
			{Column: "first_name", Key: "first_name"},
			{Column: "last_name", Key: "last_name"},
			{Column: "customer_since", Key: "customer_since"},
			{Column: "profile_image_url", Key: "profile_image_url"},
		},
	}
}

// WarehouseGraph is the demo warehouse as an identity-graph source, named as Segment
// Profiles Sync names its tables; Segment calls phone numbers "phone".
func WarehouseGraph() sqlsource.IdentityGraph {
	g := sqlsource.IdentityGraph{
		Types:    map[string]string{"phone": "phonenumber"},
		StoredAs: map[string][]string{"phonenumber": {"e164"}},
	}
	g.SegmentDefaults()
	return g
}

// Contact is one row of the demo CRM.
type Contact struct {
	ID, FirstName, LastName, Email, Phone, CustomerSince, ImageURL, UpdatedAt string
}

// Contacts are the demo CRM's rows, stored as CRM users typed them: Ada's email in mixed case,
// her phone with dots (a spelling no stored_as names: the match index finds it), Katherine's
// email with a trailing space.
var Contacts = []Contact{
	{"c-1", "Ada", "Lovelace", "Ada.Lovelace@Example.com", "415.555.0100", "2019-03-04", "https://example.com/avatars/ada.png", "2026-10-01T09:00:00Z"},
	{"c-2", "Grace", "Hopper", "grace.hopper@example.com", "+1 415 555 0199", "2021-06-15", "", "2026-09-12T10:30:00Z"},
	{"c-3", "Alan", "Turing", "alan.turing@example.com", "+1 415 555 0199", "2023-01-20", "", "2026-11-02T16:45:00Z"},
	{"c-4", "Katherine", "Johnson", "katherine@example.com ", "", "2024-08-26", "", "2026-05-20T08:00:00Z"},
}

// GraphRow is one identifier or trait row of the demo warehouse.
type GraphRow struct {
	ProfileID, Name, Value, Timestamp string
}

// WarehouseIdentifiers are the demo warehouse's identifier rows.
var WarehouseIdentifiers = []GraphRow{
	{"seg-ada", "user_id", "u-1001", "2026-11-20T12:00:00Z"},
	{"seg-ada", "phone", "+14155550100", "2026-11-20T12:00:00Z"},
	{"seg-ada", "anonymous_id", "anon-42", "2026-11-20T12:00:00Z"},
	{"seg-linus", "user_id", "u-1002", "2026-07-01T12:00:00Z"},
	{"seg-linus", "email", "linus@example.com", "2026-07-01T12:00:00Z"},
	{"seg-visitor", "anonymous_id", "anon-77", "2026-11-28T08:00:00Z"},
	{"seg-visitor", "email", "visitor@example.com", "2026-11-28T08:00:00Z"},
	{"seg-grace", "email", "grace.hopper@example.com", "2026-08-01T09:00:00Z"},
	{"seg-alan", "email", "alan.turing@example.com", "2026-08-01T09:00:00Z"},
}

// WarehouseTraits are the demo warehouse's trait rows.
var WarehouseTraits = []GraphRow{
	{"seg-ada", "plan", "gold", "2026-11-20T12:00:00Z"},
	{"seg-ada", "lifetime_value", "1234.50", "2026-11-20T12:00:00Z"},
	{"seg-linus", "first_name", "Linus", "2026-07-01T12:00:00Z"},
	{"seg-linus", "last_name", "Torvalds", "2026-07-01T12:00:00Z"},
	{"seg-linus", "plan", "silver", "2026-07-01T12:00:00Z"},
	{"seg-visitor", "plan", "trial", "2026-11-28T08:00:00Z"},
}

// CRMSchema creates the demo CRM's contacts table with the indexes its lookups use; the
// benchmark's generated CRMs (package bench) have the same.
var CRMSchema = []string{
	`CREATE TABLE contacts (id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT, phone TEXT,
			customer_since TEXT, profile_image_url TEXT, updated_at TEXT)`,
	`CREATE INDEX contacts_email_lower ON contacts (lower(email))`,
	`CREATE INDEX contacts_phone ON contacts (phone)`,
	`CREATE INDEX contacts_updated_at ON contacts (updated_at)`,
}

// WarehouseSchema creates the demo warehouse's identity graph, as Segment Profiles Sync names
// it, with the indexes its lookups use.
var WarehouseSchema = []string{
	`CREATE TABLE user_identifiers (canonical_segment_id TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, timestamp TEXT)`,
	`CREATE INDEX user_identifiers_type_value ON user_identifiers (type, value)`,
	`CREATE INDEX user_identifiers_profile ON user_identifiers (canonical_segment_id)`,
	`CREATE INDEX user_identifiers_timestamp ON user_identifiers (timestamp)`,
	`CREATE TABLE user_traits (canonical_segment_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT, timestamp TEXT)`,
	`CREATE INDEX user_traits_profile ON user_traits (canonical_segment_id)`,
}

// SeedCRM creates the demo CRM's table in db, with the indexes its lookups use, and fills it.
// It is a no-op when the table already exists, so a restart keeps what a user changed.
func SeedCRM(ctx context.Context, db *sqlx.DB) error {
	return seed(ctx, db, CRMSchema, func(tx *sqlx.Tx) error {
		for _, c := range Contacts {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
				c.ID, c.FirstName, c.LastName, c.Email, null(c.Phone), c.CustomerSince, null(c.ImageURL), c.UpdatedAt); err != nil {
				return err
			}
		}
		return nil
	})
}

// SeedWarehouse creates the demo warehouse's identity graph in db and fills it; a no-op when
// it already exists.
func SeedWarehouse(ctx context.Context, db *sqlx.DB) error {
	return seed(ctx, db, WarehouseSchema, func(tx *sqlx.Tx) error {
		for table, rows := range map[string][]GraphRow{"user_identifiers": WarehouseIdentifiers, "user_traits": WarehouseTraits} {
			for _, r := range rows {
				if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO `+table+` VALUES (?, ?, ?, ?)`),
					r.ProfileID, r.Name, r.Value, r.Timestamp); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// seed runs schema and fill in one transaction unless the first table already exists.
func seed(ctx context.Context, db *sqlx.DB, schema []string, fill func(*sqlx.Tx) error) error {
	var table string
	fmt.Sscanf(schema[0], "CREATE TABLE %s", &table)
	var n int
	if err := db.GetContext(ctx, &n, `SELECT COUNT(*) FROM `+table); err == nil {
		return nil
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range schema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	if err := fill(tx); err != nil {
		return fmt.Errorf("demo: seed %s: %w", table, err)
	}
	return tx.Commit()
}

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}
