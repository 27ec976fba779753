package telemetry

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the flushing goroutine and the test to share.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) get() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.writes
}

func TestLogWriterBatchesLines(t *testing.T) {
	out := &syncBuffer{}
	l := NewLogWriter(out, 50*time.Millisecond)
	for range 100 {
		l.Write([]byte("line\n"))
	}
	if got, _ := out.get(); got != "" {
		t.Fatalf("lines went out before the interval: %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, writes := out.get()
		if got == strings.Repeat("line\n", 100) {
			if writes != 1 {
				t.Fatalf("100 lines took %d writes, want 1", writes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s only %q went out", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A batch of 64 KiB goes at once; Close writes the rest and later lines directly.
	big := bytes.Repeat([]byte("x"), 70<<10)
	l.Write(big)
	if got, _ := out.get(); len(got) < 64<<10 {
		t.Fatalf("%d bytes out after a 70 KiB line, want the full buffer", len(got))
	}
	l.Write([]byte("last\n"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Close() // twice is harmless
	l.Write([]byte("after\n"))
	if got, _ := out.get(); !strings.HasSuffix(got, string(big)+"last\nafter\n") {
		t.Fatalf("output ends %q", got[max(0, len(got)-20):])
	}
}

func TestLogWriterWithoutInterval(t *testing.T) {
	out := &syncBuffer{}
	l := NewLogWriter(out, 0)
	l.Write([]byte("a\n"))
	l.Write([]byte("b\n"))
	if got, writes := out.get(); got != "a\nb\n" || writes != 2 {
		t.Fatalf("got %q in %d writes, want each line at once", got, writes)
	}
	l.Close()
}
