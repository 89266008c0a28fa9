package control_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/storage"
)

// TestStartShared serves a store the desk does not hold alone (as a desk on PostgreSQL does): the reads
// answer, backup and check say what to use instead, and a second desk given the same folder leaves the
// first one's socket alone (with no lock to say whose it is, taking it would cut the first off).
func TestStartShared(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(filepath.Join(t.TempDir(), "records.db"), storage.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(ctx, func(tx bot.Tx) error {
		return tx.CreateTicket(&bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusOpen, Tier: bot.LevelOne, Priority: "P3",
			Requester: "slack:U1", Subject: "vpn", Conversation: bot.Conversation{Platform: "slack", Channel: "C1", Thread: "1.1"},
			CreatedAt: time.Now(), UpdatedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "firstline.db.sock")
	stop := control.StartShared(ctx, sock, db, slog.New(slog.DiscardHandler))
	defer stop()

	list, err := control.Remote(sock).Tickets(ctx, bot.TicketFilter{})
	if err != nil || len(list) != 1 || list[0].ID != "T-000001" {
		t.Fatalf("tickets through the shared socket: %v, %v", list, err)
	}
	for _, op := range []string{"backup", "check"} {
		_, err := control.Call(ctx, sock, control.Request{Op: op, Path: "/tmp/x.db"})
		if err == nil || !strings.Contains(err.Error(), "PostgreSQL") {
			t.Errorf("%s on a shared store: %v", op, err)
		}
	}

	var logs bytes.Buffer
	second := control.StartShared(ctx, sock, db, slog.New(slog.NewTextHandler(&logs, nil)))
	second()
	if !strings.Contains(logs.String(), "give each replica its own -data folder") {
		t.Fatalf("the second desk on one socket: %s", logs.String())
	}
	if err := control.Ping(ctx, sock); err != nil {
		t.Fatalf("the first desk's socket after a second started and stopped: %v", err)
	}
}
