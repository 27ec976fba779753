//go:build !linux

package bench

import "errors"

// pinFiles needs Linux's mlock of a shared mapping to keep the page cache.
func pinFiles(string) (func(), error) {
	return nil, errors.New("bench: pinning the databases in memory (-pin) is done on Linux only")
}
