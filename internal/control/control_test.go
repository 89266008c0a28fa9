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
	"github.com/firstline-desk/firstline/kb"
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
			if err := tx.Audit(bot.AuditEntry{At: now, Actor: "console:ada", Action: "ticket.opened", Target: tk.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		_, err = bot.ImportKBArticles(context.Background(), db, []kb.Article{{ID: "vpn", Title: "VPN", Body: "Restart it."}}, "test", now)
	}
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

// TestRemoteReadsAsLocal checks that every read through the desk's socket returns what the same read of
// the data file returns, errors included.
func TestRemoteReadsAsLocal(t *testing.T) {
	data := mustDesk(t, 3)
	// The desk holds data's lock, so the local reads run on a backup of it: the same bytes.
	backup := filepath.Join(t.TempDir(), "copy.db")
	if _, err := control.Call(context.Background(), control.Path(data), control.Request{Op: "backup", Path: backup}); err != nil {
		t.Fatal(err)
	}
	copyDB, err := storage.Open(backup, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	local, remote := control.Local(copyDB), control.Remote(control.Path(data))
	ctx := context.Background()
	since := time.Now().Add(-time.Hour)
	same := func(what string, read func(r control.Reader) (any, error)) {
		t.Helper()
		a, errA := read(local)
		b, errB := read(remote)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) || bot.ErrorCode(errA) != bot.ErrorCode(errB) || (errA != nil && errB.(*bot.Error).Message != errA.(*bot.Error).Message) {
			t.Fatalf("%s: local %s (%v), remote %s (%v)", what, ja, errA, jb, errB)
		}
		if string(ja) == "null" && errA == nil {
			t.Fatalf("%s read nothing", what)
		}
	}
	same("tickets", func(r control.Reader) (any, error) { return r.Tickets(ctx, bot.TicketFilter{}) })
	same("open tickets", func(r control.Reader) (any, error) {
		return r.Tickets(ctx, bot.TicketFilter{Status: []bot.Status{bot.StatusOpen}, Limit: 2})
	})
	same("ticket", func(r control.Reader) (any, error) { return r.Ticket(ctx, "T-000002") })
	same("no ticket", func(r control.Reader) (any, error) { return r.Ticket(ctx, "T-000042") })
	same("since", func(r control.Reader) (any, error) { return r.TicketsActiveOrUpdatedSince(ctx, since) })
	same("audit", func(r control.Reader) (any, error) { return r.AuditEntries(ctx, since, 2) })
	same("articles", func(r control.Reader) (any, error) { return r.Articles(ctx) })
	if _, err := remote.Ticket(ctx, "T-000042"); !bot.IsNotFound(err) {
		t.Fatalf("a missing ticket through the socket: %v, want ENOTFOUND", err)
	}
}
