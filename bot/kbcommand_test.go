package bot_test

import (
	"context"
	"time"

	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"

	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
)

func kbDesk(t *testing.T) (*bottest.Desk, *kb.Library) {
	t.Helper()
	cfg := testConfig()
	cfg.KBReviewChannel = "test:kb-review"
	cfg.CaptureReaction = "books"
	vpn := kb.Article{ID: "vpn-connect", Title: "Connect to the VPN", Body: "Open Example VPN and sign in."}
	db := openStore(t, "")
	// The data file holds the articles and the library indexes them, as at start-up.
	if _, err := bot.ImportKBArticles(context.Background(), db, []kb.Article{vpn}, "import", time.Now()); err != nil {
		t.Fatal(err)
	}
	lib := kb.NewLibrary([]kb.Article{vpn}, kb.Options{})
	return bottest.NewDesk(t, cfg, db, lib), lib
}

func lastText(d *bottest.Desk, channel string) string {
	if m := d.Chat.Last(channel); m != nil {
		return m.Text()
	}
	return ""
}

// TestKBRoles is the role × command matrix: anyone reads, only admins change, refusals are audited.
func TestKBRoles(t *testing.T) {
	tests := []struct {
		cmd     string
		allowed map[string]bool // by user
	}{
		{"!kb search vpn", map[string]bool{alice: true, tom: true, ada: true}},
		{"!kb show vpn-connect", map[string]bool{alice: true, tom: true, ada: true}},
		{"!kb list", map[string]bool{alice: true, tom: true, ada: true}},
		{"!kb show vpn-connect v1", map[string]bool{alice: true, tom: true, ada: true}}, // v1 is the current one
		{"!kb history vpn-connect", map[string]bool{tom: true, ada: true}},
		{"!kb diff vpn-connect 1 1", map[string]bool{tom: true, ada: true}},
		{"!kb purge vpn-connect", map[string]bool{ada: true}},
		{"!kb add\nPrinter jammed\nOpen tray 2 and pull the paper.", map[string]bool{ada: true}},
		{"!kb edit vpn-connect v1 title: Connect to the company VPN", map[string]bool{ada: true}},
		{"!kb delete vpn-connect v1", map[string]bool{ada: true}},
		{"!kb stale", map[string]bool{tom: true, ada: true}},
	}
	for _, tt := range tests {
		for _, user := range []string{alice, tom, ada} {
			d, _ := kbDesk(t)
			d.Say(user, "help", tt.cmd)
			got := lastText(d, "help")
			refused := strings.Contains(got, "Only ")
			failed := strings.Contains(got, "There is no") || strings.Contains(got, "not valid")
			if refused == tt.allowed[user] || failed {
				t.Errorf("%q by %s: %q (allowed %v)", strings.SplitN(tt.cmd, "\n", 2)[0], user, got, tt.allowed[user])
			}
		}
	}
}

// TestKBEditing checks add, edit, the stale-version conflict, history, diff, delete and restore, and that
// every change is searchable at once.
func TestKBEditing(t *testing.T) {
	d, lib := kbDesk(t)
	d.Say(ada, "help", "!kb add\nPrinter paper jam\nOpen tray 2 and pull the paper out gently.\ntags: printer, hardware")
	if got := lastText(d, "help"); !strings.Contains(got, "Added `printer-paper-jam` (version 1)") {
		t.Fatalf("add: %q", got)
	}
	if hits := lib.Index.Search("paper jam in the printer", 1); len(hits) == 0 || hits[0].ID != "printer-paper-jam" {
		t.Fatalf("the new article is not searchable: %v", hits)
	}
	d.Say(ada, "help", "!kb edit printer-paper-jam v1\nOpen tray 2, pull the paper out gently, and close it.")
	if got := lastText(d, "help"); !strings.Contains(got, "Saved `printer-paper-jam` as version 2") {
		t.Fatalf("edit: %q", got)
	}
	d.Say(ada, "help", "!kb edit printer-paper-jam v1 title: Paper jam")
	if got := lastText(d, "help"); !strings.Contains(got, "changed since version 1") || !strings.Contains(got, "version 2") {
		t.Fatalf("a stale edit was not refused: %q", got)
	}
	d.Say(tom, "help", "!kb history printer-paper-jam")
	if got := lastText(d, "help"); !strings.Contains(got, "v1") || !strings.Contains(got, "v2") || !strings.Contains(got, "body") {
		t.Fatalf("history: %q", got)
	}
	d.Say(tom, "help", "!kb diff printer-paper-jam 1 2")
	if got := lastText(d, "help"); !strings.Contains(got, "+ ") {
		t.Fatalf("diff: %q", got)
	}
	d.Say(ada, "help", "!kb delete printer-paper-jam v2")
	if hits := lib.Index.Search("paper jam in the printer", 1); len(hits) != 0 && hits[0].ID == "printer-paper-jam" {
		t.Fatal("a deleted article still answers")
	}
	d.Say(ada, "help", "!kb restore printer-paper-jam 2")
	if got := lastText(d, "help"); !strings.Contains(got, "Restored `printer-paper-jam` from version 2 as version 4") {
		t.Fatalf("restore: %q", got)
	}
	if hits := lib.Index.Search("paper jam in the printer", 1); len(hits) == 0 || hits[0].ID != "printer-paper-jam" {
		t.Fatalf("the restored article is not searchable: %v", hits)
	}
}

