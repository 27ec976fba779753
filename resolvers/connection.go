package resolvers

import (
	"encoding/base64"
	"strings"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/graph/model"
	"github.com/profilegate/profilegate/profile"
)

// Page sizes of lists.
const (
	DefaultPageSize = 20
	// MaxPageSize is the largest page unless the configuration sets another.
	MaxPageSize = 100
)

// page is a validated first/after pair of a Relay connection.
type page struct {
	first int
	after string // profile id; "" for the first page
}

// pageSize validates first: 1 to max, DefaultPageSize (at most max) when nil.
func pageSize(first *int, max int) (int, error) {
	if first == nil {
		return min(DefaultPageSize, max), nil
	}
	if *first < 1 || *first > max {
		return 0, errcode.Errorf(errcode.BadUserInput, "first must be between 1 and %d, got %d", max, *first)
	}
	return *first, nil
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func newPage(first *int, after *string, max int) (page, error) {
	n, err := pageSize(first, max)
	if err != nil {
		return page{}, err
	}
	p := page{first: n}
	if after != nil && *after != "" {
		id, err := decodeCursor(*after)
		if err != nil {
			return page{}, err
		}
		p.after = id
	}
	return p, nil
}

// connection cuts the page out of the ranked people. The cursor names the profile, so a page
// continues after the same person even when the ranking before it changed.
func (p page) connection(people []*profile.Profile) (*model.ProfileConnection, error) {
	start := 0
	if p.after != "" {
		start = -1
		for i, x := range people {
			if x.ID == p.after {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return nil, errcode.Errorf(errcode.BadUserInput, "cursor after is no longer in the results; start again without it")
		}
	}
	end := min(start+p.first, len(people))
	c := &model.ProfileConnection{
		Edges:      make([]*model.ProfileEdge, 0, end-start),
		TotalCount: len(people),
		PageInfo:   &model.PageInfo{HasNextPage: end < len(people), HasPreviousPage: start > 0},
	}
	for _, x := range people[start:end] {
		c.Edges = append(c.Edges, &model.ProfileEdge{Cursor: encodeCursor(x.ID), Node: x})
	}
	if len(c.Edges) > 0 {
		c.PageInfo.StartCursor = &c.Edges[0].Cursor
		c.PageInfo.EndCursor = &c.Edges[len(c.Edges)-1].Cursor
	}
	return c, nil
}

const cursorPrefix = "cursor:"

func encodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + id))
}

func decodeCursor(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	id, ok := strings.CutPrefix(string(b), cursorPrefix)
	if err != nil || !ok || id == "" {
		return "", errcode.Errorf(errcode.BadUserInput, "after is not a cursor from this connection")
	}
	return id, nil
}
