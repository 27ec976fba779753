package gateway_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/profilegate/profilegate/config"
	"github.com/profilegate/profilegate/internal/gatewaytest"
	"github.com/profilegate/profilegate/internal/pgtest"
)

// readmeYAML returns the YAML block that follows marker in the README.
func readmeYAML(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), marker)
	if !ok {
		t.Fatalf("the README has no %q", marker)
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	block, _, _ := strings.Cut(rest, "```")
	return block
}

// TestREADMESources: the README's record-table and identity-graph snippets start as written,
// with only the DSNs given in the environment as the README says, and find Ada in both.
func TestREADMESources(t *testing.T) {
	var src strings.Builder
	for _, marker := range []string{"**Record table**", "**Identity graph**"} {
		for _, line := range strings.Split(strings.TrimRight(readmeYAML(t, marker), "\n"), "\n") {
			src.WriteString("  " + line + "\n")
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "profilegate.yaml")
	body := "auth: {disabled: true}\ndata_dir: " + dir + "\ncomponents: {customer_details: true}\nsources:\n" + src.String()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.DSN(t)
	env := map[string]string{"PROFILEGATE_SOURCE_CRM_DSN": dsn, "PROFILEGATE_SOURCE_WAREHOUSE_DSN": dsn}
	cfg, err := config.Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	g := gatewaytest.Start(t, cfg)
	h := g.Header("phonenumber", "415.555.0100")
	if !strings.HasPrefix(h.Name, "Ada") || !slices.Equal(h.Profile.Sources, []string{"crm", "warehouse"}) {
		t.Fatalf("Ada through the README's sources: %+v", h)
	}
}
