package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/internal/health"
)

// startHTTPDesk runs the desk with Slack in HTTP mode and [http] listen set, with the listener's limits
// shortened, and returns the listener's address.
func startHTTPDesk(t *testing.T, limits httpLimits) string {
	t.Helper()
	fake := fakeslack.New(t)
	name := filepath.Join(t.TempDir(), "firstline.toml")
	cfg := `
[slack]
enabled = true
mode = "http"
bot_token = "xoxb-test"
signing_secret = "shh"
api_url = "` + fake.APIURL() + `"

[http]
listen = "127.0.0.1:0"

[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "slack:CTIER2"
members = ["slack:UTOM"]
`
	if err := os.WriteFile(name, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: noEnv, httpLimits: &limits}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- m.Run(ctx, []string{"-data", t.TempDir(), "-config", name}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case c := <-code:
			if c != 0 {
				t.Errorf("exit %d\n%s", c, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("the desk did not stop")
		}
	})
	addr := listenAddr(t, &out)
	// The listener is up before Slack is (auth.test): wait for the desk to be whole, so that a test sees
	// it ok, and its stop does not cut its start short (which exits 1).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var rep health.Report
		if code, body := httpGet(t, "http://"+addr+"/healthz"); code == http.StatusOK && json.Unmarshal([]byte(body), &rep) == nil && rep.Status == "ok" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the desk was not ok within 10 s: /healthz %d %s\n%s", code, body, errOut.String())
		}
	}
	return addr
}

// endsWithin reads conn until the server closes it and fails if it is still open after limit: a bound
// for the test to fail at, far above the listener's limits, not a measure of them.
func endsWithin(t *testing.T, conn net.Conn, limit time.Duration, what string) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(limit))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the connection is still open after %v", what, limit)
	}
	return string(got)
}

// TestHTTPListenerBoundsClients: a client that never finishes its headers, one that dribbles its body,
// one that keeps an idle connection, one that sends a body or headers too large: each loses its
// connection (or is refused) within the listener's limits, before any signature is checked.
func TestHTTPListenerBoundsClients(t *testing.T) {
	limits := httpLimits{ReadHeader: 300 * time.Millisecond, Read: 600 * time.Millisecond, Write: 5 * time.Second,
		Idle: 300 * time.Millisecond, MaxHeaderBytes: 4 << 10, MaxBody: 64 << 10, MaxConns: 16}
	addr := startHTTPDesk(t, limits)
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	const bound = 10 * time.Second

	c := dial()
	io.WriteString(c, "POST /slack/events HTTP/1.1\r\nHost: desk\r\nContent-Type: application/json\r\n")
	endsWithin(t, c, bound, "headers never finished")

	c = dial()
	io.WriteString(c, "POST /slack/events HTTP/1.1\r\nHost: desk\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	if got := endsWithin(t, c, bound, "a body dribbled"); strings.Contains(got, "200 OK") {
		t.Fatalf("a dribbled body was answered 200:\n%s", got)
	}

	c = dial()
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: desk\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	endsWithin(t, c, bound, "kept alive, idle")

	body := strings.Repeat("x", int(limits.MaxBody)+1)
	resp, err = http.Post("http://"+addr+"/slack/events", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body over the limit: HTTP %d", resp.StatusCode)
	}

	req, _ := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
	req.Header.Set("X-Padding", strings.Repeat("x", 2*limits.MaxHeaderBytes))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("headers over the limit: HTTP %d", resp.StatusCode)
	}
}

// TestHTTPListenerConnectionCap: past MaxConns, a connection waits to be accepted until one closes.
func TestHTTPListenerConnectionCap(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, ln := newHTTPServer(http.NotFoundHandler(), inner, httpLimits{MaxConns: 1})
	defer ln.Close()
	for range 2 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		second <- c
	}()
	select {
	case <-second:
		t.Fatal("a second connection was accepted while the first is open")
	default:
	}
	first.Close()
	select {
	case c := <-second:
		if c == nil {
			t.Fatal("the second Accept failed")
		}
		c.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("the second connection was not accepted after the first closed")
	}
}
