// Package settings owns what admins change at run time: the identifiers and their priority,
// the traits, the customer header's fields, which identifiers agents may search by, the
// components that are on and how unidentified profiles are shown. It validates a change as a
// whole, keeps the settings versioned in the gateway's store (a change names the version it
// read, so concurrent writers cannot overwrite each other), records every change, gates the
// header and search settings for Flex UI clients older than 2.8.0, and turns the current
// settings into the profile directory and header settings requests are answered with.
package settings
