// Package guard owns the limits every GraphQL operation must keep so that no client can make
// the gateway do unbounded work: nesting depth, root fields, aliases, complexity (lookups
// weigh more than fields, pages weigh their size) and the parser's token budget.
package guard
