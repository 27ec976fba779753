// Package demo holds profilegate's embedded demo: a CRM and a data warehouse with a few
// contacts, seeded into any database the gateway supports, and the configuration that points
// the gateway at them. `go run .` uses it when no configuration is given; the tests use it as
// their fixture on SQLite and PostgreSQL alike.
package demo
