package main

import (
	"net/http"
	"strings"
	"testing"
)

// The console demo's web console reads the running desk's parts: the knowledge base it searches, the
// report of a period, and the health of the SLA loop and the data file.
func TestWebConsoleReadsTheDesk(t *testing.T) {
	c := startConsole(t, t.TempDir(), "-web", "127.0.0.1:0")
	m := webLinkLine.FindStringSubmatch(c.log.String())
	if m == nil {
		t.Fatalf("no sign-in link in the welcome:\n%s", c.log.String())
	}
	base := m[1]
	b := browser(t)
	do(t, b, http.MethodGet, base+m[2])
	if code, body := do(t, b, http.MethodPost, base+m[2]); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", code, body)
	}
	for _, tt := range []struct{ path, want string }{
		{"/kb?q=vpn", "Best answers for"},
		{"/reports?period=30d", "Tickets opened per day"},
		{"/reports/download", "<!doctype html>"},
		{"/health", "SLA loop"},
		{"/health", "writable"},
	} {
		code, body := do(t, b, http.MethodGet, base+tt.path)
		if code != http.StatusOK || !strings.Contains(strings.ToLower(body), strings.ToLower(tt.want)) {
			t.Errorf("%s: %d, and it does not say %q", tt.path, code, tt.want)
		}
	}
	c.close()
}
