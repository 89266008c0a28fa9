package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExitIfStuck checks the last resort after a signal: the default action is restored first (so a
// second Ctrl-C kills at once), then the program exits with 1 and says why.
func TestExitIfStuck(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("terminated signal received"))
	var order []string
	var stderr bytes.Buffer
	exitIfStuck(ctx, func() { order = append(order, "stop") }, 0, &stderr, func(code int) { order = append(order, "exit "+string(rune('0'+code))) })
	if strings.Join(order, ",") != "stop,exit 1" {
		t.Fatalf("calls = %v, want stop then exit 1", order)
	}
	if got := stderr.String(); !strings.Contains(got, "terminated signal received") || !strings.Contains(got, "exiting now") {
		t.Fatalf("stderr = %q", got)
	}
}

// TestInterruptedCommands checks a command told to stop says so, exits 1 and leaves nothing behind: an
// import imports nothing, an export writes no file, a desk starting on kb.dir does not start.
func TestInterruptedCommands(t *testing.T) {
	dir := writeKB(t, map[string]string{"vpn.md": kbFile("vpn", "VPN", "Open the VPN app.")})
	data := t.TempDir()
	if _, errOut, code := runMain(t, "kb", "import", dir, "-data", data); code != 0 {
		t.Fatalf("kb import: %d %s", code, errOut)
	}
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	other := t.TempDir()
	exported := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{
		{"kb", "import", dir, "-data", other},
		{"kb", "export", exported, "-data", data},
		{"-config", kbDirConfig(t, dir), "-data", other},
	} {
		var out, errOut bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: noEnv}
		if code := m.Run(stopped, args); code != 1 || !strings.Contains(errOut.String(), "interrupted") {
			t.Fatalf("%v after a signal: exit %d, stderr %q", args, code, errOut.String())
		}
	}
	if got := storedArticles(t, other); len(got) != 0 {
		t.Fatalf("an interrupted import stored %d articles", len(got))
	}
	if files, _ := filepath.Glob(filepath.Join(exported, "*")); len(files) != 0 {
		t.Fatalf("an interrupted export wrote %v", files)
	}
}

// TestSignalStopsABlockedProgram checks SIGTERM ends the real program even while it is blocked in a
// system call that never looks at the context: here reading its config from a named pipe (as
// `-config <(generate)` does) whose writer sends nothing. Before, the signal was caught and ignored, and
// the program hung until SIGKILL.
func TestSignalStopsABlockedProgram(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "firstline.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(firstlineBinary(t), "-config", fifo, "-data", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Opening the pipe for writing returns once the program has opened it for reading: it is then
	// blocked reading a pipe that stays open and empty.
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "exiting now") {
			t.Fatalf("after SIGTERM: %v, stderr %q; want exit status 1 and why", err, stderr.String())
		}
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("the program ignored SIGTERM for a minute; stderr %q", stderr.String())
	}
}
