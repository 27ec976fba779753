package guard

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The codes of refused operations, beside gqlgen's COMPLEXITY_LIMIT_EXCEEDED.
const (
	CodeDepth      = "DEPTH_LIMIT_EXCEEDED"
	CodeRootFields = "ROOT_FIELD_LIMIT_EXCEEDED"
	CodeAliases    = "ALIAS_LIMIT_EXCEEDED"
	CodeTokens     = "TOKEN_LIMIT_EXCEEDED"
)

// Limits bounds the shape of an operation; a zero limit is no limit.
type Limits struct {
	// MaxDepth bounds how deep fields nest; introspection (__schema, __type) is not counted,
	// so GraphiQL and codegen tools can read the schema.
	MaxDepth int
	// MaxRootFields bounds the root fields of an operation, aliases included: each is a lookup.
	MaxRootFields int
	// MaxAliases bounds the aliased fields of an operation.
	MaxAliases int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = Limits{}

// ExtensionName names the extension for gqlgen.
func (Limits) ExtensionName() string { return "OperationLimits" }

// Validate accepts any schema.
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext refuses an operation over a limit, before anything is executed.
func (l Limits) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	s := shape{doc: rc.Doc}
	s.walk(rc.Operation.SelectionSet, 1, true)
	switch {
	case l.MaxRootFields > 0 && s.rootFields > l.MaxRootFields:
		return refuse(CodeRootFields, "the operation has %d root fields (aliases included), more than the limit of %d; split it into several requests", s.rootFields, l.MaxRootFields)
	case l.MaxAliases > 0 && s.aliases > l.MaxAliases:
		return refuse(CodeAliases, "the operation has %d aliased fields, more than the limit of %d", s.aliases, l.MaxAliases)
	case l.MaxDepth > 0 && s.depth > l.MaxDepth:
		return refuse(CodeDepth, "the operation nests fields %d deep, more than the limit of %d", s.depth, l.MaxDepth)
	}
	return nil
}

func refuse(code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, code)
	return err
}

// shape measures an operation. Validation has run, so fragment spreads are resolved and do
// not cycle.
type shape struct {
	doc                        *ast.QueryDocument
	depth, rootFields, aliases int
}

func (s *shape) walk(set ast.SelectionSet, depth int, root bool) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if root {
				s.rootFields++
			}
			if sel.Alias != "" && sel.Alias != sel.Name {
				s.aliases++
			}
			if strings.HasPrefix(sel.Name, "__") {
				continue
			}
			s.depth = max(s.depth, depth)
			s.walk(sel.SelectionSet, depth+1, false)
		case *ast.InlineFragment:
			s.walk(sel.SelectionSet, depth, root)
		case *ast.FragmentSpread:
			if def := s.fragment(sel); def != nil {
				s.walk(def.SelectionSet, depth, root)
			}
		}
	}
}

func (s *shape) fragment(spread *ast.FragmentSpread) *ast.FragmentDefinition {
	if spread.Definition != nil {
		return spread.Definition
	}
	return s.doc.Fragments.ForName(spread.Name)
}
