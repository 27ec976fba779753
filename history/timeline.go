package history

import (
	"encoding/base64"
	"encoding/json"
	"maps"

	"github.com/profilegate/profilegate/errcode"
)

// Cursor is where a page of a timeline ends: per source, the position of the last activity
// shown from it. A source with no position starts at its newest activity: none of its
// activities has been shown, so all of them are older than what was.
type Cursor map[string]Position

type cursorBody struct {
	V int                 `json:"v"`
	P map[string]Position `json:"p"`
}

// Encode returns the cursor as an opaque string.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(cursorBody{V: 1, P: c})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor Encode returned; anything else is BAD_USER_INPUT.
func DecodeCursor(s string) (Cursor, error) {
	bad := errcode.Errorf(errcode.BadUserInput, "after: %q is not a cursor of customerHistory; pass the endCursor or an edge cursor of an earlier page",
		errcode.Truncate(s, 64))
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 16<<10 {
		return nil, bad
	}
	var body cursorBody
	if err := json.Unmarshal(b, &body); err != nil || body.V != 1 {
		return nil, bad
	}
	if body.P == nil {
		body.P = map[string]Position{}
	}
	return body.P, nil
}

// Edge is an activity of a page and the cursor to continue after it.
type Edge struct {
	Cursor   string
	Activity *Activity
}

// Merge makes a page of at most limit activities from the sources' answers, each newest
// first as its source orders it: the newest of the sources' next activities first, ties by
// the sources' order (a k-way merge). Every edge carries the cursor after it, start moved on
// by the activities up to it. hasNext says whether any source has activities left.
func Merge(order []string, start Cursor, answers map[string][]Activity, limit int) (edges []Edge, hasNext bool) {
	heads := make([]int, len(order))
	pos := maps.Clone(start)
	if pos == nil {
		pos = Cursor{}
	}
	for len(edges) < limit {
		best := -1
		for i, src := range order {
			if heads[i] >= len(answers[src]) {
				continue
			}
			if best < 0 || answers[src][heads[i]].OccurredAt.After(answers[order[best]][heads[best]].OccurredAt) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		src := order[best]
		a := &answers[src][heads[best]]
		heads[best]++
		pos[src] = a.Position
		edges = append(edges, Edge{Cursor: pos.Encode(), Activity: a})
	}
	for i, src := range order {
		if heads[i] < len(answers[src]) {
			hasNext = true
		}
	}
	return edges, hasNext
}
