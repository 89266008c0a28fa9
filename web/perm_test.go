package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/web"
	"github.com/firstline-desk/firstline/web/webtest"
)

// The people of the permission matrix: who asks, as the console sees them.
const (
	signedOut = "signed out"
	employee  = "employee"  // signed in, not the requester of the matrix's tickets
	requester = "requester" // signed in, the requester of T-000001
	tier2     = "tier2"     // a technician of Tier 2, where T-000001 is
	tier3     = "tier3"     // a technician of Tier 3
	admin     = "admin"
)

var matrixPeople = []string{signedOut, employee, requester, tier2, tier3, admin}

// matrixUsers are the desk's users for each.
var matrixUsers = map[string]string{
	employee:  webtest.Employee2,
	requester: webtest.Employee,
	tier2:     webtest.Tech2,
	tier3:     webtest.Tech3,
	admin:     webtest.Admin,
}

// permRow is a row of the permission matrix: one request, and the status each person gets. Every route
// the console serves must have at least one row (TestEveryRouteIsInTheMatrix): add rows with each page or
// action. A row's requests run on a fresh desk for each person, so an action one person takes does not
// change what the next sees.
type permRow struct {
	Route  string     // the route's pattern, as registered: "GET /tickets/{id}"
	Path   string     // the path requested: "/tickets/T-000001"
	Form   url.Values // for a POST
	Want   map[string]int
	Assert func(t *testing.T, c *webtest.Console, who string, r webtest.Response) // more checks, optional
}

// everyone is a Want for a route everyone gets the same answer from.
func everyone(status int) map[string]int {
	m := map[string]int{}
	for _, p := range matrixPeople {
		m[p] = status
	}
	return m
}

// signedInOnly: signed out, a page sends to sign in (303) and an action is refused (401).
func signedInOnly(page bool, status int) map[string]int {
	m := everyone(status)
	m[signedOut] = http.StatusUnauthorized
	if page {
		m[signedOut] = http.StatusSeeOther
	}
	return m
}

// staffOnly: employees (requester or not) are refused with 403.
func staffOnly(page bool, status int) map[string]int {
	m := signedInOnly(page, status)
	m[employee], m[requester] = http.StatusForbidden, http.StatusForbidden
	return m
}

// adminOnly: technicians are refused too.
func adminOnly(page bool, status int) map[string]int {
	m := staffOnly(page, status)
	m[tier2], m[tier3] = http.StatusForbidden, http.StatusForbidden
	return m
}

// permMatrix is the permission matrix of every page and action.
var permMatrix = []permRow{
	{Route: "GET /{$}", Path: "/", Want: signedInOnly(true, http.StatusOK)},
	{Route: "GET /signin", Path: "/signin", Want: map[string]int{signedOut: 200, employee: 303, requester: 303, tier2: 303, tier3: 303, admin: 303}},
	{Route: "GET /signin/link/{token}", Path: "/signin/link/not-a-link", Want: everyone(http.StatusBadRequest)},
	{Route: "POST /signin/link/{token}", Path: "/signin/link/not-a-link", Want: everyone(http.StatusBadRequest)},
	{Route: "POST /signout", Path: "/signout", Want: signedInOnly(false, http.StatusSeeOther)},
	{Route: "POST /signout/everywhere", Path: "/signout/everywhere", Want: signedInOnly(false, http.StatusSeeOther)},
	// The matrix's provider cannot be reached; a callback without its browser's flow is refused.
	{Route: "GET /auth/oidc/start", Path: "/auth/oidc/start", Want: everyone(http.StatusServiceUnavailable)},
	{Route: "GET /auth/oidc/callback", Path: "/auth/oidc/callback?code=x&state=y", Want: everyone(http.StatusUnauthorized)},
}

// matrixOptions run the matrix's console with every route on: OpenID Connect too, with a provider that
// cannot be reached (oidc_test.go signs in with a real one).
func matrixOptions() webtest.Options {
	return webtest.Options{Configure: func(cfg *web.Config) {
		cfg.OIDC = web.OIDCConfig{Issuer: "http://127.0.0.1:1/unreachable", ClientID: "matrix", Platform: "test"}
	}}
}

// matrixDesk is the desk every row runs on: T-000001, alice's, escalated to Tier 2 and waiting there.
func matrixDesk(t *testing.T) *webtest.Console {
	c := webtest.New(t, matrixOptions())
	c.Desk.Say(webtest.Employee, "help", "the printer on floor 3 is on fire")
	return c
}

