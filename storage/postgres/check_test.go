package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage/postgres"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
)

// checkDesk writes a small sound desk: three linked tickets, a card each, effects, audit entries, an
// article with two versions.
func checkDesk(t *testing.T) *postgres.DB {
	t.Helper()
	db := mustOpen(t, pgtest.DSN(t))
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	err := db.Update(context.Background(), func(tx bot.Tx) error {
		for i := range 3 {
			tk := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusEscalated, Tier: "tier2", Priority: "P2", Requester: fmt.Sprintf("slack:U%d", i),
				Conversation: bot.Conversation{Platform: "slack", Channel: "help", Thread: fmt.Sprintf("%d.1", i)}, Subject: "Printer jams",
				CreatedAt: at, UpdatedAt: at, Transcript: []bot.Entry{{At: at, Text: "The printer jams"}}}
			due := at.Add(time.Hour)
			tk.SLA = &bot.SLA{Priority: "P2", Resolution: bot.SLAClock{Start: &at, Due: &due}}
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
			if err := tx.RecordPost(bot.MessageRef{Platform: "slack", Channel: "tier2", ID: fmt.Sprintf("c%d", i)}, bot.MessageLink{Ticket: tk.ID, Key: "card-1"}); err != nil {
				return err
			}
			if err := tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Lane: "l", Ticket: tk.ID, CreatedAt: at}); err != nil {
				return err
			}
			if err := tx.Audit(bot.AuditEntry{At: at, Action: "ticket.opened", Target: tk.ID}); err != nil {
				return err
			}
		}
		if err := tx.CreateActionRun(&bot.ActionRun{Action: "reset-mfa", Ticket: "T-000001", For: "slack:U0", State: bot.RunPending, CreatedAt: at}); err != nil {
			return err
		}
		for v, body := range []string{"one", "two"} {
			if _, err := tx.PutKBArticle(kb.Article{ID: "vpn", Title: "VPN", Body: body}, false, "slack:UADA", at, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestCheckFindsEachBrokenInvariant: a sound desk checks clean; each invariant broken behind
// Firstline's back is reported, in a sentence that names what it breaks.
func TestCheckFindsEachBrokenInvariant(t *testing.T) {
	ctx := context.Background()
	r, err := checkDesk(t).CheckAll(ctx)
	if err != nil || len(r.Problems) != 0 || r.Tickets != 3 || r.Schema != postgres.SchemaVersion() {
		t.Fatalf("a sound desk: %+v, %v", r, err)
	}
	for _, tt := range []struct {
		name, sql, want string
	}{
		{"a column disagrees with its ticket", "UPDATE tickets SET status = 'resolved' WHERE seq = 1", "T-000001: its status is resolved"},
		{"the SLA loop's column", "UPDATE tickets SET next_check = NULL WHERE seq = 2", "T-000002: its next_check is none"},
		{"a ticket's words lost", "DELETE FROM ticket_terms WHERE seq = 1", "T-000001: the text index holds 0 words"},
		{"words of no ticket", "INSERT INTO ticket_terms VALUES ('ghost', 77)", "words of T-000077"},
		{"a conversation unlinked", "DELETE FROM conversations WHERE ticket = 'T-000002'", "T-000002: its conversation"},
		{"a link to no ticket", "UPDATE conversations SET ticket = 'T-000099' WHERE ticket = 'T-000003'", "links to T-000099, which does not exist"},
		{"a message link unreadable", "UPDATE messages SET data = 'x' WHERE ticket = 'T-000001'", "cannot be read"},
		{"a posted message unlinked", "DELETE FROM messages WHERE ticket = 'T-000003'", "T-000003: its message card-1"},
		{"an effect for no ticket", "UPDATE outbox SET ticket = 'T-000042', data = replace(data, 'T-000001', 'T-000042') WHERE ticket = 'T-000001'", "is for T-000042, which does not exist"},
		{"a sequence behind", "SELECT setval('ticket_seq', 1)", "ticket_seq: the sequence is at 1"},
		{"an article's version gone", "DELETE FROM article_versions WHERE version = 2", "vpn is at version 2, which is missing"},
		{"a run's column disagrees", "UPDATE action_runs SET state = 'done'", "A-000001 has state \"done\", the run says \"pending\""},
		{"a run on no ticket", "UPDATE action_runs SET ticket = 'T-000077', data = replace(data, 'T-000001', 'T-000077')", "A-000001 is on T-000077, which does not exist"},
		{"the runs' sequence behind", "SELECT setval('action_run_seq', 1, false)", "action_run_seq: the sequence is at 0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := checkDesk(t)
			if _, err := db.Pool().Exec(ctx, tt.sql); err != nil {
				t.Fatal(err)
			}
			r, err := db.CheckAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(r.Problems, "\n"), tt.want) {
				t.Fatalf("problems %q, want one with %q", r.Problems, tt.want)
			}
		})
	}
}
