// Package profile owns identity resolution: what an identifier is and how it is normalized,
// what a source must offer (a batch lookup by identifiers), and how records found in several
// sources are stitched and merged into people, ranked, and given stable ids.
//
// It is plain Go: no HTTP, no SQL. Sources, the gateway's store and the per-request loaders
// implement the small interfaces declared here.
package profile
