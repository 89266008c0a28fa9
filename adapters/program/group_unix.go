//go:build unix

package program

import (
	"os/exec"
	"syscall"
)

// killGroup runs the program in a process group of its own, and at the deadline kills the group: a
// script's children go with it.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
