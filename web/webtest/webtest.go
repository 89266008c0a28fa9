// Package webtest runs the web console for handler tests on a real engine (bot/bottest's Desk, with its
// fake chat and clock) and a real data file in a temporary directory: sign in as anyone, read pages, send
// forms as the console's own pages do, or as another site would.
package webtest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/report"
	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/web"
)

var _ Store = (*storage.DB)(nil)

// Store is what a console runs on: the desk's store, which keeps the console's records too, and whose
// audit log a test reads. storage.DB (bbolt) is the default; storage/postgres.DB is the other.
type Store interface {
	bot.Store
	web.SessionStore
	AuditEntries(ctx context.Context, since time.Time, limit int) ([]bot.AuditEntry, error)
	// TicketsActiveOrUpdatedSince is what a report is built from.
	TicketsActiveOrUpdatedSince(ctx context.Context, since time.Time) ([]*bot.Ticket, error)
}

// openStore opens the store New runs a console on, when Options.Store is nil: a bbolt data file in a
// temporary folder, checked when the test ends. UseStore replaces it for a test.
var openStore = func(t testing.TB) Store {
	db, err := storage.Open(filepath.Join(t.TempDir(), "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open data file: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("data file check: %v", err)
		}
		db.Close()
	})
	return db
}

// UseStore makes every console New runs until t ends use the store open returns (which closes it when
// its test ends), so a test can run other tests' stories on another store. Not for parallel tests.
func UseStore(t testing.TB, open func(testing.TB) Store) {
	before := openStore
	openStore = open
	t.Cleanup(func() { openStore = before })
}

// The people of Config, one of each role the permission matrix tests.
var (
	Employee  = bottest.User("alice") // a requester
	Employee2 = bottest.User("bob")   // another requester
	Tech2     = bottest.User("tom")   // works in Tier 2
	Tech2b    = bottest.User("tina")  // works in Tier 2 too
	Tech3     = bottest.User("sara")  // works in Tier 3
	Admin     = bottest.User("ada")   // an admin, in no tier
)

// Config is the desk the console runs on by default: help channel test:help, Tier 2 (tom, tina) and
// Tier 3 (sara) working from test:tier2 and test:tier3, and ada the admin.
func Config() bot.Config {
	return bot.Config{
		Name:          "Firstline",
		CommandPrefix: "!",
		HelpChannels:  []string{"test:help"},
		Tiers: []bot.Tier{
			{ID: "tier2", Name: "Tier 2", Channel: "test:tier2", Members: []string{Tech2, Tech2b}},
			{ID: "tier3", Name: "Tier 3", Channel: "test:tier3", Members: []string{Tech3}},
		},
		Admins:            []string{Admin},
		Reactions:         bot.DefaultReactions,
		MinConfidence:     0.5,
		SuggestConfidence: 0.35,
		ReopenWindow:      7 * 24 * time.Hour,
		DefaultPriority:   "P3",
	}
}

// Options change the console New runs.
type Options struct {
	// Desk is the engine's config; zero is Config().
	Desk *bot.Config
	// Library is the knowledge base; nil is one article about the VPN.
	Library bot.Library
	// TLS serves the console over https (Secure cookies, the __Host- prefix).
	TLS bool
	// Configure changes the console's config before it is made (People, OIDC, durations).
	Configure func(*web.Config)
	// Store opens the store the console runs on, closed when the test ends; nil is a bbolt data file
	// (or what UseStore chose).
	Store func(testing.TB) Store
}

// Console is a running console.
type Console struct {
	T      testing.TB
	Desk   *bottest.Desk
	DB     Store
	Server *web.Server
	HTTP   *httptest.Server
	URL    string // the console's address, "http://127.0.0.1:PORT"
}

// New runs a console; it stops when the test ends.
func New(t testing.TB, opts Options) *Console {
	t.Helper()
	open := opts.Store
	if open == nil {
		open = openStore
	}
	db := open(t)
	cfg := Config()
	if opts.Desk != nil {
		cfg = *opts.Desk
	}
	search := opts.Library
	if search == nil {
		search = &bottest.Library{Articles: []kb.Article{{ID: "vpn-connect", Title: "Connect to the VPN", Body: "Open Example VPN and sign in."}},
			Rules: []bottest.Rule{{Contains: "vpn", Hits: []kb.Hit{{ID: "vpn-connect", Confidence: 0.9}}}}}
	}
	if opts.Library == nil {
		// The articles the knowledge base answers from are in the data file too, as a desk imports
		// them at start: the console's knowledge-base pages read them there.
		if _, err := bot.ImportKBArticles(context.Background(), db, search.(*bottest.Library).Articles, "", time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)); err != nil {
			t.Fatalf("import articles: %v", err)
		}
	}
	desk := bottest.NewDesk(t, cfg, db, search)
	hs := httptest.NewUnstartedServer(nil)
	scheme := "http"
	if opts.TLS {
		scheme = "https"
	}
	base := scheme + "://" + hs.Listener.Addr().String()
	wcfg := web.Config{BaseURL: base, Desk: cfg, Store: db, Events: events{desk}, Sessions: db, Clock: desk.Clock, Library: search,
		Reports: reports{db: db, desk: cfg}}
	if opts.Configure != nil {
		opts.Configure(&wcfg)
	}
	srv, err := web.New(context.Background(), wcfg, nil)
	if err != nil {
		t.Fatalf("web console: %v", err)
	}
	desk.Engine.SetSignIn(srv)
	hs.Config.Handler = srv
	if opts.TLS {
		hs.StartTLS()
	} else {
		hs.Start()
	}
	t.Cleanup(hs.Close)
	return &Console{T: t, Desk: desk, DB: db, Server: srv, HTTP: hs, URL: base}
}

