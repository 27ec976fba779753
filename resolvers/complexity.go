package resolvers

import (
	"github.com/profilegate/profilegate/graph"
	"github.com/profilegate/profilegate/graph/model"
	"github.com/profilegate/profilegate/history"
)

// lookupCost is what a field that asks every source weighs beyond its selection.
const lookupCost = 10

// Complexity weighs the fields that cost more than their selection: a lookup asks every
// source, and a page weighs its size times its node. Only Int arguments (page sizes) may
// change a weight: guard.Complexity remembers the weight of operations without Int variables.
func Complexity(maxPage int) graph.ComplexityRoot {
	var c graph.ComplexityRoot
	size := func(first *int) int {
		if first == nil || *first < 1 || *first > maxPage {
			return DefaultPageSize
		}
		return *first
	}
	c.Query.CustomerHeader = func(child int, _ model.IdentifierInput) int { return lookupCost + child }
	c.Query.Profile = func(child int, _ string) int { return lookupCost + child }
	c.Query.SearchProfiles = func(child int, _ model.IdentifierInput, first *int, _ *string) int {
		return lookupCost + size(first)*child
	}
	c.Query.SettingsHistory = func(child int, first *int, _ *int) int { return size(first) * child }
	c.Query.CustomerDetails = func(child int, _ string) int { return lookupCost + child }
	// A history page resolves the profile, then asks every history source.
	c.Query.CustomerHistory = func(child int, _ string, first *int, _ *string, _ *history.Filter) int {
		return 2*lookupCost + size(first)*child
	}
	return c
}
