package httpapi

import "testing"

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		accept, want string
		ok           bool
	}{
		{"", mediaJSON, true},
		{"application/json", mediaJSON, true},
		{"application/graphql-response+json", mediaGraphQLResponse, true},
		{"application/graphql-response+json, application/json;q=0.9", mediaGraphQLResponse, true},
		{"application/json;q=0.5, application/graphql-response+json;q=0.8", mediaGraphQLResponse, true},
		{"application/graphql-response+json;q=0, application/json", mediaJSON, true},
		{"*/*", mediaJSON, true},
		{"text/html, application/*;q=0.1", mediaJSON, true},
		{"text/html", "", false},
		{"application/json;q=abc", "", false},
		{";;;", "", false},
	} {
		got, ok := negotiate(tc.accept)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Accept %q: %q %v, want %q %v", tc.accept, got, ok, tc.want, tc.ok)
		}
	}
}
