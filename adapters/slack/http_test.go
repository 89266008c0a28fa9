package slack_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// recorder is a Handler that keeps what it is given, and can be told to fail.
type recorder struct {
	mu     sync.Mutex
	events []bot.Event
	fail   error
}

func (r *recorder) Handle(_ context.Context, ev bot.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder) got() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Event(nil), r.events...)
}

// sign signs a request body as Slack does: v0=HMAC-SHA256(secret, "v0:TIMESTAMP:BODY").
func sign(req *http.Request, body string, at time.Time, key string) {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("v0:" + ts + ":" + body))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}

func newHTTPAdapter(t *testing.T) (*httptest.Server, *recorder) {
	t.Helper()
	fake := fakeslack.New(t)
	fake.AddUser("UALICE", "Alice Smith", "alice")
	a, err := slack.New(slack.Config{Mode: slack.ModeHTTP, BotToken: "xoxb-t", SigningSecret: secret, APIURL: fake.APIURL(), CommandPrefix: "!"},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	srv := httptest.NewServer(a.HTTPHandler(rec))
	t.Cleanup(srv.Close)
	return srv, rec
}

func post(t *testing.T, srv *httptest.Server, contentType, body string, signAt time.Time, key string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/slack/events", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if key != "" {
		sign(req, body, signAt, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestHTTPMode(t *testing.T) {
	srv, rec := newHTTPAdapter(t)
	now := time.Now()
	event, _ := json.Marshal(map[string]any{
		"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event_time": now.Unix(),
		"event": map[string]any{"type": "message", "channel": "CHELP", "channel_type": "channel", "user": "UALICE",
			"text": "my &lt;vpn&gt; is down", "ts": "1700000001.000100"},
	})

	t.Run("url verification", func(t *testing.T) {
		resp, body := post(t, srv, "application/json", `{"type":"url_verification","challenge":"abc123","token":"x"}`, now, secret)
		if resp.StatusCode != http.StatusOK || body != "abc123" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
	})
	t.Run("good signature", func(t *testing.T) {
		resp, _ := post(t, srv, "application/json", string(event), now, secret)
		evs := rec.got()
		if resp.StatusCode != http.StatusOK || len(evs) != 1 || evs[0].Text != "my <vpn> is down" || evs[0].User != "slack:UALICE" || evs[0].UserName != "alice" {
			t.Fatalf("%d %+v", resp.StatusCode, evs)
		}
	})
	t.Run("forged signature", func(t *testing.T) {
		resp, _ := post(t, srv, "application/json", string(event), now, "not-the-secret")
		if resp.StatusCode != http.StatusUnauthorized || len(rec.got()) != 1 {
			t.Fatalf("forged: %d, %d events", resp.StatusCode, len(rec.got()))
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		resp, _ := post(t, srv, "application/json", string(event), now, "")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unsigned: %d", resp.StatusCode)
		}
	})
	t.Run("stale timestamp", func(t *testing.T) {
		resp, _ := post(t, srv, "application/json", string(event), now.Add(-10*time.Minute), secret)
		if resp.StatusCode != http.StatusUnauthorized || len(rec.got()) != 1 {
			t.Fatalf("stale: %d", resp.StatusCode)
		}
	})
	t.Run("button and slash command as forms", func(t *testing.T) {
		payload, _ := json.Marshal(map[string]any{"type": "block_actions", "trigger_id": "trig1",
			"user":      map[string]any{"id": "UALICE"},
			"container": map[string]any{"type": "message", "channel_id": "CHELP", "message_ts": "1700000002.000100", "thread_ts": "1700000001.000100"},
			"actions":   []any{map[string]any{"action_id": "solved", "block_id": "firstline_choices", "value": "solved", "type": "button"}}})
		form := url.Values{"payload": {string(payload)}}.Encode()
		if resp, _ := post(t, srv, "application/x-www-form-urlencoded", form, now, secret); resp.StatusCode != http.StatusOK {
			t.Fatalf("interaction: %d", resp.StatusCode)
		}
		cmd := url.Values{"command": {"/firstline"}, "text": {""}, "user_id": {"UALICE"}, "channel_id": {"CHELP"}, "trigger_id": {"trig2"}}.Encode()
		if resp, _ := post(t, srv, "application/x-www-form-urlencoded", cmd, now, secret); resp.StatusCode != http.StatusOK {
			t.Fatalf("slash command: %d", resp.StatusCode)
		}
		evs := rec.got()
		click, slash := evs[len(evs)-2], evs[len(evs)-1]
		if click.Kind != bot.EventClick || click.Choice != "solved" || click.Message != "1700000002.000100" || click.Thread != "1700000001.000100" {
			t.Fatalf("click %+v", click)
		}
		if slash.Kind != bot.EventMessage || slash.Text != "!help" || slash.ID != "cmd:trig2" {
			t.Fatalf("slash %+v", slash)
		}
	})
	t.Run("not recorded means retry", func(t *testing.T) {
		rec.mu.Lock()
		rec.fail = bot.Errorf(bot.EUNAVAILABLE, "disk full")
		rec.mu.Unlock()
		resp, _ := post(t, srv, "application/json", string(event), now, secret)
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("a failed Handle answered %d; Slack would not retry", resp.StatusCode)
		}
	})
}
