package main

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var webLinkLine = regexp.MustCompile(`Web console: (http://[0-9.:]+)(/signin/link/[A-Za-z0-9_-]+) \(signs you in as ada`)

// browser is a client that keeps cookies and stops at redirects.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, c *http.Client, method, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// signInWith opens a sign-in link, presses its button and returns the front page it leads to.
func signInWith(t *testing.T, base, path string) string {
	t.Helper()
	b := browser(t)
	if code, body := do(t, b, http.MethodGet, base+path); code != http.StatusOK {
		t.Fatalf("link page: %d %s", code, body)
	}
	if code, body := do(t, b, http.MethodPost, base+path); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", code, body)
	}
	code, body := do(t, b, http.MethodGet, base+"/")
	if code != http.StatusOK {
		t.Fatalf("front page: %d %s", code, body)
	}
	return body
}

// The console demo serves the web console and prints a link that signs in its admin; while it runs,
// "firstline web link USER" makes another for anyone, and "web signout" ends their sessions.
func TestConsoleDemoServesTheWebConsole(t *testing.T) {
	data := t.TempDir()
	c := startConsole(t, data, "-web", "127.0.0.1:0")
	m := webLinkLine.FindStringSubmatch(c.log.String())
	if m == nil {
		t.Fatalf("no sign-in link in the welcome:\n%s", c.log.String())
	}
	base := m[1]
	if page := signInWith(t, base, m[2]); !strings.Contains(page, "ada") || !strings.Contains(page, "admin") {
		t.Fatalf("signed in as:\n%s", page)
	}

	out := mustRun(t, base+"/signin/link/", "web", "link", "console:tom", "-data", data)
	if page := signInWith(t, base, strings.TrimPrefix(strings.TrimSpace(out), base)); !strings.Contains(page, "tom") || !strings.Contains(page, "technician") {
		t.Fatalf("signed in with the CLI's link as:\n%s", page)
	}
	mustRun(t, "Signed console:tom out of 1 session", "web", "signout", "console:tom", "-data", data)
	mustFail(t, 2, "not PLATFORM:ID", "web", "link", "tom", "-data", data)
	c.close()
	mustFail(t, 1, "no Firstline is running", "web", "link", "console:tom", "-data", data)
}

func TestWebConsoleOffAndPortTaken(t *testing.T) {
	c := startConsole(t, t.TempDir(), "-web", "")
	if strings.Contains(c.log.String(), "Web console") {
		t.Fatalf("-web \"\" still serves the console:\n%s", c.log.String())
	}
	c.close()

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	c = startConsole(t, t.TempDir(), "-web", taken.Addr().String())
	if !strings.Contains(c.log.String(), "The web console's address "+taken.Addr().String()+" is taken: it is on 127.0.0.1:") {
		t.Fatalf("a taken port is not said:\n%s", c.log.String())
	}
	m := webLinkLine.FindStringSubmatch(c.log.String())
	if m == nil || m[1] == "http://"+taken.Addr().String() {
		t.Fatalf("the link does not point at the free port:\n%s", c.log.String())
	}
	if u, err := url.Parse(m[1]); err != nil || u.Host == taken.Addr().String() {
		t.Fatalf("base %q", m[1])
	}
	c.close()
}

func TestWebConfigProblems(t *testing.T) {
	base := "[desk]\nhelp_channels = [\"console:help\"]\n[[tiers]]\nid = \"t2\"\nname = \"Tier 2\"\nchannel = \"console:t2\"\nmembers = [\"console:tom\"]\n"
	for _, tc := range []struct{ toml, want string }{
		{"[web]\nlisten = \"127.0.0.1:8080\"\n", "web.base_url: required with web.listen"},
		{"[web]\nlisten = \":8080\"\nbase_url = \"https://desk.example.com/console\"\n", "no path"},
		{"[web.oidc]\nissuer = \"https://slack.com\"\n", "web.oidc.client_id: required"},
		{"[web.oidc]\nissuer = \"https://slack.com\"\nclient_id = \"x\"\n", "web.oidc.platform"},
	} {
		_, err := ParseConfig("t.toml", []byte(base+tc.toml), noEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.toml, err, tc.want)
		}
	}
	cfg, err := ParseConfig("t.toml", []byte(base+"[web]\nlisten = \":8080\"\nbase_url = \"https://desk.example.com\"\nsession_idle = \"2h\"\n[web.oidc]\nissuer = \"https://slack.com\"\nclient_id = \"x\"\nplatform = \"slack\"\nrequire = { \"https://slack.com/team_id\" = \"T1\" }\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.webConfig(cfg.Web.BaseURL); w.SessionIdle.Hours() != 2 || w.OIDC.Require["https://slack.com/team_id"] != "T1" {
		t.Fatalf("web config: %+v", w)
	}
}
