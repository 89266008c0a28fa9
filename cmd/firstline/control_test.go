package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/storage"
)

// staleSocket leaves a socket at path with nothing listening, as a desk that crashed does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("no stale socket at %s: %v", path, err)
	}
}

func TestControlSocketLeftByACrash(t *testing.T) {
	data := mustStoreData(t, storeTickets(time.Now())...)
	sock := filepath.Join(data, "firstline.db.sock")
	staleSocket(t, sock)

	// Nothing answers on it: the commands open the file themselves.
	mustRun(t, "(Firstline is not running)", "backup", filepath.Join(t.TempDir(), "b.db"), "-data", data)
	mustRun(t, "no problems found.", "check", "-data", data)

	// The next desk replaces it and answers.
	var logs bytes.Buffer
	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop := control.Start(context.Background(), db, slog.New(slog.NewTextHandler(&logs, nil)))
	if !strings.Contains(logs.String(), "replacing a stale control socket") {
		t.Fatalf("logs: %s", logs.String())
	}
	mustRun(t, "(checked by the running Firstline)", "check", "-data", data)
	stop()
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Fatalf("the socket outlived stop: %v", err)
	}
}

// TestControlSocketBlocked: a file that is not a socket is never removed; the desk runs without a socket,
// and backup says why it cannot reach it.
func TestControlSocketBlocked(t *testing.T) {
	data := mustStoreData(t, storeTickets(time.Now())...)
	sock := filepath.Join(data, "firstline.db.sock")
	if err := os.WriteFile(sock, []byte("notes"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop := control.Start(context.Background(), db, slog.New(slog.NewTextHandler(&logs, nil)))
	defer stop()
	if !strings.Contains(logs.String(), "is not a socket") {
		t.Fatalf("logs: %s", logs.String())
	}
	mustFail(t, 1, "does not answer on "+sock, "backup", filepath.Join(t.TempDir(), "b.db"), "-data", data)
	if b, err := os.ReadFile(sock); err != nil || string(b) != "notes" {
		t.Fatalf("the file in the socket's place was touched: %q %v", b, err)
	}
}
