package main

import (
	"os/exec"
	"syscall"
)

// stopWithParent makes the server receive SIGTERM if this program dies
// before it stops the server itself.
func stopWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
