package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPinFiles: -pin locks every database of the directory in memory (empty files skipped)
// until the run ends, and unlocks them then. The database is small enough for the default
// RLIMIT_MEMLOCK of a process without CAP_IPC_LOCK.
func TestPinFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "crm.db"), make([]byte, 32<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.db"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	before := locked(t)
	unpin, err := pinFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := locked(t) - before; got < 32 {
		t.Errorf("%d KiB more locked after pinning a 32 KiB database", got)
	}
	unpin()
	if got := locked(t) - before; got != 0 {
		t.Errorf("%d KiB still locked after the run", got)
	}
}

// locked is this process's locked memory (VmLck), in KiB.
func locked(t *testing.T) int64 {
	kb, err := procStatus(os.Getpid(), "VmLck")
	if err != nil {
		t.Fatal(err)
	}
	return kb
}
