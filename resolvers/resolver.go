// Package resolvers implements the GraphQL schema: each resolver translates its arguments to a
// call into the profile directory or the settings and the answer back, reporting source
// failures beside the data they did not prevent.
package resolvers

import (
	"time"

	"github.com/profilegate/profilegate/settings"
)

// Resolver is the root resolver; it holds the gateway's dependencies.
type Resolver struct {
	// Config holds the current settings and the directory and header settings they drive.
	Config *settings.Service
	// Now is the clock headers are rendered against ("7 years").
	Now func() time.Time
	// MaxPageSize bounds `first`; MaxPageSize when zero.
	MaxPageSize int
}

func (r *Resolver) maxPage() int {
	if r.MaxPageSize > 0 {
		return r.MaxPageSize
	}
	return MaxPageSize
}
