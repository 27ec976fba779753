package resolvers

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/profilegate/profilegate/auth"
	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/graph/model"
)

// HasRole implements the @hasRole directive: the field resolves only for callers whose role
// allows it.
func HasRole(ctx context.Context, _ any, next graphql.Resolver, role model.Role) (any, error) {
	need := auth.Role(strings.ToLower(string(role)))
	p := auth.For(ctx)
	if p == nil {
		return nil, errcode.Errorf(errcode.Unauthenticated, "the request carries no credentials")
	}
	if !p.Role.Allows(need) {
		return nil, errcode.Errorf(errcode.Forbidden, "this needs the %s role; %s has %s", need, p.Name, roleName(p.Role))
	}
	return next(ctx)
}

func roleName(r auth.Role) string {
	if r == "" {
		return "no role"
	}
	return "the " + string(r) + " role"
}
