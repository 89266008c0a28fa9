package main

// Helpers shared by the crash test and the load test: Slack's side of the Events API (signed requests),
// a Web API latency in front of fakeslack, a config for Slack HTTP mode, and the real binary as a
// process that can be killed.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
)

// The Slack workspace the crash and load tests play: one help channel, two tiers.
const (
	loadSecret   = "load-signing-secret"
	loadHelp     = "CHELP"
	loadTier2    = "CTIER2"
	loadTier3    = "CTIER3"
	loadTechUser = "UTOM"
)

// slackMessage is a message event as Slack sends it to the request URL.
type slackMessage struct {
	EventID  string
	Channel  string
	User     string
	Text     string
	TS       string
	ThreadTS string
}

// body is the event_callback JSON of the message.
func (m slackMessage) body() []byte {
	inner := map[string]any{
		"type": "message", "channel": m.Channel, "channel_type": "channel", "user": m.User,
		"text": m.Text, "ts": m.TS, "event_ts": m.TS, "team": fakeslack.TeamID,
	}
	if m.ThreadTS != "" {
		inner["thread_ts"] = m.ThreadTS
	}
	b, err := json.Marshal(map[string]any{
		"token": "unused", "team_id": fakeslack.TeamID, "api_app_id": fakeslack.AppID, "type": "event_callback",
		"event_id": m.EventID, "event_time": time.Now().Unix(), "event": inner,
	})
	if err != nil {
		panic(err) // plain strings always marshal
	}
	return b
}

// signSlack is X-Slack-Signature: v0= and the hex HMAC-SHA256 of "v0:TIMESTAMP:BODY" with the signing
// secret.
func signSlack(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// deliver posts a signed event the way Slack does, with X-Slack-Retry-Num on redeliveries, and returns
// the HTTP status (0 with an error when no answer came).
func deliver(ctx context.Context, client *http.Client, endpoint string, body []byte, retry int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", signSlack(loadSecret, ts, body))
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		req.Header.Set("X-Slack-Retry-Reason", "http_error")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// slowSlack puts Web API latency in front of a fake Slack and returns the API URL to configure. before is
// spent before the fake sees a call; after is spent between the fake recording it (a message is then
// visible in the channel) and the desk receiving the answer, which is the window in which a crash makes
// the desk post the message again. Either may be nil.
func slowSlack(t testing.TB, fake *fakeslack.Server, before, after func() time.Duration) string {
	t.Helper()
	target, err := url.Parse(fake.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	target.Path = ""
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	proxy.ErrorLog = log.New(io.Discard, "", 0) // the desk killed mid-call is the point, not news
	proxy.ModifyResponse = func(*http.Response) error {
		if after != nil {
			time.Sleep(after())
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if before != nil {
			time.Sleep(before())
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/"
}

// freeAddr returns a loopback address nobody listens on, for the desk's [http] listen.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// writeLoadConfig writes a config serving Slack in HTTP mode on listen, calling the Web API at apiURL,
// answering from the demo knowledge base. extra is appended (an [llm] section, say).
func writeLoadConfig(t testing.TB, dir, apiURL, listen, extra string) string {
	t.Helper()
	kbDir, err := filepath.Abs("demo/kb")
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`
[slack]
enabled = true
mode = "http"
bot_token = "xoxb-load"
signing_secret = %q
api_url = %q
help_channels = [%q]

[http]
listen = %q

[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "slack:%s"
members = ["slack:%s"]

[[tiers]]
id = "tier3"
name = "Tier 3"
channel = "slack:%s"
members = ["slack:%s"]

[kb]
dir = %q
%s`, loadSecret, apiURL, loadHelp, listen, loadTier2, loadTechUser, loadTier3, loadTechUser, kbDir, extra)
	name := filepath.Join(dir, "firstline.toml")
	if err := os.WriteFile(name, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// deskProcess is the real binary serving Slack over HTTP, started, killed and restarted by a test. Its
// output of every run goes to one log file.
type deskProcess struct {
	t              testing.TB
	bin, data, cfg string
	addr           string
	log            *os.File
	cmd            *exec.Cmd
	exited         chan struct{}
	exitErr        error
	starts         int
	startedAt      time.Time
	healthy        *http.Client
}

func newDeskProcess(t testing.TB, bin, data, cfg, addr, logPath string) *deskProcess {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	d := &deskProcess{t: t, bin: bin, data: data, cfg: cfg, addr: addr, log: f,
		healthy: &http.Client{Timeout: 500 * time.Millisecond}}
	t.Cleanup(func() {
		if d.running() {
			d.kill()
		}
		f.Close()
	})
	return d
}

func (d *deskProcess) start() {
	d.t.Helper()
	d.starts++
	fmt.Fprintf(d.log, "=== start %d at %s ===\n", d.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(d.bin, "-data", d.data, "-config", d.cfg)
	cmd.Stdout, cmd.Stderr = d.log, d.log
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.cmd, d.exited, d.startedAt = cmd, make(chan struct{}), time.Now()
	go func(done chan struct{}) {
		d.exitErr = cmd.Wait()
		close(done)
	}(d.exited)
}

func (d *deskProcess) running() bool {
	if d.cmd == nil {
		return false
	}
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// waitHealthy waits until /healthz answers, and returns how long after the start that was.
func (d *deskProcess) waitHealthy(timeout time.Duration) time.Duration {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := d.healthy.Get("http://" + d.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(d.startedAt)
			}
		}
		select {
		case <-d.exited:
			d.t.Fatalf("the desk exited while starting (%v); see %s", d.exitErr, d.log.Name())
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("the desk did not answer /healthz within %v; see %s", timeout, d.log.Name())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL: no deferred function, no Close, no flush runs.
func (d *deskProcess) kill() {
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.exited
	fmt.Fprintf(d.log, "=== killed at %s ===\n", time.Now().Format(time.RFC3339Nano))
}

// stop asks the process to stop as Ctrl-C would and fails the test unless it exits 0 in time.
func (d *deskProcess) stop() {
	d.t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(30 * time.Second):
		d.kill()
		d.t.Fatalf("the desk did not stop within 30 s of SIGTERM; see %s", d.log.Name())
	}
	if d.exitErr != nil {
		d.t.Fatalf("the desk stopped with %v; see %s", d.exitErr, d.log.Name())
	}
	fmt.Fprintf(d.log, "=== stopped at %s ===\n", time.Now().Format(time.RFC3339Nano))
}
