package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// pinFiles maps the databases in dir and locks them in memory (mlock) until the returned
// function is called: the page cache then keeps every page of them for the run, which this
// machine's does not do for the 10M data's 13 GB (it drops several MB a second even while
// idle), so both servers' reads come from memory as on a database host with the RAM for its
// data.
func pinFiles(dir string) (func(), error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.db"))
	if err != nil {
		return nil, err
	}
	var maps [][]byte
	unpin := func() {
		for _, m := range maps {
			syscall.Munmap(m) // unlocks it too
		}
	}
	for _, name := range files {
		m, err := mapFile(name)
		if err != nil {
			unpin()
			return nil, err
		}
		if m == nil {
			continue
		}
		maps = append(maps, m)
		if err := syscall.Mlock(m); err != nil {
			unpin()
			return nil, fmt.Errorf("bench: locking %s (%d MiB) in memory: %w (it needs that memory free, and CAP_IPC_LOCK or a high enough RLIMIT_MEMLOCK)", name, len(m)>>20, err)
		}
	}
	return unpin, nil
}

// mapFile maps the file read-only, or returns nil for an empty one.
func mapFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the mapping outlives the descriptor
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return nil, err
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("bench: mapping %s: %w", name, err)
	}
	return m, nil
}
