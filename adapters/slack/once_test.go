package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
)

// newOnceAdapter is an adapter on fake, connected (so it knows its bot user), without Socket Mode.
func newOnceAdapter(t *testing.T, fake *fakeslack.Server) *slack.Adapter {
	t.Helper()
	a, err := slack.New(slack.Config{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL()},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

// attempt is one call of PostOnce by the dispatcher, in this process or (restart) in a new one.
type attempt struct {
	maybeSent bool
	restart   bool   // a new adapter, as after a crash: nothing remembered
	wantErr   string // "" none, "retry" an error the dispatcher retries, "ratelimit" a bot.RateLimitError
}

// TestPostOnce plays the dispatcher's attempts at one post against a fake Slack and counts what reached
// Slack: exactly one message carrying the key, the reference returned the one of that message, and only
// the lookups the attempts needed.
func TestPostOnce(t *testing.T) {
	const key = "fl3k9.t4x2ab"
	channel := bot.Post{Channel: "CTIER2", Title: "T-000001", Text: "VPN down", Fields: []bot.Field{{Name: "Priority", Value: "P2"}}}
	thread := bot.Post{Channel: "CHELP", Thread: "1800000000.000001", Text: "Here's what I found: **VPN**",
		Choices: []bot.Choice{{ID: "solved", Label: "Solved"}}}
	dm := bot.Post{DM: "slack:UALICE", Text: "How did we do?"}
	cases := []struct {
		name        string
		post        bot.Post
		setup       func(*fakeslack.Server)
		attempts    []attempt
		wantLookups int
	}{
		{name: "not maybe sent: posted without a lookup", post: channel,
			attempts: []attempt{{}}},
		{name: "maybe sent, never made: looked up, then posted", post: thread,
			attempts: []attempt{{maybeSent: true}}, wantLookups: 1},
		{name: "response dropped, channel: found after the restart", post: channel,
			setup:    func(f *fakeslack.Server) { f.LoseNext("chat.postMessage", fakeslack.DropConnection) },
			attempts: []attempt{{wantErr: "retry"}, {maybeSent: true, restart: true}}, wantLookups: 1},
		{name: "response dropped, thread: found on the retry", post: thread,
			setup:    func(f *fakeslack.Server) { f.LoseNext("chat.postMessage", fakeslack.DropConnection) },
			attempts: []attempt{{wantErr: "retry"}, {maybeSent: true}}, wantLookups: 1},
		{name: "response lost to a 503, DM: found after the restart", post: dm,
			setup:    func(f *fakeslack.Server) { f.LoseNext("chat.postMessage", fakeslack.ServerError) },
			attempts: []attempt{{wantErr: "retry"}, {maybeSent: true, restart: true}}, wantLookups: 1},
		{name: "response lost to a 503, thread: found after the restart", post: thread,
			setup:    func(f *fakeslack.Server) { f.LoseNext("chat.postMessage", fakeslack.ServerError) },
			attempts: []attempt{{wantErr: "retry"}, {maybeSent: true, restart: true}}, wantLookups: 1},
		{name: "made and recorded by nobody: found, not made again", post: dm,
			attempts: []attempt{{}, {maybeSent: true, restart: true}, {maybeSent: true}}, wantLookups: 2},
		{name: "lookup lacks its scope: posted anyway", post: channel,
			setup:    func(f *fakeslack.Server) { f.FailNext("conversations.history", "missing_scope") },
			attempts: []attempt{{maybeSent: true}}, wantLookups: 1},
		{name: "thread lookup in an unknown channel: posted anyway", post: thread,
			setup:    func(f *fakeslack.Server) { f.FailNext("conversations.replies", "channel_not_found") },
			attempts: []attempt{{maybeSent: true}}, wantLookups: 1},
		{name: "lookup rate limited: retried, then found", post: thread,
			setup: func(f *fakeslack.Server) {
				f.LoseNext("chat.postMessage", fakeslack.DropConnection)
				f.RateLimit("conversations.replies", time.Second, 1)
			},
			attempts:    []attempt{{wantErr: "retry"}, {maybeSent: true, wantErr: "ratelimit"}, {maybeSent: true}},
			wantLookups: 2},
		{name: "lookup keeps failing: posted after five tries", post: channel,
			setup: func(f *fakeslack.Server) {
				for range 5 {
					f.FailNext("conversations.history", "internal_error")
				}
			},
			attempts: []attempt{
				{maybeSent: true, wantErr: "retry"}, {maybeSent: true, wantErr: "retry"},
				{maybeSent: true, wantErr: "retry"}, {maybeSent: true, wantErr: "retry"}, {maybeSent: true},
			},
			wantLookups: 5},
		{name: "post refused with a 429: the retry needs no lookup", post: thread,
			setup:    func(f *fakeslack.Server) { f.RateLimit("chat.postMessage", time.Second, 2) },
			attempts: []attempt{{wantErr: "ratelimit"}, {maybeSent: true, wantErr: "ratelimit"}, {maybeSent: true}}},
		{name: "post refused after a lookup: the retry needs none", post: dm,
			setup:    func(f *fakeslack.Server) { f.FailNext("chat.postMessage", "invalid_auth") },
			attempts: []attempt{{maybeSent: true, wantErr: "retry"}, {maybeSent: true}}, wantLookups: 1},
		{name: "post failed with Slack's own trouble: the retry looks again", post: dm,
			setup:    func(f *fakeslack.Server) { f.FailNext("chat.postMessage", "service_unavailable") },
			attempts: []attempt{{maybeSent: true, wantErr: "retry"}, {maybeSent: true}}, wantLookups: 2},
		{name: "post refused after a lookup, 429: the retry needs none", post: dm,
			setup:    func(f *fakeslack.Server) { f.RateLimit("chat.postMessage", time.Second, 1) },
			attempts: []attempt{{maybeSent: true, wantErr: "ratelimit"}, {maybeSent: true}}, wantLookups: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakeslack.New(t)
			if tc.setup != nil {
				tc.setup(fake)
			}
			a := newOnceAdapter(t, fake)
			ctx := context.Background()
			var ref bot.MessageRef
			for i, at := range tc.attempts {
				if at.restart {
					a = newOnceAdapter(t, fake)
				}
				got, err := a.PostOnce(ctx, tc.post, key, at.maybeSent)
				checkErr(t, i, err, at.wantErr)
				if err == nil {
					if ref.ID != "" && got != ref {
						t.Fatalf("attempt %d returned %+v, an earlier one %+v", i, got, ref)
					}
					ref = got
				}
			}

			posted := fake.Posted()
			if len(posted) != 1 {
				t.Fatalf("%d messages reached Slack, want 1: %+v", len(posted), posted)
			}
			m := posted[0]
			want := bot.MessageRef{Platform: "slack", Channel: m.Channel, Thread: tc.post.Thread, ID: m.TS}
			if ref != want {
				t.Fatalf("reference %+v, want the message's %+v", ref, want)
			}
			var md struct {
				EventType    string         `json:"event_type"`
				EventPayload map[string]any `json:"event_payload"`
			}
			if err := json.Unmarshal(m.Metadata, &md); err != nil || md.EventType != "firstline_post" || md.EventPayload["key"] != key {
				t.Fatalf("metadata %s (%v), want the key", m.Metadata, err)
			}

			method, other := "conversations.history", "conversations.replies"
			if tc.post.Thread != "" {
				method, other = other, method
			}
			lookups := fake.Calls(method)
			if len(lookups) != tc.wantLookups || len(fake.Calls(other)) != 0 {
				t.Fatalf("%d %s and %d %s calls, want %d and 0", len(lookups), method, len(fake.Calls(other)), other, tc.wantLookups)
			}
			for _, c := range lookups {
				if c.Form.Get("include_all_metadata") != "1" || c.Form.Get("channel") != m.Channel || c.Form.Get("limit") == "" {
					t.Fatalf("lookup %s sent %v", method, c.Form)
				}
				if tc.post.Thread != "" && c.Form.Get("ts") != tc.post.Thread {
					t.Fatalf("replies of %q, want the thread %q", c.Form.Get("ts"), tc.post.Thread)
				}
			}
		})
	}
}

func checkErr(t *testing.T, i int, err error, want string) {
	t.Helper()
	var rl *bot.RateLimitError
	switch {
	case want == "" && err != nil:
		t.Fatalf("attempt %d: %v", i, err)
	case want != "" && err == nil:
		t.Fatalf("attempt %d succeeded, want an error (%s)", i, want)
	case want == "ratelimit" && !errors.As(err, &rl):
		t.Fatalf("attempt %d: %v, want a rate limit", i, err)
	case want == "retry" && (bot.ErrorCode(err) == bot.EINVALID || bot.ErrorCode(err) == bot.ENOTFOUND):
		t.Fatalf("attempt %d: %v is permanent: the dispatcher would drop the post", i, err)
	}
}

// TestPostOnceOtherKeys checks that the lookup matches the key exactly: the desk's other posts in the
// same thread, with keys alike, are not taken for the post.
func TestPostOnceOtherKeys(t *testing.T) {
	fake := fakeslack.New(t)
	a := newOnceAdapter(t, fake)
	ctx := context.Background()
	p := bot.Post{Channel: "CHELP", Thread: "1800000000.000001", Text: "an answer"}
	for _, k := range []string{"fl1.t4x2ab", "fl3k9.t4x2a", "fl3k9.t4x2abc"} {
		if _, err := a.PostOnce(ctx, p, k, false); err != nil {
			t.Fatal(err)
		}
	}
	ref, err := a.PostOnce(ctx, p, "fl3k9.t4x2ab", true)
	if err != nil {
		t.Fatal(err)
	}
	posted := fake.Posted()
	if len(posted) != 4 || ref.ID != posted[3].TS {
		t.Fatalf("%d posts, reference %+v; want a fourth post, and its reference", len(posted), ref)
	}
}
