package history

import (
	"fmt"
	"testing"
	"time"

	"github.com/profilegate/profilegate/errcode"
)

func act(source, id string, minute int) Activity {
	at := time.Date(2026, 11, 1, 0, minute, 0, 0, time.UTC)
	return Activity{ID: source + ":" + id, Source: source, OccurredAt: at, Position: Position{At: at.Format(time.RFC3339), ID: id}}
}

func ids(edges []Edge) string {
	s := ""
	for _, e := range edges {
		s += e.Activity.ID + " "
	}
	return s
}

func TestMerge(t *testing.T) {
	answers := map[string][]Activity{
		"crm":       {act("crm", "c3", 30), act("crm", "c2", 20), act("crm", "c1", 20)},
		"warehouse": {act("warehouse", "w2", 30), act("warehouse", "w1", 10)},
	}
	order := []string{"crm", "warehouse"}
	edges, more := Merge(order, nil, answers, 4)
	// Newest first; at equal instants the sources' order, then each source's own order.
	if got, want := ids(edges), "crm:c3 warehouse:w2 crm:c2 crm:c1 "; got != want || !more {
		t.Fatalf("page %q more %v, want %q more", got, more, want)
	}
	// The last edge's cursor holds each source's position: the CRM at c1, the warehouse at w2.
	c, err := DecodeCursor(edges[3].Cursor)
	if err != nil {
		t.Fatal(err)
	}
	if c["crm"].ID != "c1" || c["warehouse"].ID != "w2" || len(c) != 2 {
		t.Fatalf("cursor %+v", c)
	}
	// An earlier edge's cursor has not moved the sources it had not reached.
	if c, _ := DecodeCursor(edges[0].Cursor); len(c) != 1 || c["crm"].ID != "c3" {
		t.Fatalf("first edge's cursor %+v", c)
	}
	// A page that takes everything says so.
	if edges, more := Merge(order, nil, answers, 5); len(edges) != 5 || more {
		t.Fatalf("all five: %d edges, more %v", len(edges), more)
	}
	// A source with nothing keeps the position it had.
	start := Cursor{"crm": {At: "x", ID: "c0"}}
	edges, _ = Merge(order, start, map[string][]Activity{"warehouse": answers["warehouse"]}, 1)
	if c, _ := DecodeCursor(edges[0].Cursor); c["crm"].ID != "c0" || c["warehouse"].ID != "w2" {
		t.Fatalf("cursor %+v", c)
	}
}

func TestDecodeCursor(t *testing.T) {
	c := Cursor{"crm": {At: "2026-11-01T00:00:00Z", ID: "a-1"}}
	back, err := DecodeCursor(c.Encode())
	if err != nil || back["crm"] != c["crm"] {
		t.Fatalf("round trip: %v %v", back, err)
	}
	for _, bad := range []string{"", "not-a-cursor", "e30", "eyJ2IjoyfQ", fmt.Sprintf("%0*d", 30000, 0)} {
		if _, err := DecodeCursor(bad); errcode.Of(err) != errcode.BadUserInput {
			t.Errorf("DecodeCursor(%.20q): %v, want BAD_USER_INPUT", bad, err)
		}
	}
}
