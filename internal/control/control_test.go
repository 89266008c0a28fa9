package control_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/storage"
)

// mustDesk opens a data file holding n tickets as the desk does, and serves its control socket until the
// test ends. It returns the data file's path.
func mustDesk(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "firstline.db")
	db, err := storage.Open(path, storage.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = db.Update(context.Background(), func(tx bot.Tx) error {
		for i := range n {
			tk := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusOpen, Tier: bot.LevelOne, Priority: "P3",
				Requester: "console:alice", RequesterName: "alice", Subject: "vpn",
				Conversation: bot.Conversation{Platform: "console", Channel: "help", Thread: "m" + string(rune('1'+i))},
				CreatedAt:    now, UpdatedAt: now}
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := control.Start(context.Background(), db, slog.New(slog.DiscardHandler))
	t.Cleanup(func() {
		stop()
		db.Close()
	})
	return path
}

func TestProtocol(t *testing.T) {
	data := mustDesk(t, 2)
	sock := control.Path(data)
	raw := func(line string) control.Response {
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
		var resp control.Response
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
		{"backup over the data file", `{"op":"backup","path":"` + data + `"}` + "\n", "is the data file itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if resp := raw(tt.line); resp.OK || !strings.Contains(resp.Error, tt.want) {
				t.Fatalf("got %+v, want an error with %q", resp, tt.want)
			}
		})
	}
	dest := filepath.Join(t.TempDir(), "b.db")
	resp, err := control.Call(context.Background(), sock, control.Request{Op: "backup", Path: dest})
	if err != nil || !resp.OK || resp.Tickets != 2 || resp.Size == 0 {
		t.Fatalf("backup: %+v %v", resp, err)
	}
	_, err = control.Call(context.Background(), sock, control.Request{Op: "backup", Path: "relative.db"})
	var ce *control.Error
	if !errors.As(err, &ce) || !strings.Contains(ce.Message, "not absolute") {
		t.Fatalf("a refused request: %v", err)
	}
	if _, err := control.Call(context.Background(), filepath.Join(t.TempDir(), "none.sock"), control.Request{Op: "check"}); !errors.Is(err, control.ErrNotRunning) {
		t.Fatalf("no socket: %v", err)
	}
}
