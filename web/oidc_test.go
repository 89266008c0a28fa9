package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/firstline-desk/firstline/web"
	"github.com/firstline-desk/firstline/web/webtest"
)

// oidcConsole is a console whose "Sign in with" is a local mock provider; its people are "test:SUBJECT".
func oidcConsole(t *testing.T, require map[string]string) (*webtest.Console, *mockoidc.MockOIDC) {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	mc := m.Config()
	c := webtest.New(t, webtest.Options{Configure: func(cfg *web.Config) {
		cfg.OIDC = web.OIDCConfig{Issuer: mc.Issuer, ClientID: mc.ClientID, ClientSecret: mc.ClientSecret, Name: "Mock",
			Platform: "test", UserClaim: "sub", Require: require, Scopes: []string{"profile", "email"}}
	}})
	return c, m
}

// signInWithProvider runs the flow in b up to the callback, and returns the callback's address.
func providerCallback(t *testing.T, b *webtest.Client, next string) string {
	t.Helper()
	r := b.Get("/auth/oidc/start?next=" + url.QueryEscape(next))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	auth, err := url.Parse(r.Location)
	if err != nil {
		t.Fatal(err)
	}
	q := auth.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Fatalf("the authorization request lacks PKCE, nonce or state: %s", r.Location)
	}
	p := b.Follow(r.Location)
	if p.Status != http.StatusFound {
		t.Fatalf("provider: %d %s", p.Status, p.Body)
	}
	return p.Location
}

func TestOIDCSignsIn(t *testing.T) {
	c, m := oidcConsole(t, nil)
	b := c.Anonymous()
	if r := b.Get("/signin"); !strings.Contains(r.Body, "Sign in with Mock") {
		t.Fatalf("sign-in page without the provider: %s", r.Body)
	}
	m.QueueUser(&mockoidc.MockUser{Subject: "tom", PreferredUsername: "Tom Tech"})
	r := b.Follow(providerCallback(t, b, "/?status=open"))
	if r.Status != http.StatusSeeOther || r.Location != "/?status=open" {
		t.Fatalf("callback: %d %q %s", r.Status, r.Location, r.Body)
	}
	if r := b.Get("/"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Tom Tech") || !strings.Contains(r.Body, "technician") {
		t.Fatalf("signed in as: %d %s", r.Status, r.Body)
	}
	if got := c.Audit("web.signin"); len(got) != 1 || got[0].Actor != webtest.Tech2 || got[0].Detail != "oidc" {
		t.Fatalf("audit: %+v", got)
	}
}

