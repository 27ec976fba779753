package errcode

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestTable(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range Codes() {
		info, ok := Lookup(c)
		if !ok || info.Status < 400 || info.Status > 599 {
			t.Errorf("%s: status %d; every code stops a request with a 4xx or 5xx", c, info.Status)
		}
		if info.Request && info.Status != http.StatusBadRequest {
			t.Errorf("%s: a request error is answered 400 to graphql-response+json clients, not %d", c, info.Status)
		}
		seen[c] = true
	}
	for _, c := range []Code{BadUserInput, Unauthenticated, RequestTooLarge, Overloaded, TokenLimitExceeded, ComplexityLimitExceeded} {
		if !seen[c] {
			t.Errorf("%s is not in the table", c)
		}
	}
	if got := Code("SOMETHING_NEW").Status(); got != http.StatusBadRequest {
		t.Errorf("a code outside the table: status %d, want 400", got)
	}
}

func TestOf(t *testing.T) {
	err := fmt.Errorf("crm: %w", SourceError("crm", "lookup failed", errors.New("connection refused")))
	if Of(err) != SourceUnavailable {
		t.Fatalf("Of(%v) = %s", err, Of(err))
	}
	if Of(errors.New("plain")) != Internal {
		t.Fatal("an uncoded error must read as INTERNAL")
	}
	if got := err.Error(); got != "crm: crm: lookup failed: connection refused" {
		t.Fatalf("message %q", got)
	}
}

func TestTruncate(t *testing.T) {
	for in, want := range map[string]string{"abc": "abc", "abcdef": "abcd…", "a\xffb": "a\uFFFDb"} {
		if got := Truncate(in, 4); got != want {
			t.Errorf("Truncate(%q) = %q, want %q", in, got, want)
		}
	}
}
