//go:build !linux

package bench

import "os/exec"

// dieWithBench does nothing off Linux: a server outlives a bench that dies before stopping it.
func dieWithBench(*exec.Cmd) {}
