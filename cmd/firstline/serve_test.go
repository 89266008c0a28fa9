package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
)

// syncBuffer is a bytes.Buffer safe to read while the desk writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func slackConfig(t *testing.T, fake *fakeslack.Server) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "firstline.toml")
	cfg := `
[slack]
enabled = true
bot_token = "${SLACK_BOT_TOKEN}"
app_token = "${SLACK_APP_TOKEN}"
api_url = "` + fake.APIURL() + `"
help_channels = ["CHELP"]

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
	return name
}

func slackEnv(k string) (string, bool) {
	v, ok := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test"}[k]
	return v, ok
}

// TestServeSlack runs the desk as `firstline -config F` with Slack enabled: it connects to (a fake) Slack,
// answers a question in the help channel from the configured KB, and stops cleanly on Ctrl-C.
func TestServeSlack(t *testing.T) {
	fake := fakeslack.New(t)
	fake.AddUser("UALICE", "Alice Smith", "alice")
	var out, errOut syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: slackEnv}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- m.Run(ctx, []string{"-data", t.TempDir(), "-config", slackConfig(t, fake)}) }()

	fake.WaitConnections(t, 1)
	env := fakeslack.EventsAPI("Ev1", map[string]any{"type": "message", "channel": "CHELP", "channel_type": "channel",
		"user": "UALICE", "text": "My VPN will not connect", "ts": "1700000001.000100"}, 0)
	fake.WaitAck(t, fake.SendEnvelope(t, env))
	deadline := time.Now().Add(10 * time.Second)
	for {
		posted := fake.Posted()
		if len(posted) > 0 && posted[0].Channel == "CHELP" && posted[0].ThreadTS == "1700000001.000100" && strings.Contains(string(posted[0].Blocks), "vpn-connect") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer in the thread; posted %+v\nstderr:\n%s", posted, errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d\n%s", c, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the desk did not stop")
	}
	if !strings.Contains(out.String(), "serving Slack over Socket Mode") {
		t.Fatalf("stdout: %q", out.String())
	}
}

// TestServeSlackRefusedToken checks that a token Slack refuses stops the desk at once with what to fix.
func TestServeSlackRefusedToken(t *testing.T) {
	fake := fakeslack.New(t)
	fake.FailNext("auth.test", "invalid_auth")
	var out, errOut syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: slackEnv}
	c := m.Run(context.Background(), []string{"-data", t.TempDir(), "-config", slackConfig(t, fake)})
	if c == 0 || !strings.Contains(errOut.String(), "slack.bot_token") {
		t.Fatalf("exit %d, stderr %q", c, errOut.String())
	}
}

// TestServeDiscord runs the desk with Discord enabled against the fake Discord: a question in the help
// channel is answered in a thread on it, and the desk stops cleanly.
func TestServeDiscord(t *testing.T) {
	fake := fakediscord.New(t)
	name := filepath.Join(t.TempDir(), "firstline.toml")
	cfg := `
[discord]
enabled = true
token = "${DISCORD_TOKEN}"
api_url = "` + fake.URL() + `"
help_channels = ["100000000000000001"]

[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "discord:100000000000000002"
members = ["discord:role:300000000000000001"]

[kb]
dir = ` + demoKBDir(t) + `
`
	if err := os.WriteFile(name, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	env := func(k string) (string, bool) { return "test-token", k == "DISCORD_TOKEN" }
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: env}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- m.Run(ctx, []string{"-data", t.TempDir(), "-config", name}) }()

	fake.WaitIdentifies(t, 1)
	fake.WaitHeartbeat(t)
	fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": "500000000000000001", "channel_id": "100000000000000001",
		"guild_id": fakediscord.GuildID, "content": "My VPN will not connect", "type": 0, "timestamp": time.Now().Format(time.RFC3339),
		"author": map[string]any{"id": "200000000000000001", "username": "alice"}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		sent := fake.Sent()
		if len(sent) > 0 && sent[0].ChannelID == "500000000000000001" && strings.Contains(sent[0].Content, "vpn-connect") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer in the thread; sent %+v\nstderr:\n%s", sent, errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d\n%s", c, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the desk did not stop")
	}
	if !strings.Contains(out.String(), "serving Discord") {
		t.Fatalf("stdout: %q", out.String())
	}
}

// demoKBDir is the demo's knowledge base as a config's kb.dir: absolute, since a relative kb.dir is the
// config file's folder's, and the test configs are written in temporary folders.
func demoKBDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("demo/kb")
	if err != nil {
		t.Fatal(err)
	}
	return tomlString(dir)
}
