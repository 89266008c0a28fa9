package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/web/webtest"
)

func TestCrossOriginRequestsAreRefused(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	b := c.SignIn(webtest.Tech2)
	for _, tc := range []struct {
		name, origin, site string
	}{
		{"another site", "https://evil.example", "cross-site"},
		{"a neighbouring subdomain", "https://evil.desk.example", "same-site"},
		{"an older browser, Origin only", "https://evil.example", ""},
		{"another site saying nothing of its origin", "", "cross-site"},
	} {
		r := b.PostFrom(tc.origin, tc.site, "/signout", nil)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "another site") {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	// Nothing happened: still signed in.
	if r := b.Get("/"); r.Status != http.StatusOK {
		t.Fatalf("a refused sign-out signed out: %d", r.Status)
	}
	got := c.Audit("web.csrf_refused")
	if len(got) != 4 {
		t.Fatalf("audit: %d web.csrf_refused entries, want 4: %+v", len(got), got)
	}
	if got[0].Actor != webtest.Tech2 || got[0].Detail != "POST /signout from https://evil.example" {
		t.Fatalf("audit entry: %+v", got[0])
	}
	// The console's own pages pass, with or without Sec-Fetch-Site.
	if r := b.PostFrom(c.URL, "", "/signout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("same-origin sign-out: %d %s", r.Status, r.Body)
	}
}

func TestCrossOriginAuditIsRateLimited(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	b := c.Anonymous()
	for range 50 {
		if r := b.PostFrom("https://evil.example", "cross-site", "/signout", nil); r.Status != http.StatusForbidden {
			t.Fatalf("cross-site: %d", r.Status)
		}
	}
	if n := len(c.Audit("web.csrf_refused")); n < 1 || n > 10 {
		t.Fatalf("%d refusals audited for 50 requests from one address within a second", n)
	}
}

func TestSecurityHeaders(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	signedIn, signedOut := c.SignIn(webtest.Tech2), c.Anonymous()
	for _, get := range []struct {
		b    *webtest.Client
		path string
	}{{signedIn, "/"}, {signedOut, "/signin"}, {signedOut, "/nowhere"}, {signedIn, "/assets/console.css"}} {
		r := get.b.Get(get.path)
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", get.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-") {
			t.Errorf("%s: CSP %q allows unsafe sources", get.path, csp)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", get.path, h, got, want)
			}
		}
		if asset := strings.HasPrefix(get.path, "/assets/"); asset == (r.Header.Get("Cache-Control") == "no-store") {
			t.Errorf("%s: Cache-Control %q", get.path, r.Header.Get("Cache-Control"))
		}
	}
	if r := signedIn.Get("/assets/"); r.Status != http.StatusNotFound {
		t.Errorf("assets are listed: %d", r.Status)
	}
}

// The Content-Security-Policy allows no inline script or style: no template may need one.
func TestTemplatesHaveNoInlineScriptOrStyle(t *testing.T) {
	inline := []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`(?i)<script\b[^>]*>`),             // checked below for src
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)<style\b`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)javascript:`),
	}
	files, err := filepath.Glob("templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	partials, _ := filepath.Glob("templates/partials/*.html")
	files = append(files, partials...)
	if len(files) == 0 {
		t.Fatal("no templates found")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for i, re := range inline {
			for _, m := range re.FindAllString(s, -1) {
				if i == 1 && strings.Contains(strings.ToLower(m), " src=") {
					continue
				}
				t.Errorf("%s: inline script or style: %q", f, m)
			}
		}
	}
}

func TestSignInIsRateLimited(t *testing.T) {
	c := webtest.New(t, webtest.Options{})
	b := c.Anonymous()
	for i := range 10 {
		if r := b.Post("/signin/link/not-a-link", nil); r.Status != http.StatusBadRequest {
			t.Fatalf("attempt %d: %d", i+1, r.Status)
		}
	}
	r := b.Post("/signin/link/not-a-link", nil)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("11th attempt in a second: %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
	}
	// A good link from the same address waits too: the limit is on the address, not the guess.
	link, _, _ := c.Server.SignInLink(webtest.Tech2, c.Desk.Clock.Now())
	if r := b.Post(strings.TrimPrefix(link, c.URL), nil); r.Status != http.StatusTooManyRequests {
		t.Fatalf("good link over the limit: %d", r.Status)
	}
	c.Desk.Clock.Advance(7 * time.Second)
	if r := b.Post(strings.TrimPrefix(link, c.URL), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("good link after the wait: %d %s", r.Status, r.Body)
	}
}
