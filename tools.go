//go:build tools

// Package tools pins the code generators the build depends on, so `go generate` uses the
// versions recorded in go.mod.
package tools

import (
	_ "github.com/99designs/gqlgen"
	_ "github.com/Khan/genqlient"
)
