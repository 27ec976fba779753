package guard_test

import (
	"context"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/profilegate/profilegate/guard"
)

func code(err *gqlerror.Error) string {
	if err == nil {
		return ""
	}
	c, _ := err.Extensions["code"].(string)
	return c
}

func TestOperationLimits(t *testing.T) {
	limits := guard.Limits{MaxDepth: 3, MaxRootFields: 2, MaxAliases: 1}
	for _, tc := range []struct {
		name, query, code string
	}{
		{"OK", `{ a { b { c } } d }`, ""},
		{"RootFields", `{ a b c }`, "ROOT_FIELD_LIMIT_EXCEEDED"},
		{"RootFieldsThroughFragment", `{ a ...F } fragment F on Query { b c }`, "ROOT_FIELD_LIMIT_EXCEEDED"},
		{"Aliases", `{ x: a y: a }`, "ALIAS_LIMIT_EXCEEDED"},
		{"AliasSameAsName", `{ a: a b: b }`, ""},
		{"Depth", `{ a { b { c { d } } } }`, "DEPTH_LIMIT_EXCEEDED"},
		{"DepthThroughFragment", `{ a { ...F } } fragment F on A { b { c { d } } }`, "DEPTH_LIMIT_EXCEEDED"},
		{"DepthThroughInlineFragment", `{ a { ... on A { b { c { d } } } } }`, "DEPTH_LIMIT_EXCEEDED"},
		{"IntrospectionNotCounted", `{ __schema { types { fields { type { name } } } } }`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parser.ParseQuery(&ast.Source{Input: tc.query})
			if err != nil {
				t.Fatal(err)
			}
			rc := &graphql.OperationContext{RawQuery: tc.query, Doc: doc, Operation: doc.Operations[0]}
			if got := code(limits.MutateOperationContext(context.Background(), rc)); got != tc.code {
				t.Fatalf("code %q, want %q", got, tc.code)
			}
		})
	}
}

func TestQuerySize(t *testing.T) {
	limits := guard.Limits{MaxTokens: 10}
	for _, tc := range []struct {
		name, query, code string
	}{
		{"OK", `{ a { b } }`, ""},
		{"Tokens", `{ a b c d e f g h i j k }`, "TOKEN_LIMIT_EXCEEDED"},
		{"LexicalErrorLeftToTheParser", `{ a "unterminated`, ""},
		{"NestingBeyondTheParser", strings.Repeat("{a", 1001) + strings.Repeat("}", 1001), "DEPTH_LIMIT_EXCEEDED"},
		{"NestedListValue", `{ a(x: ` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + `) }`, "DEPTH_LIMIT_EXCEEDED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := limits
			if strings.HasPrefix(tc.name, "Nest") {
				l.MaxTokens = 0 // the nesting is the limit under test
			}
			if got := code(l.MutateOperationParameters(context.Background(), &graphql.RawParams{Query: tc.query})); got != tc.code {
				t.Fatalf("code %q, want %q", got, tc.code)
			}
		})
	}
	deep := strings.Repeat("{a", 999) + strings.Repeat("}", 999)
	if err := (guard.Limits{}).MutateOperationParameters(context.Background(), &graphql.RawParams{Query: deep}); err != nil {
		t.Fatalf("999 levels, which the parser takes: %v", err)
	}
}
