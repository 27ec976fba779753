package sqlsource

import (
	"slices"
	"testing"

	"github.com/profilegate/profilegate/profile"
)

// TestInList: lists are padded to a power of two with their last value, so a lookup's text
// takes one shape per power of two rather than one per count of values.
func TestInList(t *testing.T) {
	for _, c := range []struct {
		values []any
		want   string
		args   []any
	}{
		{[]any{"a"}, "c IN (?)", []any{"a"}},
		{[]any{"a", "b"}, "c IN (?, ?)", []any{"a", "b"}},
		{[]any{"a", "b", "c"}, "c IN (?, ?, ?, ?)", []any{"a", "b", "c", "c"}},
		{[]any{"a", "b", "c", "d", "e"}, "c IN (?, ?, ?, ?, ?, ?, ?, ?)", []any{"a", "b", "c", "d", "e", "e", "e", "e"}},
	} {
		got, args := inList("c", c.values)
		if got != c.want || !slices.Equal(args, c.args) {
			t.Errorf("inList(%v) = %q %v, want %q %v", c.values, got, args, c.want, c.args)
		}
	}
}

// TestGroup: a lookup's identifiers are gathered by key in key order (the identity graph's
// statement text follows it, so one set of keys always makes the same text), each key's values
// in the order asked.
func TestGroup(t *testing.T) {
	got := group([]profile.Identifier{{Key: "phonenumber", Value: "+1"}, {Key: "email", Value: "a@x"}, {Key: "phonenumber", Value: "+2"}, {Key: "anonymous_id", Value: "z"}})
	want := []keyValues{{"anonymous_id", []string{"z"}}, {"email", []string{"a@x"}}, {"phonenumber", []string{"+1", "+2"}}}
	if !slices.EqualFunc(got, want, func(a, b keyValues) bool { return a.key == b.key && slices.Equal(a.values, b.values) }) {
		t.Errorf("group = %v, want %v", got, want)
	}
	if v := valuesOf(got, "email"); !slices.Equal(v, []string{"a@x"}) {
		t.Errorf("valuesOf(email) = %v", v)
	}
	if v := valuesOf(got, "user_id"); v != nil {
		t.Errorf("valuesOf(user_id) = %v, want none", v)
	}
}
