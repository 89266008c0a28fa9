package web_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/web/webtest"
)

// TestDraftsFromTickets: a draft captured from a ticket waits on the knowledge base's page; an admin
// publishes one as it is, edits another into an article (saving publishes it), and discards a third; the
// review channel's message says what became of each.
func TestDraftsFromTickets(t *testing.T) {
	cfg := webtest.Config()
	cfg.KBReviewChannel = "test:kb-review"
	c := webtest.New(t, webtest.Options{Desk: &cfg})
	for i, q := range []string{"the printer on floor 3 jams", "my badge does not open the door", "outlook asks for my password again"} {
		c.Desk.Say(webtest.Employee, "help", q)
		id := bot.TicketID(uint64(i + 1))
		if err := c.Desk.Act(webtest.Tech2, id, bot.ActionReply, "Do this: turn it off and on again."); err != nil {
			t.Fatal(err)
		}
		for _, m := range c.Desk.Chat.Messages("tier2") {
			if m.Ref.Thread == "" && strings.Contains(m.Text(), id) {
				c.Desk.SayIn(webtest.Tech2, "tier2", m.Ref.ID, "!kb capture") // in the card's thread
				break
			}
		}
	}
	ada := c.SignIn(webtest.Admin)
	kb := ada.Get("/kb")
	mustContain(t, kb, "Drafts waiting for review", "T-000001", "T-000002", "T-000003", "/kb/drafts/T-000002/edit")

	if r := ada.Post("/kb/drafts/T-000001/publish", form("event", "d1")); r.Status != http.StatusSeeOther || r.Location != "/kb?done=published" {
		t.Fatalf("publish: %d %s %s", r.Status, r.Location, clipBody(r.Body))
	}
	edit := ada.Get("/kb/drafts/T-000002/edit")
	mustContain(t, edit, "my badge does not open the door", `name="draft" value="T-000002"`)
	if r := ada.Post("/kb/new", form("title", "Badge does not open a door", "body", "Ask reception for a new badge.", "draft", "T-000002", "event", "d2")); r.Status != http.StatusSeeOther {
		t.Fatalf("save the edited draft: %d %s", r.Status, clipBody(r.Body))
	}
	if r := ada.Post("/kb/drafts/T-000003/discard", form("event", "d3")); r.Status != http.StatusSeeOther {
		t.Fatalf("discard: %d", r.Status)
	}
	// Done twice: the page says it was dealt with already.
	if r := ada.Post("/kb/drafts/T-000003/publish", form("event", "d4")); r.Status != http.StatusConflict || !strings.Contains(r.Body, "already discarded") {
		t.Fatalf("publishing a discarded draft: %d %s", r.Status, clipBody(r.Body))
	}
	after := ada.Get("/kb")
	mustContain(t, after, "No drafts wait", "Badge does not open a door", "the printer on floor 3 jams")
	review := strings.Join(texts(c.Desk.Chat.Messages("kb-review")), "\n")
	for _, want := range []string{"Published as", "after an edit", "discarded by"} {
		if !strings.Contains(review, want) {
			t.Errorf("the review channel does not say %q:\n%s", want, review)
		}
	}
	if n := len(c.Audit("kb.publish")); n != 2 {
		t.Errorf("%d kb.publish entries, want 2", n)
	}
}

// TestKBWhoSeesWhat: an employee reads the article published now, never an earlier version or a deleted
// article; an admin deletes and restores.
func TestKBWhoSeesWhat(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	ada, alice := c.SignIn(webtest.Admin), c.SignIn(webtest.Employee)
	if r := ada.Post("/kb/vpn-connect/edit", form("title", "Connect to the VPN", "body", "Version two.", "base", "1")); r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d", r.Status)
	}
	mustContain(t, alice.Get("/kb/vpn-connect"), "Version two.")
	mustNotContain(t, alice.Get("/kb/vpn-connect"), "History", "Compare versions")
	if r := alice.Get("/kb/vpn-connect?v=1"); r.Status != http.StatusForbidden {
		t.Fatalf("an employee reading version 1: %d", r.Status)
	}
	mustContain(t, ada.Get("/kb/vpn-connect?v=1"), "Open Example VPN and sign in.", "This is version 1")
	if r := ada.Post("/kb/vpn-connect/delete", form("base", "2")); r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", r.Status, clipBody(r.Body))
	}
	if r := alice.Get("/kb/vpn-connect"); r.Status != http.StatusNotFound {
		t.Fatalf("an employee reading a deleted article: %d", r.Status)
	}
	// Restoring from a page that is out of date (it saw version 2; it is at 3 now) is refused.
	if r := ada.Post("/kb/vpn-connect/restore", form("version", "1", "base", "2")); r.Status != http.StatusConflict {
		t.Fatalf("a restore from a stale page: %d", r.Status)
	}
	if r := ada.Post("/kb/vpn-connect/restore", form("version", "1", "base", "3")); r.Status != http.StatusSeeOther {
		t.Fatalf("restore: %d %s", r.Status, clipBody(r.Body))
	}
	mustContain(t, alice.Get("/kb/vpn-connect"), "Open Example VPN and sign in.")
	mustContain(t, ada.Get("/kb/vpn-connect"), "v4", "restored")
}

