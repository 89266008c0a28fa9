//go:build !unix

package program

import "os/exec"

// killGroup kills only the program itself at the deadline, where process groups are not had.
func killGroup(*exec.Cmd) {}
