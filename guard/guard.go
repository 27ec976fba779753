package guard

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/profilegate/profilegate/errcode"
)

// Limits bounds the size and shape of an operation; a zero limit is no limit.
type Limits struct {
	// MaxTokens bounds the lexical tokens of a query, counted before it is parsed.
	MaxTokens int
	// MaxDepth bounds how deep fields nest; introspection (__schema, __type) is not counted,
	// so GraphiQL and codegen tools can read the schema.
	MaxDepth int
	// MaxRootFields bounds the root fields of an operation, aliases included: each is a lookup.
	MaxRootFields int
	// MaxAliases bounds the aliased fields of an operation.
	MaxAliases int
	// NoIntrospection refuses operations that read the schema (__schema, __type).
	NoIntrospection bool
	// Parsed, when set, is the server's cache of parsed queries: a query found in it passed
	// the token count when it was first sent, and is not lexed again.
	Parsed graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = Limits{}

// ExtensionName names the extension for gqlgen.
func (Limits) ExtensionName() string { return "OperationLimits" }

// Validate accepts any schema.
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses a query over the token limit, or nesting deeper than the
// parser allows, before it is parsed: a lexer pass that stops at the limit, so a huge query
// costs no more than a small one, and the refusal has its own code rather than the parser's
// GRAPHQL_PARSE_FAILED. Use it after the persisted-query extension, which fills the query in.
func (l Limits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if l.Parsed != nil {
		if _, ok := l.Parsed.Get(ctx, p.Query); ok {
			return nil
		}
	}
	lex := lexer.New(&ast.Source{Input: p.Query})
	tokens, depth := 0, 0
	for {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil // the parser reports a lexical error with its position
		}
		if tokens++; l.MaxTokens > 0 && tokens > l.MaxTokens {
			return refuse(errcode.TokenLimitExceeded, "the query exceeded token limit of %d tokens; send a smaller query", l.MaxTokens)
		}
		switch tok.Kind {
		case lexer.BraceL, lexer.BracketL:
			if depth++; depth > parser.MaxNestingDepth {
				return refuse(errcode.DepthLimitExceeded, "the query exceeded maximum nesting depth of %d", parser.MaxNestingDepth)
			}
		case lexer.BraceR, lexer.BracketR:
			depth--
		}
	}
}

// MutateOperationContext refuses an operation over a limit, before anything is executed.
func (l Limits) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	s := shape{doc: rc.Doc}
	s.walk(rc.Operation.SelectionSet, 1, true)
	switch {
	case l.NoIntrospection && s.introspection:
		return refuse(errcode.IntrospectionDisabled, "introspection is turned off on this gateway: the schema is published as schema.graphqls")
	case l.MaxRootFields > 0 && s.rootFields > l.MaxRootFields:
		return refuse(errcode.RootFieldLimitExceeded, "the operation has %d root fields (aliases included), more than the limit of %d; split it into several requests", s.rootFields, l.MaxRootFields)
	case l.MaxAliases > 0 && s.aliases > l.MaxAliases:
		return refuse(errcode.AliasLimitExceeded, "the operation has %d aliased fields, more than the limit of %d", s.aliases, l.MaxAliases)
	case l.MaxDepth > 0 && s.depth > l.MaxDepth:
		return refuse(errcode.DepthLimitExceeded, "the operation nests fields %d deep, more than the limit of %d", s.depth, l.MaxDepth)
	}
	return nil
}

func refuse(code errcode.Code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": string(code)}
	return err
}

// shape measures an operation. Validation has run, so fragment spreads are resolved and do
// not cycle.
type shape struct {
	doc                        *ast.QueryDocument
	depth, rootFields, aliases int
	introspection              bool
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
				s.introspection = s.introspection || sel.Name == "__schema" || sel.Name == "__type"
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
