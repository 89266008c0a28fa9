package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/web"
	"github.com/firstline-desk/firstline/web/webtest"
)

func TestSignInLinkSignsInOnce(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	link, expires, err := c.Server.SignInLink(webtest.Tech2, c.Desk.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := expires.Sub(c.Desk.Clock.Now()); got != web.DefaultLinkTTL {
		t.Fatalf("link valid for %v, want %v", got, web.DefaultLinkTTL)
	}
	path := strings.TrimPrefix(link, c.URL)
	b := c.Anonymous()
	// Opening the link (as a chat platform's unfurler does) spends nothing and signs nobody in.
	for range 2 {
		if r := b.Get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "tom") {
			t.Fatalf("link page: %d %s", r.Status, r.Body)
		}
	}
	if len(b.Cookies()) != 0 {
		t.Fatalf("the link page set cookies: %v", b.Cookies())
	}
	r := b.Post(path, nil)
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		t.Fatalf("sign in: %d %q", r.Status, r.Location)
	}
	if r := b.Get("/"); r.Status != http.StatusOK || !strings.Contains(r.Body, "tom") {
		t.Fatalf("home after sign-in: %d %s", r.Status, r.Body)
	}
	// Used once: a second browser, or the same one, cannot use it again.
	other := c.Anonymous()
	if r := other.Post(path, nil); r.Status != http.StatusConflict || !strings.Contains(r.Body, "used already") {
		t.Fatalf("second use: %d %s", r.Status, r.Body)
	}
	if len(other.Cookies()) != 0 {
		t.Fatalf("a spent link set a cookie")
	}
	if got := c.Audit("web.signin"); len(got) != 1 || got[0].Actor != webtest.Tech2 || got[0].Detail != "link" {
		t.Fatalf("web.signin audit: %+v", got)
	}
	if got := c.Audit("web.signin_refused"); len(got) != 1 || got[0].Detail != "link: used already" {
		t.Fatalf("web.signin_refused audit: %+v", got)
	}
}

func TestSignInLinkRefused(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	link, _, err := c.Server.SignInLink(webtest.Employee, c.Desk.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(link, c.URL)
	token := strings.TrimPrefix(path, "/signin/link/")
	// Another user's name swapped into a link, one character changed, cut short: none is ours.
	forged := []string{
		token[:len(token)-2] + flip(token[len(token)-2:]),
		flip(token[:3]) + token[3:],
		token[:len(token)/2],
		"",
		"not-a-token",
	}
	for _, f := range forged {
		b := c.Anonymous()
		if f == "" {
			continue
		}
		if r := b.Post("/signin/link/"+f, nil); r.Status != http.StatusBadRequest {
			t.Errorf("forged link %q: %d %s", f, r.Status, r.Body)
		}
		if len(b.Cookies()) != 0 {
			t.Errorf("forged link %q set a cookie", f)
		}
	}
	// Past its 15 minutes, the real one is refused too.
	c.Desk.Clock.Advance(web.DefaultLinkTTL)
	b := c.Anonymous()
	if r := b.Post(path, nil); r.Status != http.StatusConflict || !strings.Contains(r.Body, "expired") {
		t.Fatalf("expired link: %d %s", r.Status, r.Body)
	}
	if r := b.Get(path); r.Status != http.StatusConflict {
		t.Fatalf("expired link's page: %d", r.Status)
	}
	if got := c.Audit("web.signin"); len(got) != 0 {
		t.Fatalf("signed in with a bad link: %+v", got)
	}
}

// flip changes the first character of s to another base64url one.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestSessionCookie(t *testing.T) {
	for _, tls := range []bool{false, true} {
		c := webtest.New(t, webtest.Options{TLS: tls})
		b := c.Anonymous()
		link, _, _ := c.Server.SignInLink(webtest.Admin, c.Desk.Clock.Now())
		r := b.Post(strings.TrimPrefix(link, c.URL), nil)
		cookies := (&http.Response{Header: r.Header}).Cookies()
		if len(cookies) != 1 {
			t.Fatalf("tls=%v: cookies %v", tls, cookies)
		}
		ck := cookies[0]
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("tls=%v: cookie %+v: want HttpOnly, SameSite=Lax, Path=/, no Domain", tls, ck)
		}
		if ck.Secure != tls {
			t.Errorf("tls=%v: cookie Secure=%v", tls, ck.Secure)
		}
		if tls != strings.HasPrefix(ck.Name, "__Host-") {
			t.Errorf("tls=%v: cookie name %q", tls, ck.Name)
		}
		if len(ck.Value) < 40 {
			t.Errorf("tls=%v: session token %q is short", tls, ck.Value)
		}
		// The data file keeps only a hash of the token.
		if _, err := c.DB.WebRecord(t.Context(), "session", ck.Value); err == nil {
			t.Errorf("tls=%v: the session is stored under its token", tls)
		}
	}
}

