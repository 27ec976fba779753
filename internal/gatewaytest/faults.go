package gatewaytest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is a TCP proxy between the gateway and a source's PostgreSQL, which the test turns
// into a slow, hanging or unreachable database, the way a CRM fails in production: nothing in
// the gateway knows it is there.
type Fault struct {
	dsn    string
	target string
	ln     net.Listener
	calls  atomic.Int64

	mu    sync.Mutex
	delay time.Duration
	down  bool
	conns map[net.Conn]bool
}

// newFault starts a proxy in front of the database of dsn; its dsn field reaches the database
// through it.
func newFault(t testing.TB, dsn string) *Fault {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &Fault{target: u.Host, ln: ln, conns: map[net.Conn]bool{}}
	u.Host = ln.Addr().String()
	f.dsn = u.String()
	go f.accept()
	t.Cleanup(func() {
		ln.Close()
		f.cut()
	})
	return f
}

// Delay holds every message from the gateway for d before the database sees it; longer than
// the source's timeout, the source hangs. 0 ends it.
func (f *Fault) Delay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// Fail cuts every connection to the database and refuses new ones until Heal.
func (f *Fault) Fail() {
	f.mu.Lock()
	f.down = true
	f.mu.Unlock()
	f.cut()
}

// Heal ends Fail and Delay: the database answers again.
func (f *Fault) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down, f.delay = false, 0
}

// Calls counts the gateway's attempts to reach the database: connections opened (refused
// ones too) and messages sent.
func (f *Fault) Calls() int64 { return f.calls.Load() }

func (f *Fault) cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		c.Close()
	}
	clear(f.conns)
}

func (f *Fault) accept() {
	for {
		client, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.calls.Add(1)
		f.mu.Lock()
		down := f.down
		f.mu.Unlock()
		if down {
			client.Close()
			continue
		}
		go f.pipe(client)
	}
}

// pipe carries one connection, holding the gateway's messages for the current delay.
func (f *Fault) pipe(client net.Conn) {
	server, err := net.Dial("tcp", f.target)
	if err != nil {
		client.Close()
		return
	}
	f.mu.Lock()
	f.conns[client], f.conns[server] = true, true
	f.mu.Unlock()
	done := make(chan struct{})
	var once sync.Once
	closeBoth := func() {
		once.Do(func() {
			close(done)
			client.Close()
			server.Close()
			f.mu.Lock()
			delete(f.conns, client)
			delete(f.conns, server)
			f.mu.Unlock()
		})
	}
	go func() {
		defer closeBoth()
		_, _ = io.Copy(client, server)
	}()
	defer closeBoth()
	buf := make([]byte, 32<<10)
	for {
		n, err := client.Read(buf)
		if n > 0 {
			f.calls.Add(1)
			f.mu.Lock()
			delay := f.delay
			f.mu.Unlock()
			if delay > 0 {
				select {
				case <-time.After(delay):
				case <-done:
					return
				}
			}
			if _, err := server.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
