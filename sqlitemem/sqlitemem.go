// Package sqlitemem sets up where the SQLite engine running inside the process keeps its page
// caches: one buffer of cache lines sized for a page and its header, shared by every
// connection, instead of an allocation a page.
//
// modernc.org/sqlite allocates each cached page (a 4 KiB page and about 270 bytes of headers)
// on its own from an allocator of power-of-two slots, which gives it 8 KiB: nearly half of
// every connection's page cache was padding, 6 MiB of the gateway's resident memory at 1M
// people (docs/design.md). SQLite's SQLITE_CONFIG_PAGECACHE hands it a buffer of exact lines
// instead; pages beyond the buffer are allocated as before.
package sqlitemem

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// PageSize is the database page size the buffer's lines are sized for: SQLite's default, and
// that of every file profilegate creates. A database with larger pages keeps its cache in
// allocations of its own.
const PageSize = 4096

// ErrTooLate is returned when a SQLite connection was opened in the process before Reserve:
// SQLite then refuses a page cache buffer (SQLITE_MISUSE) and allocates pages one by one.
var ErrTooLate = errors.New("sqlitemem: SQLite was already in use; its page caches are allocated page by page")

var (
	once       sync.Once
	reserved   int
	reserveErr error
)

// Reserve gives SQLite a buffer of lines for pages page cache entries of PageSize, for all
// the process's connections. It must run before the first SQLite connection is opened; only
// the first call in a process does anything, and later ones report what it did. The buffer is
// written through when it is set up, so it is resident from then on: pages should be what the
// connections' caches hold when full (Lines), not more.
func Reserve(pages int) (int, error) {
	once.Do(func() { reserved, reserveErr = reserve(pages) })
	return reserved, reserveErr
}

// Lines is how many page cache entries connections with a page cache of cacheKiB each
// (PRAGMA cache_size=-cacheKiB) hold at most: SQLite divides the cache's bytes by a page and
// its header.
func Lines(connections, cacheKiB int) int {
	line := PageSize + headerSize()
	return connections * (cacheKiB * 1024 / line)
}

// Reserved reports how many lines Reserve set up (0 before it ran or when it could not) and how
// many of them SQLite is using now.
func Reserved() (lines, used int) {
	tls := libc.NewTLS()
	defer tls.Close()
	cur := libc.Xcalloc(tls, 2, 8)
	defer libc.Xfree(tls, cur)
	sqlite3.Xsqlite3_status64(tls, sqlite3.SQLITE_STATUS_PAGECACHE_USED, cur, cur+8, 0)
	return reserved, int(binary.NativeEndian.Uint64(libc.GoBytes(cur, 8)))
}

// headerSize is the bytes SQLite keeps beside each cached page (SQLITE_CONFIG_PCACHE_HDRSZ).
var headerSize = sync.OnceValue(func() int {
	tls := libc.NewTLS()
	defer tls.Close()
	out := libc.Xcalloc(tls, 1, 8)
	defer libc.Xfree(tls, out)
	va := libc.Xmalloc(tls, 8)
	defer libc.Xfree(tls, va)
	sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_PCACHE_HDRSZ, libc.VaList(va, out))
	return int(int32(binary.NativeEndian.Uint32(libc.GoBytes(out, 4))))
})

func reserve(pages int) (int, error) {
	if pages <= 0 {
		return 0, nil
	}
	line := (PageSize + headerSize() + 7) &^ 7 // SQLite wants 8-byte aligned lines
	tls := libc.NewTLS()
	defer tls.Close()
	// The buffer lives as long as the process: SQLite keeps using it until it shuts down.
	buf := libc.Xmalloc(tls, types.Size_t(line*pages))
	if buf == 0 {
		return 0, fmt.Errorf("sqlitemem: out of memory for %d page cache lines", pages)
	}
	va := libc.Xmalloc(tls, 3*8)
	defer libc.Xfree(tls, va)
	rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_PAGECACHE, libc.VaList(va, buf, int32(line), int32(pages)))
	if rc != sqlite3.SQLITE_OK {
		libc.Xfree(tls, buf)
		if rc == sqlite3.SQLITE_MISUSE {
			return 0, ErrTooLate
		}
		return 0, fmt.Errorf("sqlitemem: SQLITE_CONFIG_PAGECACHE: SQLite error %d", rc)
	}
	return pages, nil
}
