package fakeslack_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
)

const (
	botToken = "xoxb-test"
	appToken = "xapp-1-test"
)

func newAPI(s *fakeslack.Server) *slack.Client {
	return slack.New(botToken, slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(appToken))
}

// runSocket runs a real socketmode client against s until the test ends.
func runSocket(t *testing.T, s *fakeslack.Server, opts ...socketmode.Option) *socketmode.Client {
	t.Helper()
	client := socketmode.New(newAPI(s), opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = client.RunContext(ctx)
	}()
	// Registered after fakeslack.New's cleanup, so it runs first: the client stops before the server does.
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return client
}

// nextEvent returns the client's next event of type typ, skipping others; the client blocks when its
// Events channel is not read, so tests always read it through here.
func nextEvent(t *testing.T, client *socketmode.Client, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case evt := <-client.Events:
			if evt.Type == typ {
				return evt
			}
		case <-timeout:
			t.Fatalf("no %s event within 10s", typ)
		}
	}
}

func TestEventsAPIEnvelope(t *testing.T) {
	tests := []struct {
		name        string
		retry       int
		wantReason  string
		messageText string
	}{
		{name: "first delivery", retry: 0, wantReason: "", messageText: "printer on fire"},
		{name: "redelivery", retry: 2, wantReason: "timeout", messageText: "still on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeslack.New(t)
			client := runSocket(t, s)
			nextEvent(t, client, socketmode.EventTypeHello)

			id := s.SendEnvelope(t, fakeslack.EventsAPI("Ev1", map[string]any{
				"type": "message", "user": "U1", "channel": "C1", "channel_type": "channel",
				"text": tt.messageText, "ts": "1700000001.000100",
			}, tt.retry))

			evt := nextEvent(t, client, socketmode.EventTypeEventsAPI)
			if evt.Request.EnvelopeID != id || evt.Request.RetryAttempt != tt.retry || evt.Request.RetryReason != tt.wantReason {
				t.Fatalf("request = %+v, want envelope %s, retry %d %q", evt.Request, id, tt.retry, tt.wantReason)
			}
			outer := evt.Data.(slackevents.EventsAPIEvent)
			if outer.TeamID != fakeslack.TeamID || outer.APIAppID != fakeslack.AppID {
				t.Fatalf("outer event = %+v", outer)
			}
			cb := outer.Data.(*slackevents.EventsAPICallbackEvent)
			if cb.EventID != "Ev1" {
				t.Fatalf("event_id = %q, want Ev1", cb.EventID)
			}
			msg, ok := outer.InnerEvent.Data.(*slackevents.MessageEvent)
			if !ok {
				t.Fatalf("inner event is %T, want *slackevents.MessageEvent", outer.InnerEvent.Data)
			}
			if msg.Text != tt.messageText || msg.User != "U1" || msg.Channel != "C1" {
				t.Fatalf("message = %+v", msg)
			}

			if s.Acked(id) {
				t.Fatalf("envelope %s acked before the client acked it", id)
			}
			if err := client.Ack(*evt.Request); err != nil {
				t.Fatal(err)
			}
			s.WaitAck(t, id)
			if !s.Acked(id) {
				t.Fatalf("Acked(%s) = false after WaitAck", id)
			}
		})
	}
}