// events hands the console's events to the desk, which performs what they cause before returning, so a
// test sees the chat side at once.
type events struct{ d *bottest.Desk }

func (e events) Handle(_ context.Context, ev bot.Event) error { return e.d.Handle(ev) }

// Client is a browser: it keeps cookies and does not follow redirects, so a test sees each answer.
type Client struct {
	T    testing.TB
	C    *Console
	User string // who it signed in as, "" for nobody
	http *http.Client
}

// Anonymous returns a browser signed in as nobody.
func (c *Console) Anonymous() *Client {
	jar, _ := cookiejar.New(nil)
	hc := *c.HTTP.Client() // a copy: the server's client is shared
	hc.Jar = jar
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{T: c.T, C: c, http: &hc}
}

// SignIn returns a browser signed in as user, the way a person does: a sign-in link, its page, its
// button.
func (c *Console) SignIn(user string) *Client {
	c.T.Helper()
	cl := c.Anonymous()
	link, _, err := c.Server.SignInLink(user, c.Desk.Clock.Now())
	if err != nil {
		c.T.Fatalf("sign-in link for %s: %v", user, err)
	}
	path := strings.TrimPrefix(link, c.URL)
	if r := cl.Get(path); r.Status != http.StatusOK {
		c.T.Fatalf("sign-in link page for %s: %d %s", user, r.Status, r.Body)
	}
	if r := cl.Post(path, nil); r.Status != http.StatusSeeOther {
		c.T.Fatalf("sign in as %s: %d %s", user, r.Status, r.Body)
	}
	cl.User = user
	return cl
}

// Response is an answer, read whole.
type Response struct {
	Status   int
	Header   http.Header
	Body     string
	Location string // where a redirect points
}

// Get reads path.
func (cl *Client) Get(path string) Response {
	cl.T.Helper()
	req, err := http.NewRequest(http.MethodGet, cl.C.URL+path, nil)
	if err != nil {
		cl.T.Fatalf("GET %s: %v", path, err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return cl.Do(req)
}

// Follow reads the address a redirect pointed at, on the console or elsewhere (an identity provider),
// with the browser's cookies, as a browser following a link from another site.
func (cl *Client) Follow(location string) Response {
	cl.T.Helper()
	u, err := url.Parse(location)
	if err != nil {
		cl.T.Fatalf("follow %q: %v", location, err)
	}
	if !u.IsAbs() {
		location = cl.C.URL + location
	}
	req, err := http.NewRequest(http.MethodGet, location, nil)
	if err != nil {
		cl.T.Fatalf("follow %q: %v", location, err)
	}
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	return cl.Do(req)
}

// SetCookie puts a cookie in the browser's jar for the console.
func (cl *Client) SetCookie(c *http.Cookie) {
	u, _ := url.Parse(cl.C.URL)
	cl.http.Jar.SetCookies(u, []*http.Cookie{c})
}

// Post sends a form to path as the console's own pages do (same origin).
func (cl *Client) Post(path string, form url.Values) Response {
	cl.T.Helper()
	return cl.PostFrom(cl.C.URL, "same-origin", path, form)
}

// PostFrom sends a form to path as a page of origin would, with the Sec-Fetch-Site a browser sends
// ("cross-site", "same-site", "same-origin"; "" for none, as an older browser).
func (cl *Client) PostFrom(origin, fetchSite, path string, form url.Values) Response {
	cl.T.Helper()
	req, err := http.NewRequest(http.MethodPost, cl.C.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		cl.T.Fatalf("POST %s: %v", path, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if fetchSite != "" {
		req.Header.Set("Sec-Fetch-Site", fetchSite)
	}
	return cl.Do(req)
}

// Do sends req with the browser's cookies.
func (cl *Client) Do(req *http.Request) Response {
	cl.T.Helper()
	resp, err := cl.http.Do(req)
	if err != nil {
		cl.T.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		cl.T.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body), Location: resp.Header.Get("Location")}
}

// Cookies are the browser's cookies for the console.
func (cl *Client) Cookies() []*http.Cookie {
	u, _ := url.Parse(cl.C.URL)
	return cl.http.Jar.Cookies(u)
}

// Audit returns the audit log's entries with action.
func (c *Console) Audit(action string) []bot.AuditEntry {
	c.T.Helper()
	all, err := c.DB.AuditEntries(context.Background(), time.Time{}, 0)
	if err != nil {
		c.T.Fatalf("audit log: %v", err)
	}
	var out []bot.AuditEntry
	for _, e := range all {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// reports builds the report from the data file, as cmd/firstline does.
type reports struct {
	db   Store
	desk bot.Config
}

func (r reports) Report(ctx context.Context, since, until time.Time) (*report.Report, error) {
	tickets, err := r.db.TicketsActiveOrUpdatedSince(ctx, since)
	if err != nil {
		return nil, err
	}
	return report.Build(tickets, report.Options{Since: since, Until: until, Tiers: r.desk.Tiers, SLA: r.desk.SLAPolicy()}), nil
}
