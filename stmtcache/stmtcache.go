// Package stmtcache keeps prepared statements by their text, so the small queries the gateway
// sends on every request are parsed and planned once per database, not once per request:
// on SQLite, preparing the match index's lookup was a third of a customer header's CPU.
package stmtcache

import (
	"context"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
)

// Cache holds up to Max prepared statements of one database. A lookup's text depends only on
// which keys it asks and how many values, so a few shapes cover nearly all traffic; rarer
// shapes beyond the bound run unprepared. The zero value holds none; statements live as long
// as the database.
type Cache struct {
	DB  *sqlx.DB
	Max int

	mu    sync.Mutex
	stmts map[string]*sqlx.Stmt

	walOnce sync.Once
	wal     bool // a SQLite file in WAL mode, asked once
}

// New returns a cache of up to max statements of db.
func New(db *sqlx.DB, max int) *Cache { return &Cache{DB: db, Max: max} }

// Queryx runs q (in the database's bind style) with args, prepared when the cache has room.
func (c *Cache) Queryx(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	st, err := c.get(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.DB.QueryxContext(ctx, q, args...)
	}
	return st.QueryxContext(ctx, args...)
}

// PointQueryx runs q as Queryx does, for a point read: one whose plan SEARCHes an index (a
// primary-key probe, a lookup Explain found no scan in), which ends on its own within moments.
// On a SQLite file in WAL mode, where a reader does not wait for a writer's lock, it runs without
// ctx's cancellation, after checking that ctx has not ended: for a statement whose context can
// end, the driver (modernc) and database/sql each start a goroutine to watch it, and the driver
// has SQLite call a progress handler every 1000 steps. On a customer header's ten statements
// that was a tenth of the gateway's CPU. Elsewhere it keeps ctx: in SQLite's other journal modes
// a reader can wait for a writer up to the busy timeout, and on PostgreSQL a statement waits on
// the network.
func (c *Cache) PointQueryx(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	if !c.readersNeverWait(ctx) {
		return c.Queryx(ctx, q, args...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Queryx(context.WithoutCancel(ctx), q, args...)
}

// readersNeverWait reports whether the database is a SQLite file in WAL mode, asking it once.
// The journal mode of a WAL file persists; the DSNs profilegate writes (config.SQLiteDSN) set it.
func (c *Cache) readersNeverWait(ctx context.Context) bool {
	if c.DB.DriverName() != "sqlite" {
		return false
	}
	c.walOnce.Do(func() {
		var mode string
		err := c.DB.QueryRowContext(context.WithoutCancel(ctx), "PRAGMA journal_mode").Scan(&mode)
		c.wal = err == nil && strings.EqualFold(mode, "wal")
	})
	return c.wal
}

// QueryRowx runs q with args, prepared when the cache has room, for at most one row.
func (c *Cache) QueryRowx(ctx context.Context, q string, args ...any) *sqlx.Row {
	st, err := c.get(ctx, q)
	switch {
	case err != nil:
		return c.DB.QueryRowxContext(ctx, q, args...) // it fails the same way, as a Row
	case st == nil:
		return c.DB.QueryRowxContext(ctx, q, args...)
	}
	return st.QueryRowxContext(ctx, args...)
}

// get returns the prepared statement for q, or nil when the cache is full. It prepares outside
// the lock, so a database slow to prepare holds up only the queries that need that statement.
func (c *Cache) get(ctx context.Context, q string) (*sqlx.Stmt, error) {
	c.mu.Lock()
	st, ok := c.stmts[q]
	full := len(c.stmts) >= c.Max
	c.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := c.DB.PreparexContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[q]; ok {
		st.Close()
		return prev, nil
	}
	if c.stmts == nil {
		c.stmts = map[string]*sqlx.Stmt{}
	}
	c.stmts[q] = st
	return st, nil
}
