package gateway

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/profilegate/profilegate/errcode"
)

// persistedQueries is gqlgen's automatic persisted queries with a code on every refusal: its
// own errors for a malformed hash, a hash that does not match the query or an unknown
// version carry none.
type persistedQueries struct {
	extension.AutomaticPersistedQuery
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = persistedQueries{}

// MutateOperationParameters fills the query in from its hash, as gqlgen's extension does.
func (p persistedQueries) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	err := p.AutomaticPersistedQuery.MutateOperationParameters(ctx, raw)
	if err != nil && err.Extensions["code"] == nil {
		err.Extensions = map[string]any{"code": string(errcode.PersistedQueryInvalid)}
	}
	return err
}
