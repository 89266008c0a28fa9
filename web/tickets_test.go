package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/web/webtest"
)

// escalatedDesk is a desk with T-000001 (alice's printer, escalated to Tier 2) and T-000002 (bob's VPN
// question, answered by the bot and still open at Level 1).
func escalatedDesk(t *testing.T) *webtest.Console {
	t.Helper()
	c := webtest.New(t, webtest.Options{})
	c.Desk.Say(webtest.Employee, "help", "the printer on floor 3 is on fire")
	c.Desk.Say(webtest.Employee2, "help", "how do I connect to the vpn")
	return c
}

func mustContain(t *testing.T, r webtest.Response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.Body, w) {
			t.Errorf("the page does not say %q:\n%s", w, clipBody(r.Body))
		}
	}
}

func mustNotContain(t *testing.T, r webtest.Response, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(r.Body, w) {
			t.Errorf("the page says %q, which it must not", w)
		}
	}
}

func TestQueuePage(t *testing.T) {
	c := escalatedDesk(t)
	r := c.SignIn(webtest.Tech2).Get("/")
	if r.Status != http.StatusOK {
		t.Fatalf("queue: %d", r.Status)
	}
	mustContain(t, r, "Active tickets by tier", "Tier 2", "T-000001", "Waiting to be claimed", "the printer on floor 3 is on fire")
}

func TestTicketsListAndFilters(t *testing.T) {
	c := escalatedDesk(t)
	b := c.SignIn(webtest.Tech2)
	for _, tt := range []struct {
		query     string
		want, not []string
	}{
		{"", []string{"T-000001", "T-000002"}, nil},
		{"?tier=tier2", []string{"T-000001"}, []string{"T-000002"}},
		{"?status=open", []string{"T-000002"}, []string{"T-000001"}},
		{"?q=printers", []string{"T-000001"}, []string{"T-000002"}},
		{"?q=vpn&sort=newest", []string{"T-000002"}, []string{"T-000001"}},
		{"?requester=" + url.QueryEscape(webtest.Employee2), []string{"T-000002"}, []string{"T-000001"}},
		{"?status=resolved", []string{"No tickets match"}, []string{"T-000001", "T-000002"}},
		{"?from=2000-01-01&to=2000-01-02", []string{"No tickets match"}, []string{"T-000001"}},
		{"?from=yesterday", []string{"is not a date"}, nil},
	} {
		t.Run(tt.query, func(t *testing.T) {
			r := b.Get("/tickets" + tt.query)
			if r.Status != http.StatusOK {
				t.Fatalf("%d", r.Status)
			}
			mustContain(t, r, tt.want...)
			mustNotContain(t, r, tt.not...)
		})
	}
	// The page's script asks for the results alone.
	r := b.Get("/tickets?partial=results")
	mustContain(t, r, "T-000001")
	mustNotContain(t, r, "<html")
}

func TestTicketPage(t *testing.T) {
	c := escalatedDesk(t)
	r := c.SignIn(webtest.Tech2).Get("/tickets/T-000001")
	if r.Status != http.StatusOK {
		t.Fatalf("%d: %s", r.Status, clipBody(r.Body))
	}
	mustContain(t, r, "the printer on floor 3 is on fire", "Claim", "History", "Escalated to Tier 2")
	// An escalated ticket is in its tier's queue: "Waiting" would read as waiting on the requester.
	mustContain(t, r, ">In queue<")
	mustNotContain(t, r, ">Waiting<")
	if err := c.Desk.Act(webtest.Tech2, "T-000001", bot.ActionNote, "the toner is the culprit"); err != nil {
		t.Fatal(err)
	}
	mustContain(t, c.SignIn(webtest.Tech2).Get("/tickets/T-000001"), "Internal note", "the toner is the culprit")
	own := c.SignIn(webtest.Employee).Get("/tickets/T-000001")
	mustContain(t, own, "the printer on floor 3 is on fire")
	mustNotContain(t, own, "the toner is the culprit", "Internal note")
}

// TestTicketActionsReachChat: a reply from the web reaches the requester's conversation marked with the
// technician's name, a note does not, and a refused action shows the page again with the reason and
// what was typed.
func TestTicketActionsReachChat(t *testing.T) {
	c := escalatedDesk(t)
	tom := c.SignIn(webtest.Tech2)
	if r := tom.Post("/tickets/T-000001/claim", form("event", "e1")); r.Status != http.StatusSeeOther || r.Location != "/tickets/T-000001?done=claim" {
		t.Fatalf("claim: %d %s", r.Status, r.Location)
	}
	mustContain(t, tom.Get("/tickets/T-000001?done=claim"), "You claimed it", "Release")
	if r := tom.Post("/tickets/T-000001/reply", form("event", "e2", "text", "Unplug it and wait **ten** seconds.")); r.Status != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", r.Status, clipBody(r.Body))
	}
	last := c.Desk.Chat.Last("help").Text()
	if !strings.Contains(last, "tom") || !strings.Contains(last, "Unplug it and wait **ten** seconds.") {
		t.Fatalf("the reply did not reach the requester's thread with tom's name: %q", last)
	}
	// Sent twice (a double click, a resent form): done once.
	tom.Post("/tickets/T-000001/reply", form("event", "e2", "text", "Unplug it and wait **ten** seconds."))
	if n := strings.Count(strings.Join(texts(c.Desk.Chat.Messages("help")), "\n"), "Unplug it"); n != 1 {
		t.Fatalf("the reply was posted %d times", n)
	}
	if r := tom.Post("/tickets/T-000001/note", form("event", "e3", "text", "probably the fuser")); r.Status != http.StatusSeeOther {
		t.Fatalf("note: %d", r.Status)
	}
	if strings.Contains(strings.Join(texts(c.Desk.Chat.Messages("help")), "\n"), "fuser") {
		t.Fatal("a note reached the requester")
	}
	page := tom.Get("/tickets/T-000001")
	mustContain(t, page, "<strong>ten</strong>", "probably the fuser", "Internal note")

	// Sara, of Tier 3, may not reply: the page says why, and keeps what she wrote.
	r := c.SignIn(webtest.Tech3).Post("/tickets/T-000001/reply", form("event", "e4", "text", "my words <b>stay</b>"))
	if r.Status != http.StatusForbidden {
		t.Fatalf("a refused reply: %d", r.Status)
	}
	mustContain(t, r, "Not done:", "Only members of", "my words &lt;b&gt;stay&lt;/b&gt;")
}

func texts(ms []*bottest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text())
	}
	return out
}

// TestTicketPageListsAttachments: the files posted in a ticket's conversations are listed on its page
// (a refused one with why); a file posted with a technician's note is the technicians' alone.
func TestTicketPageListsAttachments(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	shot := c.Desk.Chat.AddFile("screen.png", "image/png", []byte("pixels"))
	c.Desk.SayFiles(webtest.Employee, "help", "", "the printer on floor 3 is on fire", shot)
	card := c.Desk.Chat.Messages("tier2")[0]
	notes := c.Desk.Chat.AddFile("internal-notes.txt", "text/plain", []byte("x"))
	c.Desk.SayFiles(webtest.Tech2, "tier2", card.Ref.ID, "note: see the attached", notes)
	tech := c.SignIn(webtest.Tech2).Get("/tickets/T-000001")
	mustContain(t, tech, "Attachments", "screen.png", "image/png, 6 bytes", "internal-notes.txt")
	own := c.SignIn(webtest.Employee).Get("/tickets/T-000001")
	mustContain(t, own, "Attachments", "screen.png")
	mustNotContain(t, own, "internal-notes.txt")
}
