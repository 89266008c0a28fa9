package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
)

// fakePinger is the data file's write check: it fails with err, or blocks while block is open.
type fakePinger struct {
	mu    sync.Mutex
	err   error
	pings int
	block chan struct{}
}

func (p *fakePinger) Ping(context.Context) error {
	p.mu.Lock()
	p.pings++
	block, err := p.block, p.err
	p.mu.Unlock()
	if block != nil {
		<-block
	}
	return err
}

type fakeConn struct {
	up    bool
	since time.Time
}

func (c *fakeConn) Connection() (bool, time.Time) { return c.up, c.since }

// TestHealthz checks /healthz's rules with a fake clock: ok, degraded while a platform has been down for
// less than the grace period, down (503) after it or when the data file takes no writes.
func TestHealthz(t *testing.T) {
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		storeErr error
		slack    fakeConn // connected since / disconnected since, relative to now
		discord  fakeConn
		code     int
		status   string
	}{
		{"all up", nil, fakeConn{true, start.Add(-time.Hour)}, fakeConn{true, start.Add(-time.Minute)}, 200, "ok"},
		{"slack reconnecting", nil, fakeConn{false, start.Add(-30 * time.Second)}, fakeConn{true, start}, 200, "degraded"},
		{"slack down at the grace period", nil, fakeConn{false, start.Add(-healthGrace)}, fakeConn{true, start}, 200, "degraded"},
		{"slack down past the grace period", nil, fakeConn{false, start.Add(-healthGrace - time.Second)}, fakeConn{true, start}, 503, "down"},
		{"one down, one reconnecting", nil, fakeConn{false, start.Add(-time.Second)}, fakeConn{false, start.Add(-time.Hour)}, 503, "down"},
		{"store not writable", errors.New("write to the data file f.db: database not open"), fakeConn{true, start}, fakeConn{true, start}, 503, "down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start
			h := newHealth(&fakePinger{err: tt.storeErr}, func() time.Time { return now })
			h.adapters["slack"], h.adapters["discord"] = &tt.slack, &tt.discord
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			if rec.Code != tt.code {
				t.Fatalf("HTTP %d, want %d\n%s", rec.Code, tt.code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var rep healthReport
			if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Status != tt.status {
				t.Fatalf("status %q, want %q\n%s", rep.Status, tt.status, rec.Body)
			}
			if rep.Store.Writable != (tt.storeErr == nil) || (tt.storeErr != nil && !strings.Contains(rep.Store.Error, "database not open")) {
				t.Fatalf("store %+v", rep.Store)
			}
			for name, c := range map[string]fakeConn{"slack": tt.slack, "discord": tt.discord} {
				if got := rep.Adapters[name]; got.Connected != c.up || !got.Since.Equal(c.since) {
					t.Fatalf("%s: %+v, want connected %v since %v", name, got, c.up, c.since)
				}
			}
		})
	}
}

