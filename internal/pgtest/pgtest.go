// Package pgtest gives tests a real PostgreSQL on loopback. It uses the server named by
// PROFILEGATE_TEST_POSTGRES (a superuser DSN, as .ci/run may export), or else starts a
// throwaway server from the local PostgreSQL installation for the test binary, and hands each
// test a fresh database.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// EnvDSN names the variable that points tests at a running server.
const EnvDSN = "PROFILEGATE_TEST_POSTGRES"

var (
	once     sync.Once
	baseDSN  string
	startErr error
	server   *exec.Cmd
	dataDir  string
	dbSeq    atomic.Int64
)

// Main runs the package's tests and stops the server it started, if any.
func Main(m *testing.M) {
	code := m.Run()
	stop()
	os.Exit(code)
}

// DSN returns the DSN of a new, empty database for t, dropped when t ends.
func DSN(t testing.TB) string {
	t.Helper()
	once.Do(func() { baseDSN, startErr = start() })
	if startErr != nil {
		t.Fatalf("pgtest: no PostgreSQL for the tests: %v\n(install it with `apt-get install postgresql`, or set %s)", startErr, EnvDSN)
	}
	name := fmt.Sprintf("pg_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	admin, err := sql.Open("pgx", baseDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", baseDSN)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, _ := url.Parse(baseDSN)
	u.Path = "/" + name
	return u.String()
}

func start() (string, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn, nil
	}
	bin, err := binDir()
	if err != nil {
		return "", err
	}
	dataDir, err = os.MkdirTemp("", "pgtest-")
	if err != nil {
		return "", err
	}
	runAs, err := serverUser(dataDir)
	if err != nil {
		return "", err
	}
	pgdata := filepath.Join(dataDir, "data")
	initdb := command(runAs, filepath.Join(bin, "initdb"), "-D", pgdata, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	server = command(runAs, filepath.Join(bin, "postgres"), "-D", pgdata, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dataDir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200")
	server.Stdout, server.Stderr = nil, nil
	if err := server.Start(); err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return dsn, waitReady(dsn)
}

func waitReady(dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not become ready: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func stop() {
	if server != nil && server.Process != nil {
		_ = server.Process.Signal(os.Interrupt) // fast shutdown
		done := make(chan struct{})
		go func() { _ = server.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = server.Process.Kill()
		}
	}
	if dataDir != "" {
		_ = os.RemoveAll(dataDir)
	}
}

// binDir finds the PostgreSQL server binaries: on PATH, or Debian's newest versioned directory.
func binDir() (string, error) {
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no postgres binary on PATH or under /usr/lib/postgresql")
}

func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// serverUser returns the account to run the server as: PostgreSQL refuses to run as root, so
// root hands the data directory to the "postgres" account. Nil means the current user.
func serverUser(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres account: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// command runs name as the given account, directly, so that signals reach the server itself.
func command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	// A test binary killed by its timeout takes the server with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	cmd.Dir = os.TempDir()
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
