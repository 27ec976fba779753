package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// migration is one schema change, written once per dialect.
type migration struct {
	sqlite, postgres string
}

// migrations are applied in order, each exactly once; append, never edit.
var migrations = []migration{
	{
		sqlite: `CREATE TABLE unidentified_contacts (
	identifier_key   TEXT NOT NULL,
	identifier_value TEXT NOT NULL,
	first_seen       DATETIME NOT NULL,
	last_seen        DATETIME NOT NULL,
	contact_count    INTEGER NOT NULL,
	PRIMARY KEY (identifier_key, identifier_value)
)`,
		postgres: `CREATE TABLE unidentified_contacts (
	identifier_key   TEXT NOT NULL,
	identifier_value TEXT NOT NULL,
	first_seen       TIMESTAMPTZ NOT NULL,
	last_seen        TIMESTAMPTZ NOT NULL,
	contact_count    INTEGER NOT NULL,
	PRIMARY KEY (identifier_key, identifier_value)
)`,
	},
	{
		sqlite: `CREATE TABLE settings (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	version    INTEGER NOT NULL,
	body       TEXT NOT NULL,
	updated_at DATETIME NOT NULL,
	updated_by TEXT NOT NULL
);
CREATE TABLE settings_history (
	version     INTEGER PRIMARY KEY,
	changed_at  DATETIME NOT NULL,
	changed_by  TEXT NOT NULL,
	before_body TEXT,
	after_body  TEXT NOT NULL
)`,
		postgres: `CREATE TABLE settings (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	version    INTEGER NOT NULL,
	body       TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	updated_by TEXT NOT NULL
);
CREATE TABLE settings_history (
	version     INTEGER PRIMARY KEY,
	changed_at  TIMESTAMPTZ NOT NULL,
	changed_by  TEXT NOT NULL,
	before_body TEXT,
	after_body  TEXT NOT NULL
)`,
	},
	{
		// The match index: each source's identifiers as profilegate normalizes them, by the
		// source's record id, so stored values in any spelling are found; and per source, how
		// far the index is built and who maintains it.
		sqlite: `CREATE TABLE match_index (
	source    TEXT NOT NULL,
	key       TEXT NOT NULL,
	value     TEXT NOT NULL,
	record_id TEXT NOT NULL,
	PRIMARY KEY (source, key, value, record_id)
) WITHOUT ROWID;
CREATE INDEX match_index_by_record ON match_index (source, record_id);
CREATE TABLE match_index_state (
	source        TEXT PRIMARY KEY,
	shape         TEXT NOT NULL,
	built         INTEGER NOT NULL,
	watermark     TEXT NOT NULL,
	rows          INTEGER NOT NULL,
	refreshed_at  DATETIME NOT NULL,
	reconciled_at DATETIME NOT NULL,
	lease_owner   TEXT NOT NULL,
	lease_until   DATETIME NOT NULL
)`,
		postgres: `CREATE TABLE match_index (
	source    TEXT NOT NULL,
	key       TEXT NOT NULL,
	value     TEXT NOT NULL,
	record_id TEXT NOT NULL,
	PRIMARY KEY (source, key, value, record_id)
);
CREATE INDEX match_index_by_record ON match_index (source, record_id);
CREATE TABLE match_index_state (
	source        TEXT PRIMARY KEY,
	shape         TEXT NOT NULL,
	built         BOOLEAN NOT NULL,
	watermark     TEXT NOT NULL,
	rows          BIGINT NOT NULL,
	refreshed_at  TIMESTAMPTZ NOT NULL,
	reconciled_at TIMESTAMPTZ NOT NULL,
	lease_owner   TEXT NOT NULL,
	lease_until   TIMESTAMPTZ NOT NULL
)`,
	},
	{
		// Retention prunes unidentified contacts by their last contact, oldest first.
		sqlite:   `CREATE INDEX unidentified_contacts_last_seen ON unidentified_contacts (last_seen)`,
		postgres: `CREATE INDEX unidentified_contacts_last_seen ON unidentified_contacts (last_seen)`,
	},
	{
		// A full rebuild writes its entries under a key of its own, in short transactions, and
		// then switches the index to them: entries is the key lookups read ('' is the source's
		// name), building the key of a rebuild under way, whose leftovers the next one drops.
		sqlite: `ALTER TABLE match_index_state ADD COLUMN entries TEXT NOT NULL DEFAULT '';
ALTER TABLE match_index_state ADD COLUMN building TEXT NOT NULL DEFAULT ''`,
		postgres: `ALTER TABLE match_index_state ADD COLUMN entries TEXT NOT NULL DEFAULT '';
ALTER TABLE match_index_state ADD COLUMN building TEXT NOT NULL DEFAULT ''`,
	},
}

// contactMigrations build a contacts database of its own: the contacts table and its index,
// as in the store's.
var contactMigrations = []migration{migrations[0], migrations[3]}

// migrationLock is the PostgreSQL advisory lock key that serializes replicas migrating at once.
const migrationLock = 0x70726f66 // "prof"

// migrate applies to db the migrations of list it has not had.
func migrate(ctx context.Context, db *sqlx.DB, list []migration) error {
	postgres := db.DriverName() == "pgx"
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return err
	}
	var applied int
	if err := tx.GetContext(ctx, &applied, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`); err != nil {
		return err
	}
	for v := applied + 1; v <= len(list); v++ {
		stmt := list[v-1].sqlite
		if postgres {
			stmt = list[v-1].postgres
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO schema_migrations (version) VALUES (?)`), v); err != nil {
			return err
		}
	}
	return tx.Commit()
}
