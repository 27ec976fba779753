package main

import (
	"bufio"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/profilegate/profilegate/internal/gateway"
	"github.com/profilegate/profilegate/internal/pgtest"
)

// runMainEnv makes the test binary run main instead of the tests: the binary test starts it as
// the command, without building another.
const runMainEnv = "PROFILEGATE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	pgtest.Main(m)
}

// TestZeroConfigBinary runs profilegate as a process, as `go run .` does, with no
// configuration: it seeds the demo, says where it listens and how to query it, answers, and
// stops cleanly on SIGTERM. The process is this test binary running main.
func TestZeroConfigBinary(t *testing.T) {
	dir := t.TempDir()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--data-dir", filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(), "PROFILEGATE_ADDR="+addr, runMainEnv+"=1")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	var printed strings.Builder
	lines := bufio.NewScanner(stderr)
	for lines.Scan() && !strings.Contains(printed.String(), "curl -s") {
		printed.WriteString(lines.Text() + "\n")
	}
	go func() {
		for lines.Scan() {
		}
	}()
	for _, want := range []string{"http://" + addr + "/query", "customerHeader", "demo=true"} {
		if !strings.Contains(printed.String(), want) {
			t.Fatalf("start-up output lacks %q:\n%s", want, printed.String())
		}
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	body := strings.NewReader(`{"query": "{ customerHeader(identifier: {key: \"phonenumber\", value: \"415-555-0100\"}) { name } }"}`)
	resp, err = http.Post("http://"+addr+"/query", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(resp.Body); !strings.Contains(string(got), "Ada Lovelace") {
		t.Fatalf("demo answer: %s", got)
	}
	for _, f := range []string{"crm.db", "warehouse.db", "profilegate.db"} {
		if _, err := os.Stat(filepath.Join(dir, "data", f)); err != nil {
			t.Errorf("demo database %s: %v", f, err)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop after SIGTERM")
	}
}

// TestLoadConfigPrecedence: flags win over the environment, the environment over the file, and
// no configuration runs the demo.
func TestLoadConfigPrecedence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte(`
addr: 127.0.0.1:7000
auth: {disabled: true}
sources:
  - name: crm
    driver: sqlite
    dsn: file:crm.db
    records: {table: contacts, id_column: id, identifiers: [{column: email, key: email}]}
`), 0o644)
	env := map[string]string{"PROFILEGATE_CONFIG": path, "PROFILEGATE_ADDR": "127.0.0.1:7001", "PROFILEGATE_SOURCE_CRM_DSN": "file:other.db"}
	getenv := func(k string) string { return env[k] }

	opts, err := parseOptions([]string{"--data-dir", "/srv/pg"}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg, isDemo, err := gateway.LoadConfig(opts.configPath, opts.addr, opts.dataDir, getenv)
	if err != nil || isDemo {
		t.Fatalf("loadConfig: demo=%v %v", isDemo, err)
	}
	if cfg.Addr != "127.0.0.1:7001" || cfg.DataDir != "/srv/pg" || cfg.Sources[0].DSN != "file:other.db" {
		t.Fatalf("addr %s, data dir %s, dsn %s: want the environment and flags to win", cfg.Addr, cfg.DataDir, cfg.Sources[0].DSN)
	}
	opts, _ = parseOptions([]string{"--addr", "127.0.0.1:7002"}, getenv)
	if cfg, _, _ := gateway.LoadConfig(opts.configPath, opts.addr, opts.dataDir, getenv); cfg.Addr != "127.0.0.1:7002" {
		t.Fatalf("flag --addr lost to the environment: %s", cfg.Addr)
	}
	env["PROFILEGATE_CONFIG"] = ""
	opts, _ = parseOptions(nil, getenv)
	if cfg, isDemo, err := gateway.LoadConfig(opts.configPath, opts.addr, opts.dataDir, getenv); err != nil || !isDemo || len(cfg.Sources) != 2 {
		t.Fatalf("no configuration should run the demo: %v %v", isDemo, err)
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestStartupFailures: a gateway that cannot start says what failed in one line and exits 1,
// without a panic: a data directory that is a file, a store that is down, a store that refuses
// the user.
func TestStartupFailures(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	refused, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	refused.User = url.User("nobody")
	storeConfig := func(dsn string) string {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte("auth: {disabled: true}\nstore: {driver: postgres}\nsources:\n"+
			"  - {name: crm, driver: sqlite, dsn: \"file:"+filepath.Join(dir, "crm.db")+"\", records: {table: contacts, id_column: id, identifiers: [{column: email, key: email}]}}\n"), 0o644)
		t.Setenv("PROFILEGATE_STORE_DSN", dsn)
		return path
	}
	for _, tc := range []struct {
		name string
		args func() []string
		says string
	}{
		{"DataDirIsAFile", func() []string { return []string{"--data-dir", file} }, "data_dir: mkdir " + file},
		{"StoreDown", func() []string {
			return []string{"--config", storeConfig("postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")}
		}, "store: migrate: failed to connect"},
		{"StoreRefusesTheUser", func() []string { return []string{"--config", storeConfig(refused.String())} }, `role \"nobody\" does not exist`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin, _ := os.Executable()
			cmd := exec.Command(bin, append(tc.args(), "--addr", freeAddr(t))...)
			cmd.Env = append(os.Environ(), runMainEnv+"=1")
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if !errors.As(err, &exit) || exit.ExitCode() != 1 || strings.Contains(string(out), "panic") ||
				len(lines) != 1 || !strings.Contains(lines[0], tc.says) {
				t.Fatalf("exit %v, output:\n%s\nwant one line saying %q and exit status 1", err, out, tc.says)
			}
		})
	}
}

// TestHeapSampling: allocations are sampled for heap profiles only at a rate GODEBUG sets.
func TestHeapSampling(t *testing.T) {
	for _, c := range []struct {
		godebug string
		want    bool
	}{{"", false}, {"madvdontneed=1", false}, {"memprofilerate=1", true}, {"gctrace=1,memprofilerate=4096", true}} {
		if got := heapSampling(func(k string) string {
			if k == "GODEBUG" {
				return c.godebug
			}
			return ""
		}); got != c.want {
			t.Errorf("GODEBUG=%q: sampling %v, want %v", c.godebug, got, c.want)
		}
	}
}

// TestGCTarget: the gateway collects at gcPercent within memoryLimit unless GOGC and
// GOMEMLIMIT are set.
func TestGCTarget(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	tuneCollector(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("without GOGC the target is %d, want %d", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != memoryLimit {
		t.Errorf("without GOMEMLIMIT the limit is %d, want %d", got, memoryLimit)
	}
	tuneCollector(func(k string) string {
		switch k {
		case "GOGC":
			return "100"
		case "GOMEMLIMIT":
			return "1GiB"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC=100 the target is %d: the operator's setting was overridden", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set the limit is %d: the operator's setting was overridden", got)
	}
}
