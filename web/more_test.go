package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/web"
	"github.com/firstline-desk/firstline/web/webtest"
)

// TestTicketsFiltersSortAndPages: the list's filters the other tests leave out (priority, assignee and
// "me", platform), its orders, and its pages of 25.
func TestTicketsFiltersSortAndPages(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	for i := range 30 {
		c.Desk.Clock.Advance(time.Minute)
		c.Desk.Say(bottestUser(i), "help", fmt.Sprintf("question number %02d about the printer", i+1))
	}
	if err := c.Desk.Act(webtest.Tech2, "T-000003", bot.ActionPriority, "P1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Desk.Act(webtest.Tech2, "T-000004", bot.ActionClaim, ""); err != nil {
		t.Fatal(err)
	}
	tom := c.SignIn(webtest.Tech2)
	for _, tt := range []struct {
		query     string
		want, not []string
	}{
		{"?status=all&priority=P1", []string{"T-000003"}, []string{"T-000004", "T-000001"}},
		{"?status=all&assignee=me", []string{"T-000004"}, []string{"T-000003"}},
		{"?status=all&assignee=" + webtest.Tech2, []string{"T-000004"}, []string{"T-000003"}},
		{"?status=all&platform=slack", []string{"No tickets match"}, []string{"T-000001"}},
		{"?status=all&platform=test&sort=oldest", []string{"T-000001", "T-000025", `rel="next"`}, []string{"T-000026", `rel="prev"`}},
		{"?status=all&sort=newest", []string{"T-000030", "T-000006"}, []string{"T-000005<"}},
		{"?status=all&sort=oldest&page=2", []string{"T-000026", "T-000030", `rel="prev"`, "Page 2"}, []string{"T-000025<", `rel="next"`}},
	} {
		t.Run(tt.query, func(t *testing.T) {
			r := tom.Get("/tickets" + tt.query)
			if r.Status != http.StatusOK {
				t.Fatalf("%d", r.Status)
			}
			mustContain(t, r, tt.want...)
			mustNotContain(t, r, tt.not...)
		})
	}
	// Oldest first reads T-000001 before T-000002; newest first the other way round.
	old := tom.Get("/tickets?status=all&sort=oldest").Body
	if strings.Index(old, "T-000001") > strings.Index(old, "T-000002") {
		t.Error("oldest first lists T-000002 before T-000001")
	}
	nw := tom.Get("/tickets?status=all&sort=newest").Body
	if strings.Index(nw, "T-000030") > strings.Index(nw, "T-000029") {
		t.Error("newest first lists T-000029 before T-000030")
	}
}

func bottestUser(i int) string { return fmt.Sprintf("test:person%02d", i) }

// TestReleaseAndReopenFromTheWeb: a technician releases a ticket they claimed (it waits in the tier's
// queue again), resolves it and reopens it; someone else's release is refused with the reason.
func TestReleaseAndReopenFromTheWeb(t *testing.T) {
	c := escalatedDesk(t)
	tom, tina := c.SignIn(webtest.Tech2), c.SignIn(webtest.Tech2b)
	for _, step := range []struct {
		who    *webtest.Client
		action string
		status int
	}{
		{tom, "claim", http.StatusSeeOther},
		{tina, "release", http.StatusForbidden}, // not hers
		{tom, "release", http.StatusSeeOther},
		{tina, "claim", http.StatusSeeOther},
		{tina, "resolve", http.StatusSeeOther},
		{tom, "reopen", http.StatusSeeOther},
	} {
		r := step.who.Post("/tickets/T-000001/"+step.action, form("event", web.NewEventID()))
		if r.Status != step.status {
			t.Fatalf("%s by %s: %d, want %d: %s", step.action, step.who.User, r.Status, step.status, clipBody(r.Body))
		}
		if step.status == http.StatusForbidden {
			mustContain(t, r, "Not done:")
		}
	}
	page := tom.Get("/tickets/T-000001")
	mustContain(t, page, "Released to the queue", "Reopened", "Resolved")
	for _, action := range []string{"ticket.released", "ticket.reopened"} {
		if len(c.Audit(action)) != 1 {
			t.Errorf("%d %s entries, want 1", len(c.Audit(action)), action)
		}
	}
}

