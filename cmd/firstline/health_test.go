package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/internal/health"
)

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
dir = ` + demoKBDir(t) + `
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
	healthz := func() (int, health.Report) {
		t.Helper()
		code, body := httpGet(t, base+"/healthz")
		var rep health.Report
		if err := json.Unmarshal([]byte(body), &rep); err != nil {
			t.Fatalf("HTTP %d, %v:\n%s", code, err, body)
		}
		return code, rep
	}
	waitHealth := func(what string, ok func(int, health.Report) bool) health.Report {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			code, rep := healthz()
			if ok(code, rep) {
				return rep
			}
			if time.Now().After(deadline) {
				t.Fatalf("/healthz never said %s; last HTTP %d %+v", what, code, rep)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	rep := waitHealth("ok", func(code int, rep health.Report) bool { return code == 200 && rep.Status == "ok" })
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
	rep = waitHealth("degraded", func(code int, rep health.Report) bool { return code == 200 && rep.Status == "degraded" })
	if rep.Adapters["slack"].Connected || !rep.Adapters["discord"].Connected {
		t.Fatalf("%+v", rep)
	}
	if code, body := httpGet(t, base+"/metrics"); code != 200 || !strings.Contains(body, `firstline_adapter_connected{platform="slack"} 0`) {
		t.Fatalf("/metrics HTTP %d after the drop:\n%s", code, body)
	}
}