func TestSessionExpiresWhenIdle(t *testing.T) {
	c := webtest.New(t, webtest.Options{Configure: func(cfg *web.Config) {
		cfg.SessionIdle, cfg.SessionMax = time.Hour, 3*time.Hour
	}})
	b := c.SignIn(webtest.Tech2)
	// Used every 50 minutes, it lives on, up to its most.
	for range 3 {
		c.Desk.Clock.Advance(50 * time.Minute)
		if r := b.Get("/"); r.Status != http.StatusOK {
			t.Fatalf("session ended while in use: %d", r.Status)
		}
	}
	c.Desk.Clock.Advance(31 * time.Minute) // 3h01 since sign-in
	if r := b.Get("/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/signin") {
		t.Fatalf("session past its most: %d %q", r.Status, r.Location)
	}

	b = c.SignIn(webtest.Tech2)
	c.Desk.Clock.Advance(time.Hour)
	if r := b.Get("/"); r.Status != http.StatusSeeOther {
		t.Fatalf("session idle for an hour: %d", r.Status)
	}
	if n, err := c.Server.Prune(t.Context()); err != nil || n == 0 {
		t.Fatalf("prune: %d, %v", n, err)
	}
}

func TestSignOut(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	laptop, phone, other := c.SignIn(webtest.Tech2), c.SignIn(webtest.Tech2), c.SignIn(webtest.Tech3)
	r := laptop.Post("/signout", nil)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/signin") {
		t.Fatalf("sign out: %d %q", r.Status, r.Location)
	}
	if r := laptop.Get("/"); r.Status != http.StatusSeeOther {
		t.Fatalf("signed out, still in: %d", r.Status)
	}
	if r := phone.Get("/"); r.Status != http.StatusOK {
		t.Fatalf("sign-out ended another browser's session: %d", r.Status)
	}
	laptop = c.SignIn(webtest.Tech2)
	if r := phone.Post("/signout/everywhere", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", r.Status)
	}
	for _, b := range []*webtest.Client{laptop, phone} {
		if r := b.Get("/"); r.Status != http.StatusSeeOther {
			t.Fatalf("signed out everywhere, still in: %d", r.Status)
		}
	}
	if r := other.Get("/"); r.Status != http.StatusOK {
		t.Fatalf("someone else's session ended: %d", r.Status)
	}
	if got := c.Audit("web.signout"); len(got) != 1 || got[0].Actor != webtest.Tech2 {
		t.Fatalf("web.signout audit: %+v", got)
	}
	if got := c.Audit("web.signout_all"); len(got) != 1 || got[0].Target != webtest.Tech2 {
		t.Fatalf("web.signout_all audit: %+v", got)
	}
}

func TestSignedOutIsSentToSignIn(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	b := c.Anonymous()
	r := b.Get("/?status=open")
	if r.Status != http.StatusSeeOther || r.Location != "/signin?next="+url.QueryEscape("/?status=open") {
		t.Fatalf("signed out: %d %q", r.Status, r.Location)
	}
	if r := b.Get("/signin"); r.Status != http.StatusOK || !strings.Contains(r.Body, "!web") {
		t.Fatalf("sign-in page: %d %s", r.Status, r.Body)
	}
	// A forged session cookie is nobody.
	b.Do(mustRequest(t, http.MethodGet, c.URL+"/", nil))
	req := mustRequest(t, http.MethodGet, c.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: "firstline", Value: "forged"})
	if r := b.Do(req); r.Status != http.StatusSeeOther {
		t.Fatalf("forged cookie: %d", r.Status)
	}
}

func TestSignInSendsOnlyToLocalPages(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	b := c.SignIn(webtest.Employee)
	for next, want := range map[string]string{
		"/tickets?status=open":   "/tickets?status=open",
		"https://evil.example":   "/",
		"//evil.example/x":       "/",
		"/\\evil.example":        "/",
		"javascript:alert(1)":    "/",
		"/ok\r\nSet-Cookie: x=1": "/",
	} {
		r := b.Get("/signin?next=" + url.QueryEscape(next))
		if r.Status != http.StatusSeeOther || r.Location != want {
			t.Errorf("next %q: %d %q, want %q", next, r.Status, r.Location, want)
		}
	}
}

func mustRequest(t *testing.T, method, u string, body *strings.Reader) *http.Request {
	t.Helper()
	var req *http.Request
	var err error
	if body == nil {
		req, err = http.NewRequest(method, u, nil)
	} else {
		req, err = http.NewRequest(method, u, body)
	}
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// "!web" in chat DMs a link that signs its person in.
func TestChatWebLinkSignsIn(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	c.Desk.Say(webtest.Tech3, "@sara", "!web")
	m := c.Desk.Chat.Last("@sara")
	if m == nil {
		t.Fatal("no DM")
	}
	i := strings.Index(m.Text(), c.URL+"/signin/link/")
	if i < 0 {
		t.Fatalf("DM without a link: %q", m.Text())
	}
	path := strings.TrimPrefix(strings.Fields(m.Text()[i:])[0], c.URL)
	b := c.Anonymous()
	if r := b.Post(path, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("sign in with the DM's link: %d %s", r.Status, r.Body)
	}
	if r := b.Get("/"); r.Status != http.StatusOK || !strings.Contains(r.Body, "sara") || !strings.Contains(r.Body, "technician") {
		t.Fatalf("signed in as: %d %s", r.Status, r.Body)
	}
}