// TestKBPageTagsStaleAndNew: the knowledge base's page by tag, its articles to look at (not updated for
// kb.stale_after), and a new article written on the web, which answers at once and is audited.
func TestKBPageTagsStaleAndNew(t *testing.T) {
	cfg := webtest.Config()
	cfg.KBStaleAfter = 90 * 24 * time.Hour
	c := webtest.New(t, webtest.Options{Desk: &cfg})
	ada := c.SignIn(webtest.Admin)
	r := ada.Post("/kb/new", form("title", "Reset your password", "tags", "accounts, password", "aliases", "forgot my password\nlocked out",
		"body", "Open **the portal** and choose *Forgot password*.", "event", "n1"))
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/kb/") {
		t.Fatalf("new article: %d %s %s", r.Status, r.Location, clipBody(r.Body))
	}
	id := strings.TrimPrefix(strings.SplitN(r.Location, "?", 2)[0], "/kb/")
	mustContain(t, ada.Get("/kb/"+id), "Reset your password", "<strong>the portal</strong>", "v1")
	if n := len(c.Audit("kb.add")); n != 1 {
		t.Errorf("%d kb.add entries, want 1", n)
	}
	mustContain(t, ada.Get("/kb?tag=password"), "Reset your password", "tagged “password”")
	mustNotContain(t, ada.Get("/kb?tag=password"), "Connect to the VPN")
	// The VPN article was imported on 1 October; the desk's clock is in November, past 90 days later.
	c.Desk.Clock.Advance(60 * 24 * time.Hour)
	ada = c.SignIn(webtest.Admin) // the session of 60 days ago has ended
	stale := ada.Get("/kb")
	mustContain(t, stale, "To look at", "not updated since")
	alice := c.SignIn(webtest.Employee)
	mustNotContain(t, alice.Get("/kb"), "To look at")
}

// fakeHealth is what cmd/firstline tells the health page, set by the test.
type fakeHealth struct{ r web.HealthReport }

func (f fakeHealth) Health(context.Context) web.HealthReport { return f.r }

// TestHealthPageShowsTheDesk: the chat platforms' connections, the SLA loop, the model's circuit breaker
// and the data file as the desk tells them, and the overall state they make.
func TestHealthPageShowsTheDesk(t *testing.T) {
	h := &fakeHealth{}
	c := webtest.New(t, webtest.Options{Configure: func(cfg *web.Config) { cfg.Health = h }})
	now := c.Desk.Clock.Now()
	h.r = web.HealthReport{StoreWritable: true, StoreChecked: now,
		Adapters: []web.AdapterHealth{{Platform: "slack", Connected: true, Since: now.Add(-time.Hour)}},
		SLALoop:  web.LoopHealth{Every: 30 * time.Second, LastRun: now.Add(-10 * time.Second)},
		Model:    &web.ModelHealth{Breaker: "closed"}}
	tom := c.SignIn(webtest.Tech2)
	mustContain(t, tom.Get("/health"), "h-ok\">ok<", "slack", "connected", "running", "every 30 s", "Circuit breaker", "closed", "writable")

	h.r.Adapters = append(h.r.Adapters, web.AdapterHealth{Platform: "discord", Connected: false, Since: now.Add(-5 * time.Minute)})
	h.r.SLALoop.LastRun = now.Add(-10 * time.Minute)
	h.r.Model = &web.ModelHealth{Breaker: "open", OpenUntil: now.Add(time.Minute), Failures: 5}
	r := tom.Get("/health")
	mustContain(t, r, "h-degraded\">degraded<", "discord", "disconnected", "late", "open", "until")

	h.r.StoreWritable, h.r.StoreError = false, "disk full"
	mustContain(t, tom.Get("/health"), "h-down\">down<", "not writable: disk full")
}

// TestReportQuotesPlainWords: a knowledge gap is quoted as the words people read, not the Markdown they
// typed (the report's page showed "**blank pages**").
func TestReportQuotesPlainWords(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	c.Desk.Say(webtest.Employee, "help", "The printer prints **blank pages** since `update 42`")
	c.Desk.Clock.Advance(time.Hour)
	r := c.SignIn(webtest.Tech2).Get("/reports")
	mustContain(t, r, "“The printer prints blank pages since update 42”")
	mustNotContain(t, r, "**blank pages**")
}

// TestKBArticleSaysWhoWroteIt: a version the desk wrote itself (no author) is "by the desk", never
// "by ,"; an article of one version offers nothing to compare.
func TestKBArticleSaysWhoWroteIt(t *testing.T) {
	c := webtest.New(t, webtest.Options{}) // its article was imported with no author
	ada := c.SignIn(webtest.Admin)
	one := ada.Get("/kb/vpn-connect")
	mustContain(t, one, "by the desk,")
	mustNotContain(t, one, "by ,", `name="a"`, "Compare versions")
	if r := ada.Post("/kb/vpn-connect/edit", form("title", "Connect to the VPN", "body", "Version two.", "base", "1", "event", "w1")); r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d", r.Status)
	}
	two := ada.Get("/kb/vpn-connect")
	mustContain(t, two, "by ada,", `name="a" value="1"`, "Compare versions", "the desk, <time")
	mustContain(t, ada.Get("/audit?target=vpn-connect"), "the desk")
}

// laterPeople is a platform's directory that learns a name after its person signed in, as Discord's
// fetches a member who never wrote there.
type laterPeople struct {
	mu    sync.Mutex
	names map[string]string
}

func (p *laterPeople) Platform() string { return "test" }
func (p *laterPeople) UserName(user string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.names[user]
}
func (p *laterPeople) UserRoles(string) ([]string, bool) { return nil, true }

