package sqlsource

import (
	"slices"
	"testing"
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
