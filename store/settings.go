package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/profilegate/profilegate/settings"
)

var _ settings.Store = (*Store)(nil)

// InitSettings stores s as version 1, recorded as made by "config", unless settings are
// stored already; replicas starting at once store it exactly once.
func (s *Store) InitSettings(ctx context.Context, st *settings.Settings, at time.Time) error {
	body, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: init settings: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO settings (id, version, body, updated_at, updated_by)
VALUES (1, 1, ?, ?, 'config') ON CONFLICT (id) DO NOTHING`), string(body), at.UTC())
	if err != nil {
		return fmt.Errorf("store: init settings: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO settings_history (version, changed_at, changed_by, after_body)
VALUES (1, ?, 'config', ?)`), at.UTC(), string(body)); err != nil {
			return fmt.Errorf("store: init settings: %w", err)
		}
	}
	return tx.Commit()
}

type settingsRow struct {
	Version   int       `db:"version"`
	Body      string    `db:"body"`
	UpdatedAt time.Time `db:"updated_at"`
	UpdatedBy string    `db:"updated_by"`
}

// LoadSettings returns the stored settings.
func (s *Store) LoadSettings(ctx context.Context) (*settings.Versioned, error) {
	var r settingsRow
	if err := s.db.GetContext(ctx, &r, `SELECT version, body, updated_at, updated_by FROM settings WHERE id = 1`); err != nil {
		return nil, fmt.Errorf("store: load settings: %w", err)
	}
	v := &settings.Versioned{Version: r.Version, UpdatedAt: r.UpdatedAt.UTC(), UpdatedBy: r.UpdatedBy}
	if err := json.Unmarshal([]byte(r.Body), &v.Settings); err != nil {
		return nil, fmt.Errorf("store: settings version %d: %w", r.Version, err)
	}
	return v, nil
}

// SettingsVersion returns the stored settings' version.
func (s *Store) SettingsVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.db.GetContext(ctx, &v, `SELECT version FROM settings WHERE id = 1`); err != nil {
		return 0, fmt.Errorf("store: settings version: %w", err)
	}
	return v, nil
}

// SaveSettings stores next as version expected+1 and records the change, in one transaction.
// The update names the expected version, so of two writers that read the same version exactly
// one succeeds (PostgreSQL's row lock and SQLite's single writer make the second see zero rows).
func (s *Store) SaveSettings(ctx context.Context, expected int, before, next *settings.Settings, by string, at time.Time) (*settings.Versioned, error) {
	beforeBody, err := json.Marshal(before)
	if err != nil {
		return nil, err
	}
	nextBody, err := json.Marshal(next)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: save settings: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE settings SET version = version + 1, body = ?, updated_at = ?, updated_by = ?
WHERE id = 1 AND version = ?`), string(nextBody), at.UTC(), by, expected)
	if err != nil {
		return nil, fmt.Errorf("store: save settings: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, settings.ErrConflict
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO settings_history (version, changed_at, changed_by, before_body, after_body)
VALUES (?, ?, ?, ?, ?)`), expected+1, at.UTC(), by, string(beforeBody), string(nextBody)); err != nil {
		return nil, fmt.Errorf("store: record settings change: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: save settings: %w", err)
	}
	return &settings.Versioned{Settings: *next.Clone(), Version: expected + 1, UpdatedAt: at.UTC(), UpdatedBy: by}, nil
}

type changeRow struct {
	Version   int            `db:"version"`
	ChangedAt time.Time      `db:"changed_at"`
	ChangedBy string         `db:"changed_by"`
	Before    sql.NullString `db:"before_body"`
	After     string         `db:"after_body"`
}

// SettingsHistory returns up to limit changes older than version before (all when 0), newest first.
func (s *Store) SettingsHistory(ctx context.Context, before, limit int) ([]settings.Change, error) {
	if before <= 0 {
		before = int(^uint32(0) >> 1)
	}
	var rows []changeRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT version, changed_at, changed_by, before_body, after_body
FROM settings_history WHERE version < ? ORDER BY version DESC LIMIT ?`), before, limit); err != nil {
		return nil, fmt.Errorf("store: settings history: %w", err)
	}
	changes := make([]settings.Change, len(rows))
	for i, r := range rows {
		c := settings.Change{Version: r.Version, ChangedAt: r.ChangedAt.UTC(), ChangedBy: r.ChangedBy, After: &settings.Settings{}}
		if err := json.Unmarshal([]byte(r.After), c.After); err != nil {
			return nil, fmt.Errorf("store: settings version %d: %w", r.Version, err)
		}
		if r.Before.Valid {
			c.Before = &settings.Settings{}
			if err := json.Unmarshal([]byte(r.Before.String), c.Before); err != nil {
				return nil, fmt.Errorf("store: settings version %d: %w", r.Version, err)
			}
		}
		changes[i] = c
	}
	return changes, nil
}
