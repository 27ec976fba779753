package resolvers

import (
	"slices"

	"github.com/profilegate/profilegate/desk"
	"github.com/profilegate/profilegate/details"
	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/graph/model"
	"github.com/profilegate/profilegate/history"
	"github.com/profilegate/profilegate/profile"
)

// historyQuery validates a customerHistory's arguments; first nil leaves the page size to the
// history settings.
func historyQuery(first *int, after *string, filter *history.Filter, max int) (desk.HistoryQuery, error) {
	var q desk.HistoryQuery
	if first != nil {
		n, err := pageSize(first, max)
		if err != nil {
			return q, err
		}
		q.First = n
	}
	q.After = ptrOr(after, "")
	if filter != nil {
		q.Filter = *filter
		// Enums repeat nothing a query needs; a client sending one value a thousand times
		// must not make a statement with a thousand parameters.
		q.Filter.Kinds = unique(filter.Kinds)
		q.Filter.Channels = unique(filter.Channels)
		q.Filter.EventNames = unique(filter.EventNames)
		for _, name := range filter.EventNames {
			if len(name) > 256 {
				return q, errcode.Errorf(errcode.BadUserInput, "filter.eventNames: %q is longer than 256 bytes", errcode.Truncate(name, 32))
			}
		}
		if len(filter.EventNames) > 100 {
			return q, errcode.Errorf(errcode.BadUserInput, "filter.eventNames: at most 100 names, got %d", len(filter.EventNames))
		}
	}
	return q, nil
}

// activityConnection renders a page of history as a Relay connection.
func activityConnection(p *desk.HistoryPage) *model.ActivityConnection {
	c := &model.ActivityConnection{
		Edges:    make([]*history.Edge, len(p.Edges)),
		PageInfo: &model.PageInfo{HasNextPage: p.HasNext, HasPreviousPage: p.HasPrevious},
		Coverage: make([]*desk.Coverage, len(p.Coverage)),
	}
	for i := range p.Edges {
		c.Edges[i] = &p.Edges[i]
	}
	for i := range p.Coverage {
		c.Coverage[i] = &p.Coverage[i]
	}
	if n := len(p.Edges); n > 0 {
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &p.Edges[0].Cursor, &p.Edges[n-1].Cursor
	}
	return c
}

// emptyDetails are the details of an id nobody is known by: the id, no traits, no groups.
func emptyDetails(id string) *details.CustomerDetails {
	return &details.CustomerDetails{
		Profile: &profile.Profile{ID: id, Status: profile.StatusUnidentified, Identifiers: []profile.Identifier{},
			Traits: []profile.Trait{}, Sources: []string{}},
		Groups: []*details.Group{},
	}
}

// unique returns vs without repeats, in first-seen order; nil stays nil.
func unique[T comparable](vs []T) []T {
	if vs == nil {
		return nil
	}
	out := make([]T, 0, len(vs))
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
