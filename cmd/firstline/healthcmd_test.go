package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestHealthCommand checks firstline health, the container's HEALTHCHECK, against a running desk: exit 0
// when /healthz says ok, 1 when it says down (503) or nothing answers, with the reason on stderr.
func TestHealthCommand(t *testing.T) {
	addr := startHTTPDesk(t, defaultHTTPLimits)
	out, errOut, code := runMain(t, "health", "-url", "http://"+addr+"/healthz")
	if code != 0 || !strings.HasPrefix(out, "Firstline is ok") {
		t.Fatalf("a running desk: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// The URL from the config's http.listen, when the desk listens on every address.
	_, port, _ := net.SplitHostPort(addr)
	cfg := filepath.Join(t.TempDir(), "firstline.toml")
	writeFile(t, cfg, "[http]\nlisten = \":"+port+"\"\n\n[[tiers]]\nid = \"tier2\"\nname = \"Tier 2\"\nchannel = \"console:tier2\"\nmembers = [\"console:tom\"]\n")
	if out, errOut, code := runMain(t, "health", "-config", cfg); code != 0 || !strings.HasPrefix(out, "Firstline is ok") {
		t.Fatalf("from the config: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"down","store":{"writable":false,"error":"disk full"},"adapters":{"slack":{"connected":true}}}`))
	}))
	defer down.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	for _, tt := range []struct{ name, url, want string }{
		{"down", down.URL + "/healthz", "Firstline is down: the data file takes no writes: disk full; slack connected"},
		{"not answering", gone.URL + "/healthz", "connection refused"},
	} {
		_, errOut, code := runMain(t, "health", "-url", tt.url)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Fatalf("%s: exit %d, stderr %q; want exit 1 and %q", tt.name, code, errOut, tt.want)
		}
	}
	if _, errOut, code := runMain(t, "health", "-data", t.TempDir()); code != 2 || !strings.Contains(errOut, "health needs -url") {
		t.Fatalf("without a URL: exit %d, stderr %q", code, errOut)
	}
}
