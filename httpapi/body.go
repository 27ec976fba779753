package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/profilegate/profilegate/errcode"
)

// presize bounds the buffer ReadBody allocates up front for a body's declared length.
const presize = 64 << 10

// ReadBody reads a request's body whole, up to max bytes and within timeout, before the request
// goes on to take one of the gateway's slots: a client that sends its headers and then trickles
// its body, or sends nothing, holds a goroutine for at most timeout and never capacity. A body
// over max is answered 413 REQUEST_TOO_LARGE, one not sent in time 408 REQUEST_TIMEOUT.
func ReadBody(max int64, timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(timeout)) // unsupported only off a real connection
		// Sized by the declared length (up to presize, so a client claiming a large body it
		// does not send costs nothing), the body is read in one allocation instead of
		// io.ReadAll's doublings.
		buf := bytes.NewBuffer(make([]byte, 0, min(r.ContentLength, presize)+bytes.MinRead))
		_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, max))
		body := buf.Bytes()
		var tooLarge *http.MaxBytesError
		var netErr net.Error
		switch {
		case errors.As(err, &tooLarge):
			Refuse(w, r, errcode.RequestTooLarge, fmt.Sprintf("the request body is larger than %d bytes", max))
			return
		case errors.As(err, &netErr) && netErr.Timeout():
			w.Header().Set("Connection", "close")
			Refuse(w, r, errcode.RequestTimeout, fmt.Sprintf("the request body did not arrive within %s", timeout))
			return
		case err != nil:
			w.Header().Set("Connection", "close")
			Refuse(w, r, errcode.BadUserInput, "the request body could not be read")
			return
		}
		// Only a body read whole lifts the deadline: after a refusal the server drains what is
		// left of the body, and must not wait on the slow client for it.
		_ = rc.SetReadDeadline(time.Time{})
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}
