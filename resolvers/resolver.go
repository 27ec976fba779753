// Package resolvers implements the GraphQL schema: each resolver translates its arguments to a
// call into the profile directory and the answer back, reporting source failures beside the
// data they did not prevent.
package resolvers

import (
	"time"

	"github.com/profilegate/profilegate/header"
	"github.com/profilegate/profilegate/profile"
)

// Resolver is the root resolver; it holds the gateway's dependencies.
type Resolver struct {
	Directory *profile.Directory
	Header    header.Settings
	// Now is the clock headers are rendered against ("7 years").
	Now func() time.Time
}