func TestOIDCRefusals(t *testing.T) {
	c, m := oidcConsole(t, map[string]string{"email": "tom@example.com"})
	// Every request comes from 127.0.0.1: a minute between cases keeps them under the sign-in limit.
	run := func(name string, f func(t *testing.T)) {
		c.Desk.Clock.Advance(time.Minute)
		t.Run(name, f)
	}

	run("a callback from another browser's flow", func(t *testing.T) {
		attacker, victim := c.Anonymous(), c.Anonymous()
		m.QueueUser(&mockoidc.MockUser{Subject: "tom", Email: "tom@example.com"})
		cb := providerCallback(t, attacker, "/")
		// The victim started a sign-in of their own (or none): the attacker's callback is not theirs.
		victim.Get("/auth/oidc/start")
		if r := victim.Follow(cb); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "not started from this browser") {
			t.Fatalf("crafted callback: %d %s", r.Status, r.Body)
		}
		if r := c.Anonymous().Follow(cb); r.Status != http.StatusUnauthorized {
			t.Fatalf("callback with no flow: %d", r.Status)
		}
	})
	run("a state that is not the flow's", func(t *testing.T) {
		b := c.Anonymous()
		m.QueueUser(&mockoidc.MockUser{Subject: "tom", Email: "tom@example.com"})
		cb := mustParse(t, providerCallback(t, b, "/"))
		q := cb.Query()
		q.Set("state", "x"+q.Get("state")[1:])
		cb.RawQuery = q.Encode()
		if r := b.Follow(cb.String()); r.Status != http.StatusUnauthorized {
			t.Fatalf("changed state: %d %s", r.Status, r.Body)
		}
	})
	run("a replayed callback", func(t *testing.T) {
		b := c.Anonymous()
		m.QueueUser(&mockoidc.MockUser{Subject: "tom", Email: "tom@example.com"})
		cb := providerCallback(t, b, "/")
		if r := b.Follow(cb); r.Status != http.StatusSeeOther {
			t.Fatalf("first callback: %d %s", r.Status, r.Body)
		}
		if r := c.Anonymous().Follow(cb); r.Status != http.StatusUnauthorized {
			t.Fatalf("replay: %d", r.Status)
		}
	})
	run("a nonce or verifier that is not the flow's", func(t *testing.T) {
		for _, field := range []string{"n", "v"} {
			b := c.Anonymous()
			m.QueueUser(&mockoidc.MockUser{Subject: "tom", Email: "tom@example.com"})
			cb := providerCallback(t, b, "/")
			tamper(t, b, field)
			if r := b.Follow(cb); r.Status != http.StatusUnauthorized {
				t.Fatalf("%s changed: %d %s", field, r.Status, r.Body)
			}
		}
	})
	run("a required claim missing", func(t *testing.T) {
		b := c.Anonymous()
		m.QueueUser(&mockoidc.MockUser{Subject: "tom", Email: "tom@elsewhere.example"})
		if r := b.Follow(providerCallback(t, b, "/")); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "not for your Mock account") {
			t.Fatalf("wrong domain: %d %s", r.Status, r.Body)
		}
	})
	run("the provider says no", func(t *testing.T) {
		b := c.Anonymous()
		r := b.Get("/auth/oidc/start")
		state := mustParse(t, r.Location).Query().Get("state")
		if r := b.Get("/auth/oidc/callback?error=access_denied&state=" + state); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "access_denied") {
			t.Fatalf("provider refused: %d %s", r.Status, r.Body)
		}
	})
	// One sign-in got through (the replay's first callback); every refusal is in the audit log.
	if got := c.Audit("web.signin"); len(got) != 1 {
		t.Fatalf("signed in %d times: %+v", len(got), got)
	}
	refusals := c.Audit("web.signin_refused")
	if len(refusals) < 7 {
		t.Fatalf("%d refusals audited: %+v", len(refusals), refusals)
	}
	for _, e := range refusals {
		if !strings.HasPrefix(e.Detail, "oidc: ") {
			t.Fatalf("refusal: %+v", e)
		}
	}
}

// tamper changes one field of the browser's sign-in flow cookie.
func tamper(t *testing.T, b *webtest.Client, field string) {
	t.Helper()
	for _, ck := range b.Cookies() {
		if !strings.Contains(ck.Name, "oidc") {
			continue
		}
		raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
		if err != nil {
			t.Fatal(err)
		}
		var f map[string]any
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatal(err)
		}
		f[field] = "ZZZZ" + f[field].(string)[4:]
		raw, _ = json.Marshal(f)
		b.SetCookie(&http.Cookie{Name: ck.Name, Value: base64.RawURLEncoding.EncodeToString(raw), Path: "/"})
		return
	}
	t.Fatal("no flow cookie")
}

func TestOIDCProviderDown(t *testing.T) {
	c := webtest.New(t, webtest.Options{Configure: func(cfg *web.Config) {
		cfg.OIDC = web.OIDCConfig{Issuer: "http://127.0.0.1:1/nothing", ClientID: "x", Platform: "test"}
	}})
	if r := c.Anonymous().Get("/auth/oidc/start"); r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "cannot be reached") {
		t.Fatalf("provider down: %d %s", r.Status, r.Body)
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
