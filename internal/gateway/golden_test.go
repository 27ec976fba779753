package gateway_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilegate/profilegate/internal/gatewaytest"
)

var update = flag.Bool("update", false, "rewrite the golden responses under testdata/golden")

// TestGolden sends every request under testdata/queries to a demo gateway on each backend and
// compares the response with testdata/golden; both gatewaytest.Backends must give the same answers.
// A first line "# variables: {...}" gives the request's variables.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/queries/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no queries: %v", err)
	}
	for _, backend := range gatewaytest.Backends {
		t.Run(backend, func(t *testing.T) {
			g := gatewaytest.Start(t, gatewaytest.DemoConfig(t, backend))
			for _, file := range files {
				name := strings.TrimSuffix(filepath.Base(file), ".graphql")
				t.Run(name, func(t *testing.T) {
					got := indent(t, g.Send(request(t, file)).Raw)
					golden := filepath.Join("testdata", "golden", name+".json")
					if *update && backend == gatewaytest.Backends[0] {
						if err := os.WriteFile(golden, got, 0o644); err != nil {
							t.Fatal(err)
						}
					}
					want, err := os.ReadFile(golden)
					if err != nil {
						t.Fatalf("%v (run go test -run TestGolden -update and review the diff)", err)
					}
					if !bytes.Equal(got, want) {
						t.Errorf("response differs from %s:\n%s", golden, got)
					}
				})
			}
		})
	}
}

func request(t *testing.T, file string) []byte {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	req := map[string]any{"query": string(src)}
	if first, _, _ := strings.Cut(string(src), "\n"); strings.HasPrefix(first, "# variables:") {
		var vars map[string]any
		if err := json.Unmarshal([]byte(strings.TrimPrefix(first, "# variables:")), &vars); err != nil {
			t.Fatalf("%s: variables: %v", file, err)
		}
		req["variables"] = vars
	}
	b, _ := json.Marshal(req)
	return b
}

func indent(t *testing.T, raw []byte) []byte {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatalf("response is not JSON: %s", raw)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}
