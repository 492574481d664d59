//go:build !unix

package exec

import "os/exec"

// setKillGroup leaves cmd's cancellation to kill the process alone.
func setKillGroup(*exec.Cmd) {}