// TestHealthzStoreCheck checks that the write check runs at most every storeCheckEvery, and that a write
// stuck behind a long transaction makes /healthz answer "down" at once instead of hanging.
func TestHealthzStoreCheck(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	p := &fakePinger{}
	h := newHealth(p, func() time.Time { return now })
	get := func() healthReport {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		var rep healthReport
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	for range 3 {
		if rep := get(); rep.Status != "ok" || !rep.Store.Writable {
			t.Fatalf("%+v", rep)
		}
	}
	if p.pings != 1 {
		t.Fatalf("%d writes for three answers within %v, want 1", p.pings, storeCheckEvery)
	}

	now = now.Add(storeCheckEvery)
	p.mu.Lock()
	p.block = make(chan struct{})
	p.mu.Unlock()
	h.store.timeout = time.Millisecond
	rep := get()
	if rep.Status != "down" || rep.Store.Writable || !strings.Contains(rep.Store.Error, "has not finished") {
		t.Fatalf("a stuck write: %+v", rep)
	}
	// The write finishes: the next answer has its result, and no second write was started meanwhile.
	h.store.timeout = time.Minute
	close(p.block)
	if rep := get(); rep.Status != "ok" || !rep.Store.Writable {
		t.Fatalf("after the write finished: %+v", rep)
	}
	if p.pings != 2 {
		t.Fatalf("%d writes, want 2", p.pings)
	}
}

// listenAddr waits for the desk to say where /healthz is.
var listenLine = regexp.MustCompile(`Health and metrics: http://([^/\s]+)/healthz`)

func listenAddr(t *testing.T, out *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := listenLine.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the desk did not say where it listens; stdout:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestServeHealthAndMetrics runs the desk with Slack in Socket Mode and Discord, and [http] listen set:
// the listener serves /healthz with both platforms connected, /metrics counts the question asked on
// Slack and the answer posted, and when Slack's connection drops and cannot be replaced (rate-limited),
// /healthz says degraded with 200.
func TestServeHealthAndMetrics(t *testing.T) {
	sfake := fakeslack.New(t)
	sfake.AddUser("UALICE", "Alice Smith", "alice")
	dfake := fakediscord.New(t)
	name := filepath.Join(t.TempDir(), "firstline.toml")
	cfg := `
[slack]
enabled = true
bot_token = "${SLACK_BOT_TOKEN}"
app_token = "${SLACK_APP_TOKEN}"
api_url = "` + sfake.APIURL() + `"
help_channels = ["CHELP"]

[discord]
enabled = true
token = "${DISCORD_TOKEN}"
api_url = "` + dfake.URL() + `"
help_channels = ["100000000000000001"]

[http]
listen = "127.0.0.1:0"

[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "slack:CTIER2"
members = ["slack:UTOM"]

[kb]
dir = "demo/kb"
`
	if err := os.WriteFile(name, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test", "DISCORD_TOKEN": "test-token"}[k]
		return v, ok
	}
	var out, errOut syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: env}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- m.Run(ctx, []string{"-data", t.TempDir(), "-config", name}) }()
	defer func() {
		cancel()
		select {
		case c := <-code:
			if c != 0 {
				t.Errorf("exit %d\n%s", c, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("the desk did not stop")
		}
	}()

	base := "http://" + listenAddr(t, &out)
	sfake.WaitConnections(t, 1)
	dfake.WaitIdentifies(t, 1)
	health := func() (int, healthReport) {
		t.Helper()
		code, body := httpGet(t, base+"/healthz")
		var rep healthReport
		if err := json.Unmarshal([]byte(body), &rep); err != nil {
			t.Fatalf("HTTP %d, %v:\n%s", code, err, body)
		}
		return code, rep
	}
	waitHealth := func(what string, ok func(int, healthReport) bool) healthReport {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			code, rep := health()
			if ok(code, rep) {
				return rep
			}
			if time.Now().After(deadline) {
				t.Fatalf("/healthz never said %s; last HTTP %d %+v", what, code, rep)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	rep := waitHealth("ok", func(code int, rep healthReport) bool { return code == 200 && rep.Status == "ok" })
	if !rep.Store.Writable || !rep.Adapters["slack"].Connected || !rep.Adapters["discord"].Connected || len(rep.Adapters) != 2 {
		t.Fatalf("%+v", rep)
	}

	sfake.WaitAck(t, sfake.SendEnvelope(t, fakeslack.EventsAPI("Ev1", map[string]any{"type": "message", "channel": "CHELP",
		"channel_type": "channel", "user": "UALICE", "text": "My VPN will not connect", "ts": "1700000001.000100"}, 0)))
	sfake.WaitPosted(t, 1)
	want := []string{
		`firstline_events_total{kind="message",outcome="ok",platform="slack"} 1`,
		`firstline_event_commit_duration_seconds_count{platform="slack"} 1`,
		`firstline_reply_latency_seconds_count{platform="slack"} `,
		`firstline_effects_total{kind="post",outcome="ok",platform="slack"} `,
		`firstline_ticket_transitions_total{type="opened"} 1`,
		`firstline_tickets{status="open"} 1`,
		`firstline_tickets{status="resolved"} 0`,
		`firstline_outbox_effects `,
		`firstline_outbox_oldest_effect_age_seconds `,
		`firstline_data_file_bytes `,
		`firstline_adapter_connected{platform="slack"} 1`,
		`firstline_adapter_connected{platform="discord"} 1`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := httpGet(t, base+"/metrics")
		var missing []string
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = append(missing, w)
			}
		}
		if code == 200 && len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics HTTP %d lacks %q:\n%s", code, missing, body)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Slack drops the connection and rate-limits the new one for a minute: a reconnect in progress.
	sfake.RateLimit("apps.connections.open", time.Minute, 1)
	sfake.Drop()
	rep = waitHealth("degraded", func(code int, rep healthReport) bool { return code == 200 && rep.Status == "degraded" })
	if rep.Adapters["slack"].Connected || !rep.Adapters["discord"].Connected {
		t.Fatalf("%+v", rep)
	}
	if code, body := httpGet(t, base+"/metrics"); code != 200 || !strings.Contains(body, `firstline_adapter_connected{platform="slack"} 0`) {
		t.Fatalf("/metrics HTTP %d after the drop:\n%s", code, body)
	}
}
