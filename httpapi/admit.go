package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/profilegate/profilegate/errcode"
)

// Admit answers at most max requests at once. A request that finds every slot taken waits up
// to wait for one, which absorbs bursts, and is then answered with 503 OVERLOADED and
// Retry-After. Past its capacity a gateway that admits everything slows every request until
// its sources' timeouts fire and open their breakers, and every agent gets an error; shedding
// the excess keeps the admitted requests about as fast as at capacity.
func Admit(max int, wait time.Duration, next http.Handler) http.Handler {
	slots := make(chan struct{}, max)
	message := fmt.Sprintf("the gateway is answering its limit of %d requests at once; retry in a moment", max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !acquire(r, slots, wait) {
			w.Header().Set("Retry-After", "1")
			Refuse(w, r, errcode.Overloaded, message)
			return
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

// acquire takes a slot, waiting up to wait for one while the client is still there.
func acquire(r *http.Request, slots chan struct{}, wait time.Duration) bool {
	select {
	case slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-r.Context().Done():
		return false
	}
}
