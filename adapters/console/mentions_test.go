package console_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/console"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

// TestConsoleMentionFillsUserParameter: in the console a person is their name, and "@tom" in a message
// is console:tom, so "!run add-member user=@tom" runs for tom through the real engine; an id works as
// before, and an "@" that names no one ("@!") is refused.
func TestConsoleMentionFillsUserParameter(t *testing.T) {
	member := bottest.Succeeding("ok")
	cfg := bot.Config{Name: "Firstline", CommandPrefix: "!", HelpChannels: []string{"console:help"}, Reactions: bot.DefaultReactions,
		Tiers:         []bot.Tier{{ID: "tier2", Name: "Tier 2", Channel: "console:tier2", Members: []string{"console:tom"}}},
		MinConfidence: kb.DefaultMinConfidence, ReopenWindow: 7 * 24 * time.Hour, DefaultPriority: "P3",
		Actions: []bot.ActionDef{{ID: "add-member", Title: "Add someone to a group", Runner: member, Params: []bot.ActionParam{
			{Name: "user", Type: bot.ParamUser, Required: true},
			{Name: "group", Type: bot.ParamEnum, Choices: []string{"finance", "hr"}, Required: true},
		}}},
		Forms: []bot.Form{{ID: "access", Title: "Access request", Fields: []bot.FormField{{ID: "who", Label: "For whom?", Type: bot.FieldUser, Required: true}}}}}
	db, err := storage.Open(filepath.Join(t.TempDir(), "data.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine, err := bot.New(cfg, db, kb.NewLibrary(nil, kb.Options{}), bot.SystemClock{}, logger)
	if err != nil {
		t.Fatal(err)
	}
	a := console.New(demoConfig, newMemState(), logger)
	engine.AddChat(a)
	out := runScript(t, a, engine, "!run add-member user=@tom group=hr\n!run add-member user=console:sara group=finance\n!run add-member user=@! group=hr\n/form access\n@sara\n")
	calls := member.Calls()
	if len(calls) != 2 || calls[0].Params["user"] != "console:tom" || calls[1].Params["user"] != "console:sara" {
		t.Fatalf("calls %+v; output:\n%s", calls, out)
	}
	if !strings.Contains(out, "I can't tell who @! is") {
		t.Fatalf("the @ that names no one was not refused:\n%s", out)
	}
	// A form's person answered as a mention ("@sara") is sara, as a message's mention is.
	var found bool
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		tickets, err := tx.FindTickets(bot.TicketFilter{})
		for _, tk := range tickets {
			if tk.Form != nil && len(tk.Form.Answers) == 1 && tk.Form.Answers[0].Value == "console:sara" {
				found = true
			}
		}
		return err
	}); err != nil || !found {
		t.Fatalf("no ticket with the form's answer console:sara (%v); output:\n%s", err, out)
	}
}