// TestNameLearnedAfterSignIn: a technician whose name the platform did not know when they signed in is
// named by it once it does, in the console and in what reaches the requester; the id that stood in for
// the name is not kept for the session (their replies were signed with a number for seven days).
func TestNameLearnedAfterSignIn(t *testing.T) {
	people := &laterPeople{names: map[string]string{}}
	c := webtest.New(t, webtest.Options{Configure: func(cfg *web.Config) { cfg.People = []web.People{people} }})
	c.Desk.Say(webtest.Employee, "help", "the printer on floor 3 is on fire")
	tom := c.SignIn(webtest.Tech2) // the platform does not know tom's name yet
	people.mu.Lock()
	people.names[webtest.Tech2] = "Tom Jones"
	people.mu.Unlock()
	mustContain(t, tom.Get("/"), "Tom Jones")
	if r := tom.Post("/tickets/T-000001/reply", form("event", "n1", "text", "On my way.")); r.Status != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", r.Status, clipBody(r.Body))
	}
	if last := c.Desk.Chat.Last("help").Text(); !strings.Contains(last, "Tom Jones") {
		t.Fatalf("the reply reached the requester as %q", last)
	}
}

// TestTicketPageOffersAndClocks: a ticket's page lists the articles the desk offered with how sure it was
// and what the requester said, and its SLA clocks: running, then met by the claim.
func TestTicketPageOffersAndClocks(t *testing.T) {
	cfg := webtest.Config()
	cfg.SLA = map[string]bot.SLATarget{"P3": {Response: 4 * time.Hour, Resolution: 24 * time.Hour}}
	c := webtest.New(t, webtest.Options{Desk: &cfg})
	c.Desk.Say(webtest.Employee2, "help", "how do I connect to the vpn")
	tom := c.SignIn(webtest.Tech2)
	mustContain(t, tom.Get("/tickets/T-000001"), "Articles offered", `href="/kb/vpn-connect">Connect to the VPN</a>`, "90%", "No answer")
	if err := c.Desk.Act(webtest.Employee2, "T-000001", bot.ActionEscalate, ""); err != nil {
		t.Fatal(err)
	}
	mustContain(t, tom.Get("/tickets/T-000001"), "<strong>Response</strong> <span>Due in 4 h</span>", "<strong>Resolution</strong>")
	c.Desk.Clock.Advance(time.Hour)
	if err := c.Desk.Act(webtest.Tech2, "T-000001", bot.ActionClaim, ""); err != nil {
		t.Fatal(err)
	}
	tom = c.SignIn(webtest.Tech2)
	mustContain(t, tom.Get("/tickets/T-000001"), `class="clock c-met"><strong>Response</strong> <span>Met `, "c-running\"><strong>Resolution</strong> <span>Due in 23 h")
}

// TestTicketPageShowsItsForm: a ticket opened with a request form shows its answers, to the desk and to
// the requester; a person the form named without their name is named as the console names people (it
// showed test:tom).
func TestTicketPageShowsItsForm(t *testing.T) {
	cfg := webtest.Config()
	cfg.Forms = []bot.Form{{ID: "access", Title: "Access request", Tier: "tier2", Fields: []bot.FormField{
		{ID: "system", Label: "Which system?", Type: bot.FieldSelect, Options: []string{"VPN", "Jira"}, Required: true},
		{ID: "by", Label: "Needed by", Type: bot.FieldDate},
		{ID: "approver", Label: "Who approves?", Type: bot.FieldUser},
	}}}
	people := &laterPeople{names: map[string]string{webtest.Tech2: "Tom Jones"}}
	c := webtest.New(t, webtest.Options{Desk: &cfg, Configure: func(w *web.Config) { w.People = []web.People{people} }})
	if err := c.Desk.Submit(webtest.Employee, nil, "access", map[string]string{"system": "Jira", "by": "2026-11-20", "approver": webtest.Tech2}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{webtest.Tech2, webtest.Employee} {
		r := c.SignIn(who).Get("/tickets/T-000001")
		mustContain(t, r, "Request form", "<dt>Which system?</dt><dd>Jira</dd>", "<dt>Needed by</dt><dd>2026-11-20</dd>", "<dt>Who approves?</dt><dd>Tom Jones (test:tom)</dd>")
	}
}

// TestWebTextIsRedacted: what a technician types on the web is redacted like what anyone types in chat,
// before it is stored, shown or sent.
func TestWebTextIsRedacted(t *testing.T) {
	c := escalatedDesk(t)
	tom := c.SignIn(webtest.Tech2)
	for _, step := range []struct{ action, text string }{
		{"reply", "Your new password: Hunter2-Sunshine, change it today."},
		{"note", "temporary password: Hunter2-Sunshine"},
	} {
		if r := tom.Post("/tickets/T-000001/"+step.action, form("event", web.NewEventID(), "text", step.text)); r.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", step.action, r.Status, clipBody(r.Body))
		}
	}
	mustNotContain(t, tom.Get("/tickets/T-000001"), "Hunter2-Sunshine")
	mustContain(t, tom.Get("/tickets/T-000001"), "[redacted password]")
	for _, m := range c.Desk.Chat.Messages("") {
		if strings.Contains(m.Text(), "Hunter2-Sunshine") {
			t.Fatalf("sent to chat unredacted: %q", m.Text())
		}
	}
	mustNotContain(t, tom.Get("/tickets?status=all&q=Hunter2-Sunshine"), "T-000001<")
}
