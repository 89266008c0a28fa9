package dump_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/storage/dump"
	"github.com/firstline-desk/firstline/storage/postgres"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
)

var (
	ctx  = context.Background()
	base = time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)
)

// fillDesk writes a desk with a record of every kind into db, and purges a ticket so that the
// sequences are ahead of what is left.
func fillDesk(t *testing.T, db *storage.DB) {
	t.Helper()
	err := db.Update(ctx, func(tx bot.Tx) error {
		for i := range 30 {
			at := base.Add(time.Duration(i) * time.Hour)
			tk := &bot.Ticket{Version: bot.TicketVersion, Status: []bot.Status{bot.StatusOpen, bot.StatusEscalated, bot.StatusClaimed, bot.StatusResolved}[i%4],
				Tier: "tier2", Priority: fmt.Sprintf("P%d", 1+i%4), Requester: fmt.Sprintf("slack:U%d", i%5), RequesterName: "Ada «Lovelace»",
				Conversation: bot.Conversation{Platform: []string{"slack", "discord"}[i%2], Channel: "help", Thread: fmt.Sprintf("%d.1", i), DM: i%7 == 0},
				Subject:      fmt.Sprintf("The printer %d jams — again", i), CreatedAt: at, UpdatedAt: at.Add(time.Minute),
				Transcript: []bot.Entry{{At: at, Author: fmt.Sprintf("slack:U%d", i%5), Role: bot.RoleRequester, Text: "It jams \u2028 on page 2 <b>&"},
					{At: at, Author: "slack:UTECH", Role: bot.RoleTechnician, Text: "Toner ordered", Internal: true}},
				Transitions: []bot.Transition{{At: at, Type: bot.TransitionEscalated, To: bot.StatusEscalated, Tier: "tier2"}},
			}
			if tk.Status != bot.StatusOpen {
				start, due := at, at.Add(time.Duration(i)*time.Hour)
				tk.SLA = &bot.SLA{Priority: tk.Priority, Resolution: bot.SLAClock{Start: &start, Due: &due}}
			}
			if tk.Status == bot.StatusResolved {
				r := at.Add(2 * time.Hour)
				tk.ResolvedAt = &r
				tk.CSAT = &bot.Rating{Score: 4, RatedAt: r, By: tk.Requester, Comment: "thanks"}
			}
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
			ref := bot.MessageRef{Platform: "slack", Channel: "tier2", ID: fmt.Sprintf("c%d", i)}
			post := &bot.Post{Channel: "tier2", Text: "card", Choices: []bot.Choice{{ID: "claim", Label: "Claim"}}}
			if err := tx.RecordPost(ref, bot.MessageLink{Ticket: tk.ID, Key: "card-1", Post: post}); err != nil {
				return err
			}
			if err := tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Platform: "slack", Lane: "slack/help", Ticket: tk.ID, Key: "answer-1",
				Post: bot.Post{Channel: "help", Text: "answer"}, CreatedAt: at, NotBefore: at.Add(time.Second), Attempts: i % 3}); err != nil {
				return err
			}
			if err := tx.Audit(bot.AuditEntry{At: at, Actor: tk.Requester, Action: "ticket.opened", Target: tk.ID, Detail: "x"}); err != nil {
				return err
			}
			if _, err := tx.RecordDedupKey(fmt.Sprintf("slack\x1fEv%d\x00", i), at); err != nil {
				return err
			}
			if i%3 == 0 {
				run := &bot.ActionRun{Action: "unlock-account", Title: "Unlock my account", State: []bot.RunState{bot.RunPending, bot.RunSucceeded, bot.RunUnknown}[i%9/3],
					Ticket: tk.ID, RequestedBy: tk.Requester, For: tk.Requester, Params: map[string]string{"user": "ada@example.com"},
					IdempotencyKey: fmt.Sprintf("fl-run-%d", i), CreatedAt: at, ExpiresAt: at.Add(4 * time.Hour),
					History: []bot.RunStep{{At: at, State: bot.RunPending, By: tk.Requester}}}
				if err := tx.CreateActionRun(run); err != nil {
					return err
				}
			}
		}
		if err := tx.PutSetting(bot.SettingActionsOff, "true"); err != nil {
			return err
		}
		for i, body := range []string{"one", "two", "three"} {
			if _, err := tx.PutKBArticle(kb.Article{ID: "vpn", Title: "VPN", Tags: []string{"vpn"}, Body: body}, i == 2, "slack:UADA", base, i); err != nil {
				return err
			}
		}
		if _, err := tx.PutKBArticle(kb.Article{ID: "a-printer", Title: "Printer", Body: "Open tray 2."}, false, "discord:7", base, 0); err != nil {
			return err
		}
		for _, kind := range []string{"", bot.FeedbackSolved, bot.FeedbackHuman} {
			if err := tx.CountFeedback("a-printer", kind); err != nil {
				return err
			}
		}
		return tx.PutKBFile(bot.KBFile{ID: "a-printer", File: "printer.md", Hash: "abc", Version: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	con := db.Adapter("console")
	for range 3 {
		if _, err := con.NextID(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := con.Put(ctx, "m1", []byte(`{"id":"m1","text":"hello"}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.Adapter("discord").Put(ctx, "cursor\x00x", []byte{0, 1, 2, 255}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutVectors(map[string][]float32{"m:1": {1, -2.5, 3e-7}, "m:2": {}}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutWebRecord(ctx, "session", "h1", "slack:U1", base.Add(time.Hour), []byte("rec"), bot.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutWebRecord(ctx, "key", "k", "", time.Time{}, []byte{9, 9}, bot.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	// The last ticket goes: the ticket sequence is ahead of the tickets left.
	err = db.Update(ctx, func(tx bot.Tx) error {
		tk := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusResolved, Requester: "slack:UGONE", ResolvedAt: &base, CreatedAt: base, UpdatedAt: base,
			Conversation: bot.Conversation{Platform: "slack", Channel: "gone"}}
		if err := tx.CreateTicket(tk); err != nil {
			return err
		}
		// with a run of its own, which goes with it: the run sequence is ahead too
		return tx.CreateActionRun(&bot.ActionRun{Action: "unlock-account", State: bot.RunSucceeded, Ticket: tk.ID, For: tk.Requester,
			IdempotencyKey: "fl-gone", CreatedAt: base, History: []bot.RunStep{}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := db.PurgeResolved(ctx, base.Add(time.Minute), 0); err != nil || p.Tickets != 1 {
		t.Fatalf("purge: %+v, %v", p, err)
	}
}

// exporter is what both stores export with.
type exporter interface {
	Export(ctx context.Context, fn func(dump.Record) error) error
}

func export(t *testing.T, s exporter) []dump.Record {
	t.Helper()
	var out []dump.Record
	if err := s.Export(ctx, func(r dump.Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func canonical(t *testing.T, records []dump.Record) []string {
	t.Helper()
	lines, err := dump.Canonical(records)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func sameDump(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: line %d\n got %s\nwant %s", what, i, got[i], want[i])
		}
	}
	t.Fatalf("%s: %d lines, want %d", what, len(got), len(want))
}

// TestRoundTrip copies a desk from a bbolt file to PostgreSQL and back to a new bbolt file: the three
// dumps are the same, record for record, and each copy works as a desk (the same lists, the same text
// search, numbers go on where they were).
func TestRoundTrip(t *testing.T) {
	src, err := storage.Open(filepath.Join(t.TempDir(), "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fillDesk(t, src)
	want := export(t, src)
	counts := dump.Counts{}
	for _, r := range want {
		counts.Add(r)
	}
	for _, k := range dump.Kinds {
		if counts[k] == 0 {
			t.Fatalf("the desk has no %s: the test would not see it lost", k)
		}
	}

	pg, err := postgres.Open(ctx, postgres.Options{DSN: pgtest.DSN(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	im, err := postgres.NewImporter(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range want {
		if err := im.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Close(); err != nil {
		t.Fatal(err)
	}
	sameDump(t, "bbolt → PostgreSQL", canonical(t, export(t, pg)), canonical(t, want))

	path := filepath.Join(t.TempDir(), "back.db")
	bim, err := storage.NewImporter(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.Export(ctx, bim.Put); err != nil {
		t.Fatal(err)
	}
	if err := bim.Close(); err != nil {
		t.Fatal(err)
	}
	back, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	sameDump(t, "bbolt → PostgreSQL → bbolt", canonical(t, export(t, back)), canonical(t, want))
	if err := back.Check(); err != nil {
		t.Fatal(err)
	}
	if r, err := back.CheckAll(ctx); err != nil || len(r.Problems) > 0 {
		t.Fatalf("check of the copy back: %v\n%s", err, strings.Join(r.Problems, "\n"))
	}

	// Each copy is a desk: the same lists and searches; numbers go on.
	for _, f := range []bot.TicketFilter{{}, {Text: "printer jams"}, {Text: "toner", Visible: true}, {Order: bot.OrderDue, Limit: 7}, {Status: []bot.Status{bot.StatusResolved}}} {
		w := rows(t, src, f)
		for name, s := range map[string]bot.Store{"PostgreSQL": pg, "bbolt again": back} {
			if got := rows(t, s, f); !slices.Equal(got, w) {
				t.Fatalf("%s: %+v finds %v, the source %v", name, f, got, w)
			}
		}
	}
	var wantDue []string
	if err := src.View(ctx, func(tx bot.Tx) error {
		wantDue, err = tx.DueTickets(base.Add(1000*time.Hour), 0)
		return err
	}); err != nil || len(wantDue) == 0 {
		t.Fatalf("the source's tickets due: %v, %v", wantDue, err)
	}
	for name, s := range map[string]bot.Store{"source": src, "PostgreSQL": pg, "bbolt again": back} {
		if err := s.Update(ctx, func(tx bot.Tx) error {
			tk := &bot.Ticket{Requester: "slack:UNEW", Status: bot.StatusOpen}
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if tk.ID != "T-000032" {
				t.Errorf("%s: the next ticket is %s, want T-000032", name, tk.ID)
			}
			due, err := tx.DueTickets(base.Add(1000*time.Hour), 0)
			if err != nil || !slices.Equal(due, wantDue) {
				t.Errorf("%s: tickets due %v, %v; want %v", name, due, err, wantDue)
			}
			return fmt.Errorf("roll back")
		}); err == nil {
			t.Fatal("committed")
		}
	}
	for name, st := range map[string]interface {
		NextID(context.Context) (uint64, error)
	}{"PostgreSQL": pg.Adapter("console"), "bbolt again": back.Adapter("console")} {
		if id, err := st.NextID(ctx); err != nil || id != 4 {
			t.Errorf("%s: the console's next id %d, %v; want 4", name, id, err)
		}
	}
}

func rows(t *testing.T, s bot.Store, f bot.TicketFilter) []string {
	t.Helper()
	var out []string
	if err := s.View(ctx, func(tx bot.Tx) error {
		rs, err := tx.TicketRows(f)
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s %s %s %v %v", r.ID, r.Status, r.Priority, r.SLA.Due, r.CreatedAt))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportRefusesADesk: neither store takes a copy over records it holds.
func TestImportRefusesADesk(t *testing.T) {
	pg, err := postgres.Open(ctx, postgres.Options{DSN: pgtest.DSN(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if err := pg.Update(ctx, func(tx bot.Tx) error { return tx.Audit(bot.AuditEntry{At: base, Action: "x"}) }); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.NewImporter(ctx, pg); bot.ErrorCode(err) != bot.EINVALID {
		t.Fatalf("an import into a database with an audit entry: %v, want EINVALID", err)
	}
	path := filepath.Join(t.TempDir(), "firstline.db")
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := storage.NewImporter(path); bot.ErrorCode(err) != bot.EINVALID {
		t.Fatalf("an import over a data file: %v, want EINVALID", err)
	}
}
