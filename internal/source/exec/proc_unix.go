//go:build unix

package exec

import (
	"os/exec"
	"syscall"
)

// setKillGroup makes cmd run in a process group of its own that its
// cancellation kills whole, children included.
func setKillGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
