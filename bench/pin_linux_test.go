package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPinFiles: -pin locks every database of the directory in memory (empty files skipped)
// until the run ends, and unlocks them then.
func TestPinFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "crm.db"), make([]byte, 256<<10), 0o644); err != nil {
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
	if got := locked(t) - before; got < 256 {
		t.Errorf("%d KiB more locked after pinning a 256 KiB database", got)
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
