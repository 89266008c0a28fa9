package bot_test

import (
	"context"
	"time"

	"strings"
	"testing"

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
	if _, _, err := db.PutArticle(context.Background(), vpn, "import", time.Now()); err != nil {
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
		{"!kb history vpn-connect", map[string]bool{alice: true, tom: true, ada: true}},
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
	if hits := lib.Search("paper jam in the printer", 1); len(hits) == 0 || hits[0].ID != "printer-paper-jam" {
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
	d.Say(alice, "help", "!kb history printer-paper-jam")
	if got := lastText(d, "help"); !strings.Contains(got, "v1") || !strings.Contains(got, "v2") || !strings.Contains(got, "body") {
		t.Fatalf("history: %q", got)
	}
	d.Say(alice, "help", "!kb diff printer-paper-jam 1 2")
	if got := lastText(d, "help"); !strings.Contains(got, "+ ") {
		t.Fatalf("diff: %q", got)
	}
	d.Say(ada, "help", "!kb delete printer-paper-jam v2")
	if hits := lib.Search("paper jam in the printer", 1); len(hits) != 0 && hits[0].ID == "printer-paper-jam" {
		t.Fatal("a deleted article still answers")
	}
	d.Say(ada, "help", "!kb restore printer-paper-jam 2")
	if got := lastText(d, "help"); !strings.Contains(got, "Restored `printer-paper-jam` from version 2 as version 4") {
		t.Fatalf("restore: %q", got)
	}
	if hits := lib.Search("paper jam in the printer", 1); len(hits) == 0 || hits[0].ID != "printer-paper-jam" {
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
