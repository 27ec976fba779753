package graphiql

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := Handler()
	get := func(path, encoding string) *http.Response {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	page := get("/", "")
	body, _ := io.ReadAll(page.Body)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("page: %d %v", page.StatusCode, page.Header)
	}
	for _, asset := range []string{"graphiql/react.production.min.js", "graphiql/react-dom.production.min.js", "graphiql/graphiql.min.js", "graphiql/graphiql.min.css", "graphiql/init.js"} {
		if !strings.Contains(string(body), asset) {
			t.Errorf("the page does not load %s", asset)
		}
		if r := get("/"+asset, ""); r.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", asset, r.StatusCode)
		}
	}
	if strings.Contains(string(body), "//") && strings.Contains(string(body), "http") {
		t.Error("the page references an absolute URL")
	}
	plain, gz := get("/graphiql/graphiql.min.js", ""), get("/graphiql/graphiql.min.js", "gzip")
	plainBody, _ := io.ReadAll(plain.Body)
	gzBody, _ := io.ReadAll(gz.Body)
	if gz.Header.Get("Content-Encoding") != "gzip" || len(gzBody)*2 > len(plainBody) {
		t.Fatalf("graphiql.min.js: %d bytes plain, %d gzipped (%q)", len(plainBody), len(gzBody), gz.Header.Get("Content-Encoding"))
	}
	if get("/graphiql/nope.js", "").StatusCode != http.StatusNotFound {
		t.Error("an unknown asset is served")
	}
}
