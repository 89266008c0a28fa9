package discord_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/bot"
)

// attempt is one call of PostOnce by the dispatcher, in this process or (restart) in a new one.
type attempt struct {
	maybeSent bool
	restart   bool   // a new adapter, as after a crash: nothing remembered
	wantErr   string // "" none, "retry" an error the dispatcher retries, "ratelimit" a bot.RateLimitError
}

// TestPostOnce plays the dispatcher's attempts at one post against a fake Discord that honours enforced
// nonces, and counts what reached Discord: each message of the post exactly once, the reference returned
// the one of its last message, no lookups, and everything Post sends (embeds, buttons, no mentions but
// the role ping) sent as before.
func TestPostOnce(t *testing.T) {
	const (
		key  = "fl3k9.t4x2ab"
		root = "500000000000000001" // a question in the help channel, where its thread goes
	)
	card := bot.Post{Channel: tier2, Title: "T-000001", Text: "VPN down", Fields: []bot.Field{{Name: "Priority", Value: "P2"}},
		Choices: []bot.Choice{{ID: "claim", Label: "Claim"}}}
	answer := bot.Post{Channel: help, Thread: root, Text: "Here's what I found: **VPN** @everyone",
		Choices: []bot.Choice{{ID: "solved", Label: "Solved"}}}
	dm := bot.Post{DM: "discord:" + alice, Text: "How did we do?"}
	long := bot.Post{Channel: tier2, Text: strings.Repeat("A long article paragraph. ", 200), Notify: []string{"discord:role:" + techs}}
	cases := []struct {
		name     string
		post     bot.Post
		setup    func(*fakediscord.Server)
		attempts []attempt
		want     int // messages on Discord
	}{
		{name: "not maybe sent", post: card, attempts: []attempt{{}}, want: 1},
		{name: "maybe sent, never made", post: answer, attempts: []attempt{{maybeSent: true}}, want: 1},
		{name: "response dropped, channel: the nonce returns it after the restart", post: card,
			setup:    func(f *fakediscord.Server) { f.LoseNextCreate(fakediscord.DropConnection) },
			attempts: []attempt{{wantErr: "retry"}, {maybeSent: true, restart: true}}, want: 1},
		{name: "response lost to a 500, thread: the nonce returns it on the retry", post: answer,
			setup:    func(f *fakediscord.Server) { f.LoseNextCreate(fakediscord.ServerError) },
			attempts: []attempt{{wantErr: "retry"}, {maybeSent: true}}, want: 1},
		{name: "response dropped, DM: the nonce returns it after the restart", post: dm,
			setup:    func(f *fakediscord.Server) { f.LoseNextCreate(fakediscord.DropConnection) },
			attempts: []attempt{{wantErr: "retry"}, {maybeSent: true, restart: true}}, want: 1},
		{name: "502, retried by discordgo with the same nonce", post: answer,
			setup:    func(f *fakediscord.Server) { f.LoseNextCreate(fakediscord.BadGateway) },
			attempts: []attempt{{}}, want: 1},
		{name: "long text cut short after its first part: completed, not repeated", post: long,
			setup:    func(f *fakediscord.Server) { f.LoseNextCreate(fakediscord.DropConnection) },
			attempts: []attempt{{wantErr: "retry"}, {maybeSent: true, restart: true}}, want: 3},
		{name: "made and recorded by nobody: returned again", post: card,
			attempts: []attempt{{}, {maybeSent: true, restart: true}, {maybeSent: true}}, want: 1},
		{name: "rate limited, then sent", post: dm,
			setup: func(f *fakediscord.Server) {
				f.RateLimit("/api/v9/channels/", 100*time.Millisecond, false, 1)
			},
			attempts: []attempt{{wantErr: "ratelimit"}, {maybeSent: true}}, want: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakediscord.New(t)
			fake.AddChannel(help, "", 0)
			fake.AddChannel(tier2, "", 0)
			fake.AddHistory(help, map[string]any{"id": root, "content": "My VPN will not connect", "type": 0,
				"timestamp": time.Now().Format(time.RFC3339), "author": map[string]any{"id": alice, "username": "alice"}})
			if tc.setup != nil {
				tc.setup(fake)
			}
			a := newAdapter(t, fake)
			ctx := context.Background()
			var ref bot.MessageRef
			for i, at := range tc.attempts {
				if at.restart {
					a = newAdapter(t, fake)
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

			sent := fake.Sent()
			if len(sent) != tc.want {
				t.Fatalf("%d messages reached Discord, want %d: %s", len(sent), tc.want, dump(sent))
			}
			last := sent[len(sent)-1]
			where := last.ChannelID
			if tc.post.Thread != "" {
				if where != root {
					t.Fatalf("sent in %s, not in the thread on the question", where)
				}
				where = tc.post.Channel
			}
			want := bot.MessageRef{Platform: "discord", Channel: where, Thread: tc.post.Thread, ID: last.ID}
			if ref != want {
				t.Fatalf("reference %+v, want the last message's %+v", ref, want)
			}
			nonces := map[string]bool{}
			for i, m := range sent {
				var body struct {
					Nonce        string `json:"nonce"`
					EnforceNonce bool   `json:"enforce_nonce"`
					Mentions     struct {
						Parse []string `json:"parse"`
						Roles []string `json:"roles"`
					} `json:"allowed_mentions"`
				}
				if err := json.Unmarshal(m.Raw, &body); err != nil {
					t.Fatal(err)
				}
				if !body.EnforceNonce || len(body.Nonce) == 0 || len(body.Nonce) > 25 || nonces[body.Nonce] || i == 0 && body.Nonce != key {
					t.Fatalf("message %d sent with nonce %q (enforced %v), others %v", i, body.Nonce, body.EnforceNonce, nonces)
				}
				nonces[body.Nonce] = true
				if body.Mentions.Parse == nil || len(body.Mentions.Parse) != 0 {
					t.Fatalf("message %d allows mentions: %s", i, m.AllowedMentions)
				}
				if ping := len(tc.post.Notify) > 0 && i == 0; ping != (len(body.Mentions.Roles) == 1 && strings.HasPrefix(m.Content, "<@&"+techs+">")) {
					t.Fatalf("message %d: role ping %v, want %v: %s %.40q", i, !ping, ping, m.AllowedMentions, m.Content)
				}
			}
			if (len(tc.post.Choices) > 0) != strings.Contains(string(last.Components), `"custom_id"`) {
				t.Fatalf("buttons: %s", last.Components)
			}
			if (tc.post.Title != "") != strings.Contains(string(last.Embeds), `"type":"rich"`) {
				t.Fatalf("embeds: %s", last.Embeds)
			}
			for _, c := range fake.Calls() {
				if c.Method == http.MethodGet && strings.HasSuffix(c.Path, "/messages") {
					t.Fatalf("a lookup: %s %s", c.Method, c.Path)
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

// TestPostOnceNonceWindow shows the limit: once Discord has forgotten the nonce (minutes later), an
// attempt whose predecessor's answer was lost posts again. And Post, without a key, sends no nonce, so a
// 502 that discordgo retries posts twice: what PostOnce is for.
func TestPostOnceNonceWindow(t *testing.T) {
	fake := fakediscord.New(t)
	fake.AddChannel(tier2, "", 0)
	a := newAdapter(t, fake)
	ctx := context.Background()
	p := bot.Post{Channel: tier2, Text: "T-000007 is past its response deadline"}

	fake.LoseNextCreate(fakediscord.DropConnection)
	if _, err := a.PostOnce(ctx, p, "fl7.t4x2ab", false); err == nil {
		t.Fatal("a dropped connection went unnoticed")
	}
	fake.ExpireNonces()
	if _, err := a.PostOnce(ctx, p, "fl7.t4x2ab", true); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Sent()); n != 2 {
		t.Fatalf("%d messages, want 2: the nonce had expired", n)
	}

	fake.LoseNextCreate(fakediscord.BadGateway)
	if _, err := a.Post(ctx, p); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Sent()); n != 4 {
		t.Fatalf("%d messages, want 4: Post has no nonce, so discordgo's retry of a 502 posts again", n)
	}
	var body map[string]any
	_ = json.Unmarshal(fake.Sent()[3].Raw, &body)
	if _, has := body["nonce"]; has {
		t.Fatalf("Post sent a nonce: %s", fake.Sent()[3].Raw)
	}
}
