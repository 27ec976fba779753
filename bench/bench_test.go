package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/profilegate/profilegate/demo"
	"github.com/profilegate/profilegate/internal/gatewaytest"
)

func TestMain(m *testing.M) { gatewaytest.Main(m) }

// TestBothAnswerTheTraffic: on generated data, the gateway and the baseline both give every
// lookup of the traffic the answer it must get (known phones in seven spellings over stored
// spellings only the match index finds, emails in any case, households, unknown numbers), so
// the benchmark compares two servers doing the same work right.
func TestBothAnswerTheTraffic(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const people = 3000
	if err := Generate(ctx, dir, people, func(string) {}); err != nil {
		t.Fatal(err)
	}
	cfg := demo.Config(dir)
	cfg.Log = gatewaytest.DemoConfig(t, "sqlite").Log
	gw := gatewaytest.Start(t, cfg, gatewaytest.NoSeed())

	base, err := OpenBaseline(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { base.Close() })
	srv := httptest.NewServer(base)
	t.Cleanup(srv.Close)

	client := &http.Client{}
	for name, url := range map[string]string{"gateway": gw.URL + "/query", "baseline": srv.URL} {
		traffic := NewTraffic(people, 1)
		unknown, households := 0, 0
		for range 600 {
			l := traffic.Next()
			if err := ask(ctx, client, url, l); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if l.Unknown {
				unknown++
			}
			if len(l.Names) == 2 {
				households++
			}
		}
		if unknown == 0 || households == 0 {
			t.Fatalf("%s: the traffic had %d unknown numbers and %d household phones; want some of each", name, unknown, households)
		}
	}
}
