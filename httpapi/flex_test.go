package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/settings"
)

// TestFlexVersion is the one table of Flex UI versions: how X-Flex-UI-Version is read and
// which versions may change the customer header and profile search settings.
func TestFlexVersion(t *testing.T) {
	for _, tc := range []struct {
		version  string
		editable bool
	}{
		{"2.7.3", false},
		{"2.7.99", false},
		{"1.34.0", false},
		{"2.8.0-rc.1", false}, // a pre-release comes before its release
		{"2.8.0-beta.2", false},
		{"2.8.0", true},
		{"2.8.1", true},
		{"2.10.0", true}, // compared as versions, not text
		{"3.0.0", true},
	} {
		v, err := ParseFlexVersion(tc.version)
		if err != nil {
			t.Errorf("%s: %v", tc.version, err)
			continue
		}
		if got := settings.HeaderAndSearchEditable(v); got != tc.editable {
			t.Errorf("%s: editable %v, want %v", tc.version, got, tc.editable)
		}
	}
	if !settings.HeaderAndSearchEditable(nil) {
		t.Error("a client that is not Flex UI is gated")
	}
	for _, bad := range []string{"banana", "2.x.1", "", "2.8.0.1", strings.Repeat("1", 80),
		"02.08.00", "v2.7", "v2.8.0", "2", "2.8", " 2.8.0", "2.8.0+build.7", "2.8.0-", "2.8.0-rc..1"} {
		if _, err := ParseFlexVersion(bad); errcode.Of(err) != errcode.BadUserInput {
			t.Errorf("%q: error %v, want BAD_USER_INPUT", bad, err)
		}
	}
}

func TestWithFlexVersion(t *testing.T) {
	var seen string
	h := WithFlexVersion(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := FlexVersion(r.Context()); v != nil {
			seen = v.String()
		}
	}))
	for _, tc := range []struct{ header, want string }{{"", ""}, {"2.10.1", "2.10.1"}} {
		seen = ""
		r := httptest.NewRequest(http.MethodPost, "/query", nil)
		if tc.header != "" {
			r.Header.Set(FlexVersionHeader, tc.header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK || seen != tc.want {
			t.Errorf("%q: status %d, version in context %q", tc.header, w.Code, seen)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/query", nil)
	r.Header.Set(FlexVersionHeader, "two point eight")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"code":"BAD_USER_INPUT"`) || !strings.Contains(w.Body.String(), FlexVersionHeader) {
		t.Errorf("malformed version: %d %s", w.Code, w.Body)
	}
}
