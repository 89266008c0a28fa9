//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadOnlyDataDir: the desk, and every command that writes, refuses at once a data directory it cannot
// write, with an error naming the data file and saying what to look at; the file is left as it was, and the
// commands that only read still work. (A data file that becomes read-only while the desk runs is the
// disk-full case: TestDiskFullWhileRunning.)
//
// The directory is made read-only with chmod when the test is not root; root ignores permissions, so then
// it is bind-mounted read-only over itself (EROFS), or the test is skipped where mount is not allowed.
func TestReadOnlyDataDir(t *testing.T) {
	root := t.TempDir()
	full := filepath.Join(root, "full")   // holds a data file with the demo knowledge base
	empty := filepath.Join(root, "empty") // exists, empty
	parent := filepath.Join(root, "parent")
	for _, d := range []string{full, empty, parent} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	kbDir, err := filepath.Abs("demo/kb")
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runMain(t, "kb", "import", kbDir, "-data", full); code != 0 {
		t.Fatalf("kb import: exit %d: %s", code, stderr)
	}
	backup := filepath.Join(root, "backup.db")
	if _, stderr, code := runMain(t, "backup", backup, "-data", full); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	dataFile := filepath.Join(full, "firstline.db")
	before := fileSum(t, dataFile)
	how := makeReadOnly(t, full, empty, parent)
	cfg := writeLoadConfig(t, root, "http://127.0.0.1:9/api/", freeAddr(t), "") // Slack unreachable: a desk that got past its data file would wait for it

	writers := []struct {
		name string
		args []string
		path string // the path the error must name
	}{
		{"run with a data file", []string{"run", "-data", full, "-config", cfg}, dataFile},
		{"run in an empty directory", []string{"run", "-data", empty, "-config", cfg}, filepath.Join(empty, "firstline.db")},
		{"run, the console demo", []string{"-data", full}, dataFile},
		{"run in a directory to create", []string{"run", "-data", filepath.Join(parent, "sub"), "-config", cfg}, filepath.Join(parent, "sub")},
		{"kb import", []string{"kb", "import", kbDir, "-data", full}, dataFile},
		{"erase-user", []string{"erase-user", "slack:U1", "-data", full}, dataFile},
		{"compact", []string{"compact", "-data", full}, dataFile},
		{"restore", []string{"restore", backup, "-data", full}, dataFile},
		{"bench tickets", []string{"bench", "tickets", "-n", "10", "-data", empty}, filepath.Join(empty, "firstline.db")},
	}
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			began := time.Now()
			stderr, code, stopped := runMainFor(t, time.Minute, w.args...)
			took := time.Since(began)
			switch {
			case code == 0:
				t.Fatalf("exit 0 with a read-only data directory (%s); stderr: %s", how, stderr)
			case stopped:
				// Not a time: a command that failed at once was not still running when the limit ended.
				t.Errorf("still running after %v: it must fail at once", took.Round(time.Millisecond))
			case !strings.Contains(stderr, w.path):
				t.Errorf("the error does not name %s:\n%s", w.path, stderr)
			case w.path == dataFile && !strings.Contains(stderr, "cannot write the data file"):
				t.Errorf("the error does not say the data file cannot be written:\n%s", stderr)
			}
			t.Logf("exit %d after %v: %s", code, took.Round(time.Millisecond), strings.TrimSpace(stderr))
		})
	}
	if got := fileSum(t, dataFile); got != before {
		t.Error("the data file changed")
	}
	// Reading needs no write: the file can still be looked at, checked and copied.
	for _, args := range [][]string{
		{"tickets", "list", "-data", full},
		{"check", "-data", full},
		{"report", "-data", full},
		{"backup", "-force", filepath.Join(root, "again.db"), "-data", full},
	} {
		if _, stderr, code := runMain(t, args...); code != 0 {
			t.Errorf("%s on a read-only data directory: exit %d: %s", strings.Join(args[:len(args)-2], " "), code, stderr)
		}
	}
}

// runMainFor runs the program in-process, stopping it after limit (a desk that got past its data file
// would run until then), and returns its stderr, its exit code and whether the limit stopped it.
func runMainFor(t *testing.T, limit time.Duration, args ...string) (string, int, bool) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: noEnv}
	code := m.Run(ctx, args)
	return errOut.String(), code, ctx.Err() != nil
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// makeReadOnly makes dirs (and the files in them) read-only for this process until the test ends, and
// says how.
func makeReadOnly(t *testing.T, dirs ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		for _, d := range dirs {
			files, _ := filepath.Glob(filepath.Join(d, "*"))
			for _, f := range files {
				if err := os.Chmod(f, 0o400); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(d, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				os.Chmod(d, 0o700)
				for _, f := range files {
					os.Chmod(f, 0o600)
				}
			})
		}
		return "chmod 0500"
	}
	for _, d := range dirs {
		if err := syscall.Mount(d, d, "", syscall.MS_BIND, ""); err != nil {
			t.Skipf("running as root, which ignores permissions, and cannot bind-mount %s read-only: %v", d, err)
		}
		t.Cleanup(func() {
			if err := syscall.Unmount(d, syscall.MNT_DETACH); err != nil {
				t.Errorf("unmount %s: %v", d, err)
			}
		})
		if err := syscall.Mount("", d, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
			t.Skipf("running as root, which ignores permissions, and cannot remount %s read-only: %v", d, err)
		}
	}
	return "a read-only bind mount, as root"
}
