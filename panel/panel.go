package panel

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

//go:embed assets
var assets embed.FS

// contentSecurityPolicy lets the page run only its own script and styles and talk only to the
// gateway; images may come from https origins too, as avatars live on the CRM's or a CDN's.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the panel's page at /panel and its files under /panel/.
func Handler() http.Handler {
	files, _ := fs.Sub(assets, "assets") // the directory is embedded
	static := http.StripPrefix("/panel/", http.FileServerFS(files))
	index, _ := fs.ReadFile(files, "index.html")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /panel", func(w http.ResponseWriter, _ *http.Request) {
		header(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(index)
	})
	mux.HandleFunc("GET /panel/", func(w http.ResponseWriter, r *http.Request) {
		header(w)
		w.Header().Set("Cache-Control", "no-cache")
		static.ServeHTTP(w, r)
	})
	return gzhttp.GzipHandler(mux)
}

func header(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
}
