// Package store is the gateway's own database: the unidentified contacts it has recorded.
// It runs on the embedded SQLite by default and on PostgreSQL when configured, and migrates
// its schema on open.
package store
