package guard

import (
	"context"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/profilegate/profilegate/errcode"
)

// Complexity refuses an operation weighing more than Max by the schema's complexity functions,
// as gqlgen's FixedComplexityLimit does (same code, message and stats), but weighs a document
// once rather than per request when no variable can change its weight: the complexity
// functions read only Int arguments (page sizes), so an operation without Int variables
// weighs the same every time it is sent. Weighing was 1 % of a customer header's CPU. A
// complexity function that reads an argument of another type must widen intVariables.
type Complexity struct {
	Max   int
	es    graphql.ExecutableSchema
	known *lru.LRU[int] // weight by query text, for single-operation documents without Int variables
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*Complexity)(nil)

// NewComplexity returns the limit, remembering the weights of up to 1000 queries.
func NewComplexity(max int) *Complexity {
	return &Complexity{Max: max, known: lru.New[int](1000)}
}

// ExtensionName names the extension as gqlgen's, so GetComplexityStats finds its stats.
func (*Complexity) ExtensionName() string { return "ComplexityLimit" }

// Validate keeps the schema whose complexity functions weigh the operations.
func (c *Complexity) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

// MutateOperationContext weighs the operation and refuses it over the limit.
func (c *Complexity) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	op := rc.Doc.Operations.ForName(rc.OperationName)
	if op == nil {
		return nil // validation has refused it
	}
	fixed := len(rc.Doc.Operations) == 1 && !intVariables(op)
	weight, ok := 0, false
	if fixed {
		weight, ok = c.known.Get(ctx, rc.RawQuery)
	}
	if !ok {
		weight = complexity.Calculate(ctx, c.es, op, rc.Variables)
		if fixed {
			c.known.Add(ctx, rc.RawQuery, weight)
		}
	}
	rc.Stats.SetExtension(c.ExtensionName(), &extension.ComplexityStats{Complexity: weight, ComplexityLimit: c.Max})
	if weight > c.Max {
		return refuse(errcode.ComplexityLimitExceeded, "operation has complexity %d, which exceeds the limit of %d", weight, c.Max)
	}
	return nil
}

// intVariables reports whether op declares a variable of type Int, or a list of them.
func intVariables(op *ast.OperationDefinition) bool {
	for _, v := range op.VariableDefinitions {
		t := v.Type
		for t.Elem != nil {
			t = t.Elem
		}
		if t.NamedType == "Int" {
			return true
		}
	}
	return false
}