func TestInteractiveAndSlashCommandEnvelopes(t *testing.T) {
	tests := []struct {
		name     string
		envelope map[string]any
		wantType socketmode.EventType
		check    func(t *testing.T, data any)
	}{
		{
			name: "block action",
			envelope: fakeslack.Interactive(map[string]any{
				"type": "block_actions", "user": map[string]any{"id": "U2"},
				"actions": []map[string]any{{"action_id": "claim", "block_id": "ticket", "value": "T-7", "type": "button"}},
			}),
			wantType: socketmode.EventTypeInteractive,
			check: func(t *testing.T, data any) {
				cb := data.(slack.InteractionCallback)
				if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U2" ||
					len(cb.ActionCallback.BlockActions) != 1 || cb.ActionCallback.BlockActions[0].Value != "T-7" {
					t.Fatalf("callback = %+v", cb)
				}
			},
		},
		{
			name:     "slash command",
			envelope: fakeslack.SlashCommand(map[string]string{"command": "/firstline", "text": "status", "user_id": "U3"}),
			wantType: socketmode.EventTypeSlashCommand,
			check: func(t *testing.T, data any) {
				cmd := data.(slack.SlashCommand)
				if cmd.Command != "/firstline" || cmd.Text != "status" || cmd.UserID != "U3" || cmd.TeamID != fakeslack.TeamID {
					t.Fatalf("command = %+v", cmd)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeslack.New(t)
			client := runSocket(t, s)

			id := s.SendEnvelope(t, tt.envelope)
			evt := nextEvent(t, client, tt.wantType)
			if !evt.Request.AcceptsResponsePayload {
				t.Fatalf("accepts_response_payload = false")
			}
			tt.check(t, evt.Data)

			if err := client.Ack(*evt.Request, map[string]any{"text": "on it"}); err != nil {
				t.Fatal(err)
			}
			s.WaitAck(t, id)
			if got := string(s.AckPayload(id)); got != `{"text":"on it"}` {
				t.Fatalf("ack payload = %s", got)
			}
		})
	}
}

func TestPostMessage(t *testing.T) {
	s := fakeslack.New(t)
	api := newAPI(s)
	blocks := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Ticket T-1*", false, false), nil, nil)

	ch1, ts1, err := api.PostMessage("C1", slack.MsgOptionText("hello", false))
	if err != nil {
		t.Fatal(err)
	}
	_, ts2, err := api.PostMessage("C1", slack.MsgOptionText("in thread", false),
		slack.MsgOptionTS(ts1), slack.MsgOptionBlocks(blocks))
	if err != nil {
		t.Fatal(err)
	}
	if ch1 != "C1" || ts1 == "" || ts2 <= ts1 {
		t.Fatalf("channel %q, ts %q then %q: want C1 and increasing timestamps", ch1, ts1, ts2)
	}

	got := s.WaitPosted(t, 2)
	if got[0].Channel != "C1" || got[0].Text != "hello" || got[0].ThreadTS != "" || got[0].TS != ts1 || got[0].Blocks != nil {
		t.Fatalf("first message = %+v", got[0])
	}
	if got[1].ThreadTS != ts1 || got[1].TS != ts2 || got[1].Text != "in thread" {
		t.Fatalf("second message = %+v", got[1])
	}
	var sent []map[string]any
	if err := json.Unmarshal(got[1].Blocks, &sent); err != nil || len(sent) != 1 || sent[0]["type"] != "section" {
		t.Fatalf("blocks = %s (%v), want one section", got[1].Blocks, err)
	}

	calls := s.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Token != botToken || calls[1].Form.Get("thread_ts") != ts1 {
		t.Fatalf("calls = %+v", calls)
	}

	// chat.update changes only a message the bot posted.
	if _, _, _, err := api.UpdateMessage("C1", ts2, slack.MsgOptionText("claimed", false)); err != nil {
		t.Fatal(err)
	}
	if up := s.Updated(); len(up) != 1 || up[0].TS != ts2 || up[0].Text != "claimed" || up[0].ThreadTS != ts1 {
		t.Fatalf("updated = %+v", up)
	}
	_, _, _, err = api.UpdateMessage("C2", ts2, slack.MsgOptionText("wrong channel", false))
	if !isSlackError(err, "message_not_found") {
		t.Fatalf("update in another channel: err = %v, want message_not_found", err)
	}
}

func isSlackError(err error, code string) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}

func TestScriptedFailures(t *testing.T) {
	tests := []struct {
		name      string
		script    func(s *fakeslack.Server)
		wantRetry []time.Duration // per failing call; 0 for a Slack error
		wantErr   string
	}{
		{
			name:      "rate limited twice, Retry-After rounded up",
			script:    func(s *fakeslack.Server) { s.RateLimit("chat.postMessage", 1500*time.Millisecond, 2) },
			wantRetry: []time.Duration{2 * time.Second, 2 * time.Second},
		},
		{
			name:      "fails once",
			script:    func(s *fakeslack.Server) { s.FailNext("chat.postMessage", "channel_not_found") },
			wantRetry: []time.Duration{0},
			wantErr:   "channel_not_found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeslack.New(t)
			api := newAPI(s)
			tt.script(s)

			for i, want := range tt.wantRetry {
				_, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false))
				var rl *slack.RateLimitedError
				switch {
				case want > 0 && (!errors.As(err, &rl) || rl.RetryAfter != want):
					t.Fatalf("call %d: err = %v, want RateLimitedError after %v", i, err, want)
				case want == 0 && !isSlackError(err, tt.wantErr):
					t.Fatalf("call %d: err = %v, want %s", i, err, tt.wantErr)
				}
			}
			if _, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false)); err != nil {
				t.Fatalf("call after the script: %v", err)
			}
			if n, posted := len(s.Calls("chat.postMessage")), len(s.Posted()); n != len(tt.wantRetry)+1 || posted != 1 {
				t.Fatalf("%d calls, %d posted; want %d calls, 1 posted", n, posted, len(tt.wantRetry)+1)
			}
		})
	}
}

