package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/web/webtest"
)

// The permission matrix's rows for the pages and their actions (perm_test.go runs them).
func init() { permMatrix = append(permMatrix, pageRows...) }

// seeTicket: who may see T-000001 (alice's, in Tier 2): its requester and the desk's staff; to another
// employee it does not exist.
func seeTicket(status int) map[string]int {
	return map[string]int{signedOut: http.StatusSeeOther, employee: http.StatusNotFound, requester: status, tier2: status, tier3: status, admin: status}
}

// actOn is an action's statuses on T-000001: signed out 401, another employee 404, then the rest.
func actOn(req, t2, t3, adm int) map[string]int {
	return map[string]int{signedOut: http.StatusUnauthorized, employee: http.StatusNotFound, requester: req, tier2: t2, tier3: t3, admin: adm}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

const (
	done      = http.StatusSeeOther
	forbidden = http.StatusForbidden
	conflict  = http.StatusConflict
)

var pageRows = []permRow{
	{Route: "GET /tickets", Path: "/tickets", Want: signedInOnly(true, http.StatusOK),
		Assert: func(t *testing.T, c *webtest.Console, who string, r webtest.Response) {
			// An employee's list is their own tickets.
			if mine := strings.Contains(r.Body, "T-000001"); who != signedOut && mine != (who != employee) {
				t.Errorf("%s sees T-000001 in the list: %v", who, mine)
			}
		}},
	{Route: "GET /tickets/{id}", Path: "/tickets/T-000001", Want: seeTicket(http.StatusOK)},
	{Route: "GET /tickets/{id}", Path: "/tickets/T-999999", Want: seeTicket(http.StatusNotFound)},
	{Route: "POST /tickets/{id}/{action}", Path: "/tickets/T-000001/claim", Want: actOn(forbidden, done, forbidden, forbidden),
		Assert: func(t *testing.T, c *webtest.Console, who string, r webtest.Response) {
			if who != tier2 {
				return
			}
			// The claim edited the card in chat, and the requester was told, as a claim from chat does.
			card := c.Desk.Chat.Messages("tier2")[0]
			if card.Edits == 0 || !strings.Contains(card.Field("Owner"), "tom") {
				t.Errorf("the card was not edited to name its owner: %d edits, owner %q", card.Edits, card.Field("Owner"))
			}
			if !strings.Contains(c.Desk.Chat.Last("help").Text(), "picked up") {
				t.Errorf("the requester was not told: %q", c.Desk.Chat.Last("help").Text())
			}
		}},
	{Route: "POST /tickets/{id}/{action}", Path: "/tickets/T-000001/release", Want: actOn(conflict, conflict, conflict, conflict)},
	{Route: "POST /tickets/{id}/{action}", Path: "/tickets/T-000001/reply", Form: form("text", "Unplug it, please."), Want: actOn(forbidden, done, forbidden, done)},
	{Route: "POST /tickets/{id}/{action}", Path: "/tickets/T-000001/note", Form: form("text", "toner"), Want: actOn(forbidden, done, forbidden, done)},
	{Route: "POST /tickets/{id}/{action}", Path: "/tickets/T-000001/priority", Form: form("choice", "P1"), Want: actOn(forbidden, done, forbidden, done)},
	{Route: "POST /tickets/{id}/{action}", Path: "/tickets/T-000001/escalate", Want: actOn(forbidden, done, forbidden, done)},
	{Route: "POST /tickets/{id}/{action}", Path: "/tickets/T-000001/resolve", Want: actOn(done, done, forbidden, done)},
	{Route: "POST /tickets/{id}/{action}", Path: "/tickets/T-000001/reopen", Want: actOn(conflict, conflict, conflict, conflict)},
	{Route: "POST /tickets/{id}/{action}", Path: "/tickets/T-000001/rate", Form: form("choice", "5"), Want: actOn(conflict, forbidden, forbidden, forbidden)},
	{Route: "POST /tickets/{id}/{action}", Path: "/tickets/T-000001/dance", Want: actOn(http.StatusNotFound, http.StatusNotFound, http.StatusNotFound, http.StatusNotFound)},

	// The knowledge base: everyone reads what is published; the staff its history; admins write it.
	{Route: "GET /kb", Path: "/kb", Want: signedInOnly(true, http.StatusOK)},
	{Route: "GET /kb/{id}", Path: "/kb/vpn-connect", Want: signedInOnly(true, http.StatusOK)},
	{Route: "GET /kb/{id}", Path: "/kb/no-such-article", Want: signedInOnly(true, http.StatusNotFound)},
	{Route: "GET /kb/{id}/diff", Path: "/kb/vpn-connect/diff", Want: staffOnly(true, http.StatusOK)},
	{Route: "GET /kb/new", Path: "/kb/new", Want: adminOnly(true, http.StatusOK)},
	{Route: "POST /kb/new", Path: "/kb/new", Form: form("title", "Reset a password", "body", "Open the portal."), Want: adminOnly(false, done)},
	{Route: "GET /kb/{id}/edit", Path: "/kb/vpn-connect/edit", Want: adminOnly(true, http.StatusOK)},
	{Route: "POST /kb/{id}/edit", Path: "/kb/vpn-connect/edit", Form: form("title", "Connect to the VPN", "body", "Open it.", "base", "1"), Want: adminOnly(false, done)},
	// An edit made from a version that is not the newest is refused (the same rule as chat).
	{Route: "POST /kb/{id}/edit", Path: "/kb/vpn-connect/edit", Form: form("title", "Connect to the VPN", "body", "Open it.", "base", "7"), Want: adminOnly(false, conflict)},
	{Route: "POST /kb/{id}/{change}", Path: "/kb/vpn-connect/delete", Form: form("base", "1"), Want: adminOnly(false, done)},
	{Route: "POST /kb/{id}/{change}", Path: "/kb/vpn-connect/restore", Form: form("base", "1", "version", "9"), Want: adminOnly(false, http.StatusNotFound)},
	{Route: "POST /kb/preview", Path: "/kb/preview", Form: form("body", "**bold**"), Want: adminOnly(false, http.StatusOK)},
	{Route: "GET /kb/drafts/{ticket}/edit", Path: "/kb/drafts/T-000001/edit", Want: adminOnly(true, http.StatusNotFound)},
	{Route: "POST /kb/drafts/{ticket}/{change}", Path: "/kb/drafts/T-000001/publish", Want: adminOnly(false, http.StatusNotFound)},

	{Route: "GET /reports", Path: "/reports", Want: staffOnly(true, http.StatusOK)},
	{Route: "GET /reports/download", Path: "/reports/download?period=30d", Want: staffOnly(true, http.StatusOK)},
	{Route: "GET /audit", Path: "/audit", Want: adminOnly(true, http.StatusOK)},
	{Route: "GET /health", Path: "/health", Want: staffOnly(true, http.StatusOK)},
}