// TestKnowledgeCapture checks capture → review → publish → the new article answers the next user who asks
// the same question; a non-admin cannot publish.
func TestKnowledgeCapture(t *testing.T) {
	d, _ := kbDesk(t)
	q := d.Say(alice, "help", "How do I map the finance drive on a Mac?")
	card := d.Chat.Last("tier2")
	if card == nil {
		t.Fatalf("not escalated: %v", d.Chat.Messages(""))
	}
	d.SayIn(tom, "tier2", card.Ref.ID, "In Finder press Cmd+K and enter smb://files.example.com/finance, then sign in with your work account.")
	d.React(tom, card, "books")
	draft := d.Chat.Last("kb-review")
	if draft == nil || !strings.Contains(draft.Text(), "smb://files.example.com/finance") || len(draft.Post.Choices) != 3 {
		t.Fatalf("no draft in the review channel: %+v", draft)
	}
	d.Click(ada, draft, "Edit")
	if got := lastText(d, "kb-review"); !strings.Contains(got, "!kb add\nHow do I map the finance drive on a Mac?") {
		t.Fatalf("edit: %q", got)
	}
	d.Click(tom, draft, "Publish")
	if tk := ticketOf(t, d, "T-000001"); tk.Draft == nil || tk.Draft.Outcome != "" {
		t.Fatalf("a technician published: %+v", tk.Draft)
	}
	d.Click(ada, draft, "Publish")
	tk := ticketOf(t, d, "T-000001")
	if tk.Draft == nil || tk.Draft.Outcome != "published" || tk.Draft.Article == "" {
		t.Fatalf("after publish: %+v", tk.Draft)
	}
	q2 := d.Say(sara, "help", "How do I map the finance drive on a Mac?")
	if got := d.Chat.Thread("help", q2); len(got) == 0 || !strings.Contains(got[0].Text(), tk.Draft.Article) {
		t.Fatalf("the next asker did not get the new article: %v", got)
	}
	_ = q
}

// TestAuditLog checks that KB changes, refusals and ticket transitions are in the audit log.
func TestAuditLog(t *testing.T) {
	d, _ := kbDesk(t)
	d.Say(alice, "help", "!kb delete vpn-connect v1")
	d.Say(ada, "help", "!kb edit vpn-connect v1 tags: vpn, remote")
	d.Say(alice, "help", "my vpn will not connect")
	entries, err := d.Store.(*storage.DB).AuditEntries(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Action+" "+e.Actor+" "+e.Target)
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{"refused " + alice, "kb.edit " + ada + " vpn-connect", "ticket.opened " + alice + " T-000001"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the audit log lacks %q:\n%s", want, joined)
		}
	}
}

// TestKBStale checks that an article people keep finding unhelpful is listed by "!kb stale", from the
// outcomes counted per article.
func TestKBStale(t *testing.T) {
	d, _ := kbDesk(t)
	for range 3 {
		q := d.Say(alice, "help", "vpn does not connect")
		d.Click(alice, d.Chat.Thread("help", q)[0], "Not helpful")
	}
	d.Say(tom, "help", "!kb stale")
	if got := lastText(d, "help"); !strings.Contains(got, "`vpn-connect`") || !strings.Contains(got, "unhelpful 3") {
		t.Fatalf("stale: %q", got)
	}
}

func TestKBCommandNameInAnyCase(t *testing.T) {
	d, _ := newDesk(t)
	d.Say(ada, "@ada", "!KB search vpn")
	mustContain(t, "search", d.Chat.Last("@ada").Text(), "vpn-connect")
}

