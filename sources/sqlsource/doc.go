// Package sqlsource implements profile.Source over a SQL database (SQLite through
// modernc.org/sqlite, PostgreSQL through pgx) in the two shapes profile data comes in:
// a record table, one row per contact as a CRM keeps them, and an identity graph, an
// identifiers table and a traits table as Segment Profiles Sync materializes them.
//
// Table and column names come from configuration and are validated and quoted; every value
// from a request is a query parameter. Identifiers are queried in every format the
// configuration says a column stores them in, so the column's index is used, and normalized
// on the way out.
package sqlsource
