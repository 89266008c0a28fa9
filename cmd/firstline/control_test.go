package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	stop := (&Main{}).startControl(context.Background(), db, slog.New(slog.NewTextHandler(&logs, nil)))
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
	stop := (&Main{}).startControl(context.Background(), db, slog.New(slog.NewTextHandler(&logs, nil)))
	defer stop()
	if !strings.Contains(logs.String(), "is not a socket") {
		t.Fatalf("logs: %s", logs.String())
	}
	mustFail(t, 1, "does not answer on "+sock, "backup", filepath.Join(t.TempDir(), "b.db"), "-data", data)
	if b, err := os.ReadFile(sock); err != nil || string(b) != "notes" {
		t.Fatalf("the file in the socket's place was touched: %q %v", b, err)
	}
}

func TestControlProtocol(t *testing.T) {
	data := mustStoreData(t, storeTickets(time.Now())...)
	runningDesk(t, data)
	sock := filepath.Join(data, "firstline.db.sock")
	raw := func(line string) controlResponse {
		t.Helper()
		conn, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte(line))
		reply, err := bufio.NewReader(conn).ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		var resp controlResponse
		if err := json.Unmarshal(reply, &resp); err != nil {
			t.Fatalf("the answer is not one JSON line: %q", reply)
		}
		return resp
	}
	tests := []struct {
		name, line, want string
	}{
		{"not JSON", "hello\n", "not a JSON object"},
		{"unknown op", `{"op":"shutdown"}` + "\n", `unknown request "shutdown"`},
		{"relative backup path", `{"op":"backup","path":"b.db"}` + "\n", "is not absolute"},
		{"backup over the data file", `{"op":"backup","path":"` + filepath.Join(data, "firstline.db") + `"}` + "\n", "is the data file itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if resp := raw(tt.line); resp.OK || !strings.Contains(resp.Error, tt.want) {
				t.Fatalf("got %+v, want an error with %q", resp, tt.want)
			}
		})
	}
	dest := filepath.Join(t.TempDir(), "b.db")
	resp, err := callControl(context.Background(), sock, controlRequest{Op: "backup", Path: dest})
	if err != nil || !resp.OK || resp.Tickets != 2 || resp.Size == 0 {
		t.Fatalf("backup: %+v %v", resp, err)
	}
	_, err = callControl(context.Background(), sock, controlRequest{Op: "backup", Path: "relative.db"})
	var ce *controlError
	if !errors.As(err, &ce) || !strings.Contains(ce.msg, "not absolute") {
		t.Fatalf("a refused request: %v", err)
	}
	if _, err := callControl(context.Background(), filepath.Join(t.TempDir(), "none.sock"), controlRequest{Op: "check"}); !errors.Is(err, errNoControl) {
		t.Fatalf("no socket: %v", err)
	}

}
