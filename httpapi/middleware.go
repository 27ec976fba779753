package httpapi

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/rs/cors"

	"github.com/profilegate/profilegate/auth"
	"github.com/profilegate/profilegate/errcode"
	"github.com/profilegate/profilegate/telemetry"
)

// Authenticate answers requests without valid credentials with 401 UNAUTHENTICATED and puts
// the caller of the others in their context.
func Authenticate(a *auth.Authenticator, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		if err != nil {
			log.InfoContext(r.Context(), "request refused", "code", errcode.Unauthenticated, "remote", r.RemoteAddr, "why", err)
			w.Header().Set("WWW-Authenticate", `Bearer realm="profilegate"`)
			Refuse(w, r, errcode.Unauthenticated, clientMessage(err))
			return
		}
		telemetry.NoteCaller(r.Context(), p)
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// clientMessage is an authentication error's message without the sentinel's prefix.
func clientMessage(err error) string {
	msg := err.Error()
	if prefix := auth.ErrUnauthenticated.Error() + ": "; errors.Is(err, auth.ErrUnauthenticated) && len(msg) > len(prefix) {
		return msg[len(prefix):]
	}
	return "authentication failed"
}

// CORS lets browser clients from origins (a Flex UI plugin on https://flex.twilio.com) call the
// handler: preflights are answered before authentication, which they carry no credentials for.
// No origins: no CORS headers, so only same-origin pages (GraphiQL) can call it from a browser.
func CORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept", FlexVersionHeader},
		MaxAge:         600,
	}).Handler(next)
}

// LoopbackHosts answers only requests that name a loopback host (localhost, 127.0.0.0/8, ::1)
// in their Host header. With auth off the gateway listens on loopback, and a web page could
// still reach it through a name it rebinds to 127.0.0.1 (DNS rebinding): such a request names
// the page's host, and is refused with 403 HOST_NOT_ALLOWED.
func LoopbackHosts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if ip := net.ParseIP(host); strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback()) {
			next.ServeHTTP(w, r)
			return
		}
		Refuse(w, r, errcode.HostNotAllowed, "auth is off, so only requests to a loopback host (localhost, 127.0.0.1, [::1]) are answered")
	})
}
