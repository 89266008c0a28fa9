package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/web/webtest"
)

// TestKBEditFromTheWeb: an edit saves a new version that answers questions at once (the search index
// has it), and an edit made from a version another admin has since replaced is refused with what they
// changed, keeping what was typed; saving again then makes it the newest.
func TestKBEditFromTheWeb(t *testing.T) {
	cfg := webtest.Config()
	cfg.Admins = append(cfg.Admins, webtest.Tech3)
	lib := &bottest.Library{Articles: []kb.Article{{ID: "vpn-connect", Title: "Connect to the VPN", Body: "Open Example VPN and sign in."}}}
	c := webtest.New(t, webtest.Options{Desk: &cfg, Library: lib})
	if _, err := bot.ImportKBArticles(context.Background(), c.DB, lib.Articles, "", c.Desk.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	ada, sara := c.SignIn(webtest.Admin), c.SignIn(webtest.Tech3)
	mustContain(t, ada.Get("/kb/vpn-connect/edit"), `name="base" value="1"`, "Open Example VPN and sign in.")

	r := ada.Post("/kb/vpn-connect/edit", form("title", "Connect to the VPN", "body", "Open Example VPN, then sign in with **SSO**.", "base", "1", "event", "k1"))
	if r.Status != http.StatusSeeOther || r.Location != "/kb/vpn-connect?done=saved" {
		t.Fatalf("save: %d %s %s", r.Status, r.Location, clipBody(r.Body))
	}
	if a, ok := lib.Article("vpn-connect"); !ok || !strings.Contains(a.Body, "SSO") {
		t.Fatalf("the search index does not have the new version: %q", a.Body)
	}
	page := ada.Get("/kb/vpn-connect?done=saved")
	mustContain(t, page, "Saved as a new version", "<strong>SSO</strong>", "v2")

	// Sara started from version 1 too.
	r = sara.Post("/kb/vpn-connect/edit", form("title", "Connect to the VPN", "body", "Sara's words.", "base", "1", "event", "k2"))
	if r.Status != http.StatusConflict {
		t.Fatalf("a stale edit: %d", r.Status)
	}
	mustContain(t, r, "changed since version 1", "Sara&#39;s words.", `name="base" value="2"`, "sign in with **SSO**.")
	if r := sara.Post("/kb/vpn-connect/edit", form("title", "Connect to the VPN", "body", "Sara's words.", "base", "2", "event", "k3")); r.Status != http.StatusSeeOther {
		t.Fatalf("saving again after the conflict: %d", r.Status)
	}
	diff := ada.Get("/kb/vpn-connect/diff?a=2&b=3")
	mustContain(t, diff, `class="dl del"`, "SSO", `class="dl add"`, "Sara&#39;s words.")
	if len(c.Audit("kb.edit")) != 2 {
		t.Fatalf("%d kb.edit audit entries, want 2", len(c.Audit("kb.edit")))
	}
}

// TestKBPreviewIsEscaped: the preview renders Markdown and nothing a person typed runs.
func TestKBPreviewIsEscaped(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	r := c.SignIn(webtest.Admin).Post("/kb/preview", form("body", "# Title\n\n<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.com)"))
	mustContain(t, r, "<h2>Title</h2>", "&lt;script&gt;", `<a href="https://example.com"`)
	mustNotContain(t, r, "<script>", `href="javascript`)
}
