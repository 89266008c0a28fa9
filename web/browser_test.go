package web_test

// The browser test: a real headless Chromium (Debian's chromium) driven through the story of a ticket and
// an article, with a screenshot of each page in web/screenshots/ (kept out of git) to look at.
//
// Where it runs: CI (.ci/run, which installs chromium when it is missing, sets CI) must run it, so there
// a missing browser fails the test; a plain `go test` on a machine without chromium skips it and says how
// to install one.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/web"
	"github.com/firstline-desk/firstline/web/webtest"
)

// findChromium returns the path of a Chromium to drive, failing the test in CI when there is none and
// skipping it elsewhere.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI must run the browser test, and there is no chromium on PATH: .ci/run installs it (apt-get install -y chromium)")
	}
	t.Skip("no chromium on PATH: install it (apt-get install -y chromium) to run the browser test; CI runs it")
	return ""
}

// browser starts a headless Chromium with a fresh profile, as this machine needs it.
func browser(t *testing.T, size [2]int) (context.Context, context.CancelFunc) {
	t.Helper()
	path := findChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(size[0], size[1]),
	}
	ctx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(ctx)
	// The first run starts the browser, which lives as long as its context: the time limit is on the
	// story's steps, not on the browser.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	return ctx, func() { cancelTime(); cancelCtx(); cancelAlloc() }
}

// shots keeps the screenshots of a run.
type shots struct {
	t   *testing.T
	dir string
}

func newShots(t *testing.T) *shots {
	dir, err := filepath.Abs("screenshots")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &shots{t: t, dir: dir}
}

// take is an action that saves the whole page as name.png.
func (s *shots) take(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		// A page still being laid out has no size to take.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			ready, err := chromedp.Evaluate[bool](`document.readyState === "complete" && document.documentElement.scrollWidth > 0`)(ctx, t)
			if err == nil && ready {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
		}
		png, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		path := filepath.Join(s.dir, name+".png")
		s.t.Logf("screenshot %s", path)
		return os.WriteFile(path, png, 0o644)
	})
}

// browserDesk is the desk of the story: ada is the desk's admin and works in Tier 2.
func browserDesk(t *testing.T) *webtest.Console {
	cfg := webtest.Config()
	cfg.Tiers[0].Members = append(cfg.Tiers[0].Members, webtest.Admin)
	cfg.SLA = map[string]bot.SLATarget{"P1": {Response: 30 * time.Minute, Resolution: 4 * time.Hour}, "P2": {Response: time.Hour, Resolution: 8 * time.Hour},
		"P3": {Response: 4 * time.Hour, Resolution: 24 * time.Hour}}
	cfg.Alerts = bot.AlertConfig{Routes: []bot.AlertRoute{{Name: "critical", Match: map[string]string{"severity": "critical"},
		Tier: "tier2", Priority: "P1", Actions: []string{"restart-spooler"}, Resolve: true}}}
	return webtest.New(t, webtest.Options{Desk: &cfg, Configure: func(c *web.Config) { c.PollEvery = 200 * time.Millisecond }})
}

