package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestAdmit: two requests run at once; a third waits for a slot and gets one when a running
// request ends; a fourth that finds no slot within the wait is answered 503 OVERLOADED with
// Retry-After; a client that leaves while waiting takes no slot.
func TestAdmit(t *testing.T) {
	release := make(chan struct{})
	running := make(chan struct{}, 10)
	h := Admit(2, 200*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		running <- struct{}{}
		<-release
	}))
	serve := func(ctx context.Context) <-chan *httptest.ResponseRecorder {
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/query", nil).WithContext(ctx))
			done <- rec
		}()
		return done
	}
	first, second := serve(context.Background()), serve(context.Background())
	<-running
	<-running

	third := serve(context.Background())
	release <- struct{}{} // one of the two ends; the third takes its slot
	<-running
	var still <-chan *httptest.ResponseRecorder
	select {
	case rec := <-first:
		still = second
		if rec.Code != http.StatusOK {
			t.Fatalf("first request: %d", rec.Code)
		}
	case rec := <-second:
		still = first
		if rec.Code != http.StatusOK {
			t.Fatalf("second request: %d", rec.Code)
		}
	}

	rec := <-serve(context.Background()) // two still run
	var body struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
		Data *json.RawMessage
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusServiceUnavailable ||
		rec.Header().Get("Retry-After") != "1" || len(body.Errors) != 1 || body.Errors[0].Extensions.Code != "OVERLOADED" || body.Data != nil {
		t.Fatalf("fourth request: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}

	ctx, cancel := context.WithCancel(context.Background())
	gone := serve(ctx)
	cancel()
	if rec := <-gone; rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("request whose client left: %d", rec.Code)
	}
	close(release)
	for _, done := range []<-chan *httptest.ResponseRecorder{still, third} {
		if rec := <-done; rec.Code != http.StatusOK {
			t.Fatalf("admitted request: %d", rec.Code)
		}
	}
	select {
	case <-running:
		t.Fatal("the request whose client left was run")
	default:
	}
}