// TestKBWhoSeesWhat: employees read the articles published now; earlier versions and deleted articles are
// for technicians and admins, through every "!kb" sub-command; an admin's purge removes the earlier
// versions (a deleted article entirely), and is audited.
func TestKBWhoSeesWhat(t *testing.T) {
	d, _ := kbDesk(t)
	d.Say(ada, "help", "!kb add\nWi-Fi passphrase\nJoin the network tulipfield on floor 2.")
	d.Say(ada, "help", "!kb edit wi-fi-passphrase v1\nAsk reception which network guests join.")
	d.Say(ada, "help", "!kb add\nOld VPN gateway\nUse gw-legacy.corp.example.com.")
	d.Say(ada, "help", "!kb delete old-vpn-gateway v1")

	for _, cmd := range []string{
		"!kb show wi-fi-passphrase v1", "!kb show wi-fi-passphrase 1", "!kb history wi-fi-passphrase",
		"!kb diff wi-fi-passphrase 1 2", "!kb show old-vpn-gateway", "!kb show old-vpn-gateway v1",
		"!kb history old-vpn-gateway", "!kb diff old-vpn-gateway 1 2", "!kb list", "!kb search passphrase",
		"!kb search gateway", "!kb purge old-vpn-gateway", "!kb restore old-vpn-gateway 1",
	} {
		d.Say(alice, "help", cmd)
		got := lastText(d, "help")
		if strings.Contains(got, "tulipfield") || strings.Contains(got, "gw-legacy") || strings.Contains(got, "Old VPN gateway") {
			t.Errorf("%q shows an employee an earlier version or a deleted article:\n%s", cmd, got)
		}
	}
	d.Say(alice, "help", "!kb show wi-fi-passphrase")
	mustContain(t, "current version", lastText(d, "help"), "Ask reception", "version 2")
	d.Say(alice, "help", "!kb show wi-fi-passphrase v2")
	mustContain(t, "current version by number", lastText(d, "help"), "Ask reception which")
	d.Say(alice, "help", "!kb show old-vpn-gateway")
	mustContain(t, "deleted article", lastText(d, "help"), "There is no article `old-vpn-gateway`.")

	// Staff see history.
	d.Say(tom, "help", "!kb show wi-fi-passphrase v1")
	mustContain(t, "technician, old version", lastText(d, "help"), "tulipfield")
	d.Say(tom, "help", "!kb show old-vpn-gateway v1")
	mustContain(t, "technician, deleted article", lastText(d, "help"), "gw-legacy")

	// Purge: the old version of a live article goes, the newest stays; a deleted article goes entirely.
	d.Say(tom, "help", "!kb purge wi-fi-passphrase")
	mustContain(t, "purge by a technician", lastText(d, "help"), "Only admins can purge articles")
	d.Say(ada, "help", "!kb purge wi-fi-passphrase")
	mustContain(t, "purge", lastText(d, "help"), "1 earlier version is gone", "version 2")
	d.Say(ada, "help", "!kb show wi-fi-passphrase v1")
	mustContain(t, "purged version", lastText(d, "help"), "no article `wi-fi-passphrase` version 1")
	d.Say(alice, "help", "!kb show wi-fi-passphrase")
	mustContain(t, "after purge", lastText(d, "help"), "Ask reception which")
	d.Say(ada, "help", "!kb purge old-vpn-gateway")
	mustContain(t, "purge a deleted article", lastText(d, "help"), "all 2 of its versions are gone")
	d.Say(ada, "help", "!kb history old-vpn-gateway")
	mustContain(t, "history after purge", lastText(d, "help"), "There is no article `old-vpn-gateway`")
	d.Say(ada, "help", "!kb restore old-vpn-gateway 1")
	mustContain(t, "restore after purge", lastText(d, "help"), "has no version 1 to restore")
	d.Say(ada, "help", "!kb add\nOld VPN gateway\nThe legacy gateway is retired.") // the id is free again
	mustContain(t, "add after purge", lastText(d, "help"), "Added `old-vpn-gateway` (version 1)")

	entries, err := d.Store.(*storage.DB).AuditEntries(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var purges []string
	for _, e := range entries {
		if e.Action == "kb.purge" {
			purges = append(purges, e.Actor+" "+e.Target+": "+e.Detail)
		}
	}
	if len(purges) != 2 {
		t.Fatalf("audited purges: %v, want 2", purges)
	}
}