func TestPermissionMatrix(t *testing.T) {
	for _, row := range permMatrix {
		method, _, _ := strings.Cut(row.Route, " ")
		for _, who := range matrixPeople {
			want, ok := row.Want[who]
			if !ok {
				t.Errorf("%s: no expected status for %s", row.Route, who)
				continue
			}
			t.Run(fmt.Sprintf("%s %s as %s", method, row.Path, who), func(t *testing.T) {
				c := matrixDesk(t)
				b := c.Anonymous()
				if who != signedOut {
					b = c.SignIn(matrixUsers[who])
				}
				var r webtest.Response
				if method == http.MethodPost {
					r = b.Post(row.Path, row.Form)
				} else {
					r = b.Get(row.Path)
				}
				if r.Status != want {
					t.Fatalf("%d, want %d: %s", r.Status, want, clipBody(r.Body))
				}
				if row.Assert != nil {
					row.Assert(t, c, who, r)
				}
			})
		}
	}
}

// Every route has rows, and every row is a route: a page added without its permissions tested fails here.
func TestEveryRouteIsInTheMatrix(t *testing.T) {
	c := webtest.New(t, matrixOptions())
	var routes []string
	for _, r := range c.Server.Routes() {
		routes = append(routes, r.Pattern)
	}
	for _, r := range routes {
		if !slices.ContainsFunc(permMatrix, func(row permRow) bool { return row.Route == r }) {
			t.Errorf("route %q has no row in the permission matrix", r)
		}
	}
	for _, row := range permMatrix {
		if !slices.Contains(routes, row.Route) {
			t.Errorf("matrix row for %q: no such route", row.Route)
		}
	}
}

// The guard's levels, for every role: what Access each passes.
func TestAccessLevels(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	for who, want := range map[string][]web.Access{
		employee: {web.Public, web.SignedIn},
		tier2:    {web.Public, web.SignedIn, web.Staff},
		tier3:    {web.Public, web.SignedIn, web.Staff},
		admin:    {web.Public, web.SignedIn, web.Staff, web.AdminOnly},
	} {
		v := c.Server.Viewer(matrixUsers[who], "")
		for _, a := range []web.Access{web.Public, web.SignedIn, web.Staff, web.AdminOnly} {
			if got := v.Passes(a); got != slices.Contains(want, a) {
				t.Errorf("%s passes %s: %v", who, a, got)
			}
		}
	}
	var nobody *web.Viewer
	if nobody.Passes(web.SignedIn) || !nobody.Passes(web.Public) {
		t.Errorf("signed out passes signed-in routes, or not public ones")
	}
}

func clipBody(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// people is a chat adapter's directory, as the console sees it.
type people struct {
	known bool
	roles map[string][]string
}

func (p *people) Platform() string            { return "slack" }
func (p *people) UserName(user string) string { return "Name of " + user }
func (p *people) UserRoles(user string) ([]string, bool) {
	return p.roles[user], p.known
}

// Roles given to a platform group reach the web through the adapter's directory; while it has not read
// them, the person has only what the config names them for in person, and the page says so.
func TestRolesFromPeople(t *testing.T) {
	cfg := webtest.Config()
	cfg.Tiers[0].Members = append(cfg.Tiers[0].Members, "slack:subteam:STIER2")
	cfg.Admins = append(cfg.Admins, "slack:UADMIN")
	dir := &people{roles: map[string][]string{"slack:UTECH": {"slack:subteam:STIER2"}}}
	c := webtest.New(t, webtest.Options{Desk: &cfg, Configure: func(w *web.Config) { w.People = []web.People{dir} }})

	tech, adm := c.SignIn("slack:UTECH"), c.SignIn("slack:UADMIN")
	r := tech.Get("/")
	if !strings.Contains(r.Body, "not known yet") || !strings.Contains(r.Body, "employee") {
		t.Fatalf("before the groups are read: %s", r.Body)
	}
	if r := adm.Get("/"); strings.Contains(r.Body, "not known yet") == false || !strings.Contains(r.Body, ">admin<") {
		t.Fatalf("an admin named in person, before the groups are read: %s", r.Body)
	}
	dir.known = true
	r = tech.Get("/")
	if strings.Contains(r.Body, "not known yet") || !strings.Contains(r.Body, ">technician<") || !strings.Contains(r.Body, "Name of slack:UTECH") {
		t.Fatalf("once the groups are read: %s", r.Body)
	}
	if v := c.Server.Viewer("slack:UTECH", ""); !v.Works("tier2") || v.Works("tier3") || v.Admin {
		t.Fatalf("viewer: %+v", v)
	}
}