// TestEmployeeWorksTheirOwnTicket: the requester resolves, reopens and rates their ticket from the web,
// and sees no internal note.
func TestEmployeeWorksTheirOwnTicket(t *testing.T) {
	c := escalatedDesk(t)
	if err := c.Desk.Act(webtest.Tech2, "T-000001", bot.ActionClaim, ""); err != nil {
		t.Fatal(err)
	}
	alice := c.SignIn(webtest.Employee)
	page := alice.Get("/tickets/T-000001")
	mustContain(t, page, "It is solved")
	mustNotContain(t, page, `data-key="c"`, "Internal note", "Send reply")
	if r := alice.Post("/tickets/T-000001/resolve", form("event", "a1")); r.Status != http.StatusSeeOther {
		t.Fatalf("resolve: %d %s", r.Status, clipBody(r.Body))
	}
	mustContain(t, alice.Get("/tickets/T-000001"), "How was the help?", "Reopen")
	if r := alice.Post("/tickets/T-000001/rate", form("event", "a2", "choice", "4")); r.Status != http.StatusSeeOther {
		t.Fatalf("rate: %d %s", r.Status, clipBody(r.Body))
	}
	mustContain(t, alice.Get("/tickets/T-000001"), "★★★★☆", "4/5")
	if r := alice.Post("/tickets/T-000001/rate", form("event", "a3", "choice", "1")); r.Status != http.StatusConflict {
		t.Fatalf("rating twice: %d", r.Status)
	}
	c.Desk.Clock.Advance(8 * 24 * time.Hour)
	alice = c.SignIn(webtest.Employee) // a session ends after a day without a request
	if r := alice.Post("/tickets/T-000001/reopen", form("event", "a4")); r.Status != http.StatusConflict || !strings.Contains(r.Body, "more than") {
		t.Fatalf("reopening after the window: %d", r.Status)
	}
	mustContain(t, alice.Get("/"), "Your tickets", "T-000001")
	mustNotContain(t, alice.Get("/"), "T-000002")
}

// TestAuditFilters: the audit log by who, action, target and dates, and a bad date said, not fatal.
func TestAuditFilters(t *testing.T) {
	c := escalatedDesk(t)
	if err := c.Desk.Act(webtest.Tech2, "T-000001", bot.ActionClaim, ""); err != nil {
		t.Fatal(err)
	}
	ada := c.SignIn(webtest.Admin)
	for _, tt := range []struct {
		query     string
		want, not []string
	}{
		{"", []string{"ticket.claimed", "ticket.escalated", "web.signin"}, nil},
		{"?action=ticket.claimed", []string{"<code>ticket.claimed", "/tickets/T-000001"}, []string{"<code>ticket.escalated"}},
		{"?action=ticket.", []string{"ticket.claimed", "ticket.escalated"}, []string{"<code>web.signin"}},
		{"?actor=" + webtest.Tech2, []string{"<code>ticket.claimed"}, []string{"<code>ticket.escalated"}},
		{"?target=T-000002", []string{"T-000002"}, []string{">T-000001<"}},
		{"?from=2000-01-01&to=2000-01-02", []string{"No entries match"}, []string{"<code>ticket.claimed"}},
		{"?from=last-week", []string{"is not a date"}, nil},
	} {
		t.Run(tt.query, func(t *testing.T) {
			r := ada.Get("/audit" + tt.query)
			if r.Status != http.StatusOK {
				t.Fatalf("%d", r.Status)
			}
			mustContain(t, r, tt.want...)
			mustNotContain(t, r, tt.not...)
		})
	}
}

// TestReportsAndHealth: the report of a period, of two dates, a bad period said, the download, and the
// outbox on the health page.
func TestReportsAndHealth(t *testing.T) {
	c := escalatedDesk(t)
	c.Desk.Clock.Advance(time.Hour) // the report of a period ends now: what was opened, an hour ago
	tom := c.SignIn(webtest.Tech2)
	mustContain(t, tom.Get("/reports"), "Tickets opened per day", "Knowledge gaps", "the printer on floor 3 is on fire")
	mustContain(t, tom.Get("/reports?period=90d"), `value="90d" selected`)
	mustContain(t, tom.Get("/reports?from=2026-10-01&to=2026-11-30"), "2026-10-01 – 2026-11-30")
	mustContain(t, tom.Get("/reports?from=2026-12-01&to=2026-11-01"), "the first not after the second")
	dl := tom.Get("/reports/download?period=30d")
	if cd := dl.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=\"firstline-report-") {
		t.Fatalf("the download is not a file: %q", cd)
	}
	mustContain(t, dl, "<title>Service desk report")
	mustContain(t, tom.Get("/health"), "Outbox", "Everything the desk decided has been done in chat")
	// While chat fails, what the desk decided waits in the outbox, and the health page counts it.
	c.Desk.Chat.Fail = func(string, bot.Post) error { return errors.New("chat is down") }
	c.Desk.Say(webtest.Employee2, "help", "the wifi on floor 2 is down")
	mustContain(t, tom.Get("/health"), "waiting to be posted in chat", "failed at least once")
}