func TestReconnect(t *testing.T) {
	tests := []struct {
		name string
		cut  func(s *fakeslack.Server)
	}{
		{name: "dropped", cut: (*fakeslack.Server).Drop},
		{name: "disconnect requested", cut: func(s *fakeslack.Server) { s.Disconnect("refresh_requested") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeslack.New(t)
			client := runSocket(t, s)
			nextEvent(t, client, socketmode.EventTypeHello)

			tt.cut(s)
			s.WaitConnections(t, 2)
			if got := nextEvent(t, client, socketmode.EventTypeConnected).Data.(*socketmode.ConnectedEvent); got.ConnectionCount != 1 {
				t.Fatalf("connected event = %+v, want the second connection (count 1)", got)
			}

			id := s.SendEnvelope(t, fakeslack.EventsAPI("Ev2", map[string]any{
				"type": "app_mention", "user": "U1", "channel": "C1", "text": "<@UBOT> help", "ts": "1700000002.000100",
			}, 0))
			evt := nextEvent(t, client, socketmode.EventTypeEventsAPI)
			if evt.Request.EnvelopeID != id {
				t.Fatalf("envelope %s arrived, want %s", evt.Request.EnvelopeID, id)
			}
			if _, ok := evt.Data.(slackevents.EventsAPIEvent).InnerEvent.Data.(*slackevents.AppMentionEvent); !ok {
				t.Fatalf("inner event = %T", evt.Data.(slackevents.EventsAPIEvent).InnerEvent.Data)
			}
			if n := len(s.Calls("apps.connections.open")); n != 2 {
				t.Fatalf("apps.connections.open called %d times, want 2", n)
			}
		})
	}
}

// TestPingsKeepConnection checks the fake's pings satisfy the client's dead-connection check: without
// them, a client expecting a ping every second would reconnect within two seconds.
func TestPingsKeepConnection(t *testing.T) {
	s := fakeslack.New(t)
	client := runSocket(t, s, socketmode.OptionPingInterval(time.Second))
	nextEvent(t, client, socketmode.EventTypeHello)

	deadline := time.After(2500 * time.Millisecond)
	for waiting := true; waiting; {
		select {
		case <-client.Events:
		case <-deadline:
			waiting = false
		}
	}
	if n := s.Connections(); n != 1 {
		t.Fatalf("%d connections, want the first one kept", n)
	}
}

func TestWebAPI(t *testing.T) {
	s := fakeslack.New(t)
	s.AddUser("U1", "Ada Lovelace", "ada")
	api := newAPI(s)
	item := slack.NewRefToMessage("C1", "1700000001.000100")

	tests := []struct {
		name    string
		call    func() (any, error)
		want    any
		wantErr string
	}{
		{
			name: "auth.test",
			call: func() (any, error) {
				r, err := api.AuthTest()
				if err != nil {
					return nil, err
				}
				return [4]string{r.UserID, r.BotID, r.TeamID, r.User}, nil
			},
			want: [4]string{fakeslack.BotUserID, fakeslack.BotID, fakeslack.TeamID, "firstline"},
		},
		{name: "first reaction", call: func() (any, error) { return nil, api.AddReaction("eyes", item) }},
		{name: "same reaction again", call: func() (any, error) { return nil, api.AddReaction("eyes", item) }, wantErr: "already_reacted"},
		{name: "another reaction", call: func() (any, error) { return nil, api.AddReaction("white_check_mark", item) }},
		{
			name: "open DM",
			call: func() (any, error) {
				ch, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"U1"}})
				if err != nil {
					return nil, err
				}
				return ch.ID, nil
			},
			want: "DU1",
		},
		{
			name: "known user",
			call: func() (any, error) {
				u, err := api.GetUserInfo("U1")
				if err != nil {
					return nil, err
				}
				return [3]string{u.ID, u.RealName, u.Profile.DisplayName}, nil
			},
			want: [3]string{"U1", "Ada Lovelace", "ada"},
		},
		{name: "unknown user", call: func() (any, error) { return api.GetUserInfo("U404") }, wantErr: "user_not_found"},
		{
			name: "ephemeral",
			call: func() (any, error) { return api.PostEphemeral("C1", "U1", slack.MsgOptionText("only you", false)) },
			want: "1700000000.000100",
		},
		{name: "unknown method", call: func() (any, error) { return api.GetTeamInfo() }, wantErr: "unknown_method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if tt.wantErr != "" {
				if !isSlackError(err, tt.wantErr) {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil && got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}

	if calls := s.Calls("reactions.add"); len(calls) != 3 || calls[1].Form.Get("name") != "eyes" || calls[1].Token != botToken {
		t.Fatalf("reactions.add calls = %+v", calls)
	}
}

func TestTokens(t *testing.T) {
	s := fakeslack.New(t)
	client := runSocket(t, s)
	s.WaitConnections(t, 1)
	if got := s.Calls("apps.connections.open")[0].Token; got != appToken {
		t.Fatalf("apps.connections.open token = %q, want the app-level token", got)
	}
	nextEvent(t, client, socketmode.EventTypeHello)

	// A bot token cannot open a connection, nor an app-level token post: Slack refuses both.
	_, _, err := slack.New(botToken, slack.OptionAPIURL(s.APIURL())).StartSocketModeContext(context.Background())
	if !isSlackError(err, "not_allowed_token_type") {
		t.Fatalf("open with a bot token: err = %v, want not_allowed_token_type", err)
	}
	_, _, err = slack.New(appToken, slack.OptionAPIURL(s.APIURL())).PostMessage("C1", slack.MsgOptionText("hi", false))
	if !isSlackError(err, "not_allowed_token_type") {
		t.Fatalf("post with an app-level token: err = %v, want not_allowed_token_type", err)
	}
}
