// Package resolvers implements the GraphQL schema: each resolver translates its arguments to a
// call into the agent desk service or the settings and the answer back, reporting source
// failures beside the data they did not prevent.
package resolvers

import (
	"github.com/profilegate/profilegate/desk"
	"github.com/profilegate/profilegate/settings"
)

// Resolver is the root resolver; it holds the gateway's dependencies.
type Resolver struct {
	// Desk answers customer headers, profile searches and profiles by id.
	Desk *desk.Service
	// Settings reads and changes the versioned settings.
	SettingsService *settings.Service
	// MaxPageSize bounds `first`; MaxPageSize when zero.
	MaxPageSize int
}

func (r *Resolver) maxPage() int {
	if r.MaxPageSize > 0 {
		return r.MaxPageSize
	}
	return MaxPageSize
}
