package bench

import (
	"os/exec"
	"syscall"
)

// dieWithBench has Linux stop a server when the bench process dies before stopping it (a
// run piped into head dies of SIGPIPE): left running, idle servers kept refreshing their
// match indexes beside later runs and skewed them.
func dieWithBench(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