func TestBrowserStory(t *testing.T) {
	c := browserDesk(t)
	ctx, cancel := browser(t, [2]int{1360, 900})
	defer cancel()
	shot := newShots(t)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// until waits for expr to hold on the page: after a click that sends a form, the page before the
	// answer is still there for a moment, and it goes away under a check, so the check is asked again
	// until the new page passes it.
	until := func(what, expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				if ok, err := chromedp.Evaluate[bool](expr)(ctx, t); err == nil && ok {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
				case <-tick.C:
				}
			}
		})
	}
	// notice waits for the page to say what an action did.
	notice := func(words string) chromedp.Action[chromedp.Void] {
		return until("the page to say "+strconv.Quote(words),
			`(() => { const n = document.querySelector(".notice"); return document.readyState === "complete" && !!n && n.textContent.includes(`+strconv.Quote(words)+`); })()`)
	}
	heading := func(h string) chromedp.Action[chromedp.Void] {
		return until("the page "+strconv.Quote(h), `(() => { const n = document.querySelector("h1"); return document.readyState === "complete" && !!n && n.textContent.trim() === `+strconv.Quote(h)+`; })()`)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	link, _, err := c.Server.SignInLink(webtest.Admin, c.Desk.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}

	// Sign in with a link.
	run("sign in", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`form button[type=submit]`)), shot.take("signin-link"), a11y(t, "signin-link"),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), heading("Queue"))

	// The list is open when a question comes in: the new ticket appears without a reload.
	run("tickets", chromedp.Navigate(c.URL+"/tickets"), chromedp.WaitVisible(chromedp.CSS(`.empty`)))
	question := c.Desk.Say(webtest.Employee, "help", "The printer on floor 3 prints **blank pages** since this morning")
	run("the new ticket appears", chromedp.WaitVisible(chromedp.CSS(`#results a[href="/tickets/T-000001"]`)))
	c.Desk.Say(webtest.Employee2, "help", "my laptop screen flickers when docked")
	run("a second one", chromedp.WaitVisible(chromedp.CSS(`#results a[href="/tickets/T-000002"]`)))
	// A morning's queue, for the screenshots: priorities, a claim, deadlines near and past.
	for _, q := range []string{"Outlook keeps asking for my password", "The badge reader at the east door is dead", "Need Visio installed for a client call at 3pm", "Shared drive S: is read-only since the update"} {
		c.Desk.Clock.Advance(7 * time.Minute)
		c.Desk.Say(webtest.Employee2, "help", q)
	}
	for id, p := range map[string]string{"T-000003": "P1", "T-000004": "P2", "T-000006": "P2"} {
		if err := c.Desk.Act(webtest.Tech2b, id, bot.ActionPriority, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Desk.Act(webtest.Tech2b, "T-000004", bot.ActionClaim, ""); err != nil {
		t.Fatal(err)
	}
	c.Desk.Clock.Advance(50 * time.Minute)
	if _, err := c.Desk.Engine.CheckSLAs(context.Background(), c.Desk.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := c.Desk.Engine.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The list says when its results are of in the desk's clock and zone, as every time on the page, even
	// after it refreshed itself (it said the browser's).
	asOf := c.Desk.Clock.Now().In(time.Local).Format("15:04")
	run("the morning's queue", chromedp.WaitVisible(chromedp.CSS(`#results a[href="/tickets/T-000006"]`)),
		until("the list as of "+asOf, `document.querySelector("#live time").textContent === `+strconv.Quote(asOf)), shot.take("tickets"), a11y(t, "tickets"))

	// The keyboard: j chooses the first ticket (the nearest deadline), Enter opens it, r goes to the reply
	// with its focus drawn; Escape leaves the reply, and the browser's back button returns to the list.
	run("keys", chromedp.KeyEvent("j"),
		until("j to choose the first row", `(() => { const r = document.querySelector("#results tr.sel a"); return !!r && document.activeElement === r; })()`),
		chromedp.KeyEvent("\r"), heading("T-000003 Outlook keeps asking for my password"),
		until("the page's script", `document.readyState === "complete"`), chromedp.KeyEvent("r"),
		until("r to focus the reply", `document.activeElement && document.activeElement.id === "reply-text"`),
		until("the focus to show", `getComputedStyle(document.activeElement).outlineStyle === "solid"`),
		chromedp.KeyEvent("\x1b"), chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS(`#results a[href="/tickets/T-000001"]`)))

	// Open it, claim it, reply, resolve it.
	run("open", chromedp.Click(chromedp.CSS(`#results td.id a[href="/tickets/T-000001"]`)), chromedp.WaitVisible(chromedp.CSS(`button[data-key=c]`)), shot.take("ticket-new"), a11y(t, "ticket-new"))
	run("claim", chromedp.Click(chromedp.CSS(`button[data-key=c]`)), notice("You claimed it"))
	reply := "Hi Alice, I have replaced the toner: try again, please."
	run("reply", chromedp.SendKeys(chromedp.CSS(`#reply-text`), reply), chromedp.Click(chromedp.CSS(`form.reply button[type=submit]`)), notice("Your reply was sent"))
	if last := c.Desk.Chat.Last("help").Text(); !strings.Contains(last, reply) || !strings.Contains(last, "ada") {
		t.Fatalf("the reply did not reach the requester's thread in chat with the technician's name: %q", last)
	}
	c.Desk.Clock.Advance(25 * time.Minute)
	c.Desk.SayIn(webtest.Employee, "help", question, "It works now, thank you!")
	run("note", chromedp.SendKeys(chromedp.CSS(`#note-text`), "Toner was empty; ordered two spares."), chromedp.Click(chromedp.CSS(`form.note button[type=submit]`)), notice("Your note was added"),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`.messages`)), shot.take("ticket"), a11y(t, "ticket"))
	run("resolve", chromedp.Click(chromedp.CSS(`button.good`)), notice("It is resolved"))
	run("resolved", shot.take("ticket-resolved"), a11y(t, "ticket-resolved"))
	if status := text(".ticket-head .badge"); status != "Resolved" {
		t.Fatalf("after Resolve the ticket is %q", status)
	}
	var tk *bot.Ticket
	if err := c.DB.View(context.Background(), func(tx bot.Tx) error { tk, err = tx.Ticket("T-000001"); return err }); err != nil || tk.Status != bot.StatusResolved {
		t.Fatalf("T-000001 in the data file: %v", err)
	}
	run("queue", chromedp.Navigate(c.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`.tiles`)), shot.take("queue"), a11y(t, "queue"))

	// Edit an article, with the live preview; see the new version in its history, and the diff.
	run("kb", chromedp.Navigate(c.URL+"/kb?q=vpn"), chromedp.WaitVisible(chromedp.CSS(`.hits`)), shot.take("kb"), a11y(t, "kb"))
	run("article", chromedp.Click(chromedp.CSS(`.hits a[href="/kb/vpn-connect"]`)), heading("Connect to the VPN"), shot.take("kb-article"), a11y(t, "kb-article"))
	run("edit", chromedp.Click(chromedp.CSS(`a[href="/kb/vpn-connect/edit"]`)), chromedp.WaitVisible(chromedp.CSS(`#ed-body`)))
	body := "Open **Example VPN** and sign in with your usual account.\n\n## If it keeps dropping\n\n1. Quit the VPN app.\n2. Turn Wi-Fi off and on.\n3. Connect again to `vpn.example.com`."
	run("type", chromedp.Clear(chromedp.CSS(`#ed-body`)), chromedp.SendKeys(chromedp.CSS(`#ed-body`), body),
		until("the live preview", `(() => { const p = document.querySelector("#preview h3"); return !!p && p.textContent.includes("If it keeps dropping"); })()`),
		shot.take("kb-edit"), a11y(t, "kb-edit"))
	run("save", chromedp.Click(chromedp.CSS(`button[value=save]`)), notice("Saved as a new version"))
	if v := text(".versions li:first-child a"); v != "v2" {
		t.Fatalf("the newest version in the history is %q", v)
	}
	run("diff", chromedp.Click(chromedp.CSS(`.diffpick button[type=submit]`)), heading("Connect to the VPN: v1 → v2"), shot.take("kb-diff"), a11y(t, "kb-diff"))
	if added := text(".dl.add"); !strings.Contains(added, "Example VPN") {
		t.Fatalf("the diff's first added line is %q", added)
	}
	if removed := text(".dl.del"); !strings.Contains(removed, "Open Example VPN and sign in.") {
		t.Fatalf("the diff's first removed line is %q", removed)
	}

	// A monitor's ticket: the alert group above its conversation, the monitor as its requester.
	if err := c.Desk.Alert(spoolerNotice(c.Desk.Clock.Now().Add(-12*time.Minute), "prn-3", "prn-4")); err != nil {
		t.Fatal(err)
	}
	run("alert ticket", chromedp.Navigate(c.URL+"/tickets/T-000007"), chromedp.WaitVisible(chromedp.CSS(`.alert-group`)), shot.take("ticket-alert"), a11y(t, "ticket-alert"))

	// The other pages, to look at.
	run("reports", chromedp.Navigate(c.URL+"/reports"), chromedp.WaitVisible(chromedp.CSS(`.tiles`)), shot.take("reports"), a11y(t, "reports"))
	run("audit", chromedp.Navigate(c.URL+"/audit"), chromedp.WaitVisible(chromedp.CSS(`table.list`)), shot.take("audit"), a11y(t, "audit"))
	run("health", chromedp.Navigate(c.URL+"/health"), chromedp.WaitVisible(chromedp.CSS(`.grid2`)), shot.take("health"), a11y(t, "health"))
	run("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(c.URL+"/tickets/T-000001"),
		chromedp.WaitVisible(chromedp.CSS(`.messages`)), shot.take("phone-ticket"), a11y(t, "phone-ticket"), chromedp.Navigate(c.URL+"/tickets/T-000007"), chromedp.WaitVisible(chromedp.CSS(`.alert-group`)),
		shot.take("phone-ticket-alert"), a11y(t, "phone-ticket-alert"), chromedp.Navigate(c.URL+"/tickets?status=all"),
		chromedp.WaitVisible(chromedp.CSS(`#results`)), shot.take("phone-tickets"), a11y(t, "phone-tickets"), chromedp.Navigate(c.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`.tiles`)),
		shot.take("phone-queue"), a11y(t, "phone-queue"), chromedp.EmulateReset())

	// Sign out.
	run("sign out", chromedp.Click(chromedp.CSS(`.who button`)), notice("You are signed out"))
	if r := c.Anonymous().Get("/"); r.Status != http.StatusSeeOther {
		t.Fatalf("the console without a session: %d", r.Status)
	}
}
