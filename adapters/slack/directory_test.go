package slack_test

import (
	"context"
	"slices"
	"testing"

	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
)

// nth is the nth event handled (from 0).
func (r *recorder) nth(t *testing.T, n int) bot.Event {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) <= n {
		t.Fatalf("%d events handled, want event %d", len(r.events), n)
	}
	return r.events[n]
}

// TestTranslationCallsNoWebAPI checks that no event waits for Slack's Web API while Slack waits for its
// ack: a person, a channel and a user group the directory does not know yet are translated with what the
// event says, and no users.info, usergroups.list or conversations.info call is made before the ack. (The
// adapter used to look people and the group list up inline.)
func TestTranslationCallsNoWebAPI(t *testing.T) {
	fake := fakeslack.New(t)
	fake.AddUser("UALICE", "Alice Smith", "alice")
	fake.AddUserGroup("STIER2", "UALICE")
	a, err := slack.New(slack.Config{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL(), CommandPrefix: "!"}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	// Known after Connect's load: Alice and her group. Not known: Bob (who joined since), the group he was
	// added to, and the channel Alice refers to.
	fake.AddUser("UBOB", "Bob Jones", "bob")
	fake.AddUserGroup("STIER3", "UBOB")
	fake.AddChannel("CNEW", "new-channel")
	lookups := func() int {
		return len(fake.Calls("users.info")) + len(fake.Calls("usergroups.list")) + len(fake.Calls("conversations.info")) + len(fake.Calls("users.list"))
	}
	before := lookups()

	h := &recorder{}
	done := make(chan struct{})
	go func() { _ = a.RunSocket(ctx, h); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	fake.WaitConnections(t, 1)

	fake.WaitAck(t, fake.SendEnvelope(t, fakeslack.EventsAPI("Ev1", map[string]any{"type": "message", "channel": "CHELP",
		"channel_type": "channel", "user": "UBOB", "text": "my vpn is down, see <#CNEW>", "ts": "1700000001.000100"}, 0)))
	if ev := h.nth(t, 0); ev.UserName != "" || len(ev.Roles) != 0 || ev.Text != "my vpn is down, see #CNEW" {
		t.Errorf("an unknown person's message: name %q, roles %v, text %q; want no name, no roles, the channel's id", ev.UserName, ev.Roles, ev.Text)
	}
	fake.WaitAck(t, fake.SendEnvelope(t, fakeslack.EventsAPI("Ev2", map[string]any{"type": "reaction_added", "user": "UALICE",
		"reaction": "raising_hand", "event_ts": "1700000002.000100",
		"item": map[string]any{"type": "message", "channel": "CTIER", "ts": "1700000000.000100"}}, 0)))
	if ev := h.nth(t, 1); ev.UserName != "alice" || !slices.Equal(ev.Roles, []string{"slack:subteam:STIER2"}) {
		t.Errorf("a known person's reaction: name %q, roles %v; want alice in STIER2", ev.UserName, ev.Roles)
	}
	fake.WaitAck(t, fake.SendEnvelope(t, fakeslack.Interactive(map[string]any{
		"type": "block_actions", "trigger_id": "trig1", "user": map[string]any{"id": "UBOB", "name": "bob.jones"},
		"channel":   map[string]any{"id": "CHELP"},
		"container": map[string]any{"type": "message", "channel_id": "CHELP", "message_ts": "1700000000.000100"},
		"message":   map[string]any{"ts": "1700000000.000100"},
		"actions": []any{map[string]any{"action_id": "solved", "block_id": "firstline_choices", "value": "solved", "type": "button",
			"action_ts": "1700000003.000100"}},
	})))
	if ev := h.nth(t, 2); ev.UserName != "bob.jones" {
		t.Errorf("an unknown person's click is named %q, want the name the payload carries", ev.UserName)
	}
	fake.WaitAck(t, fake.SendEnvelope(t, fakeslack.SlashCommand(map[string]string{"command": "/firstline", "text": "status",
		"user_id": "UBOB", "user_name": "bob.jones", "channel_id": "CHELP", "trigger_id": "trig2", "response_url": fake.ResponseURL()})))
	if ev := h.nth(t, 3); ev.UserName != "bob.jones" {
		t.Errorf("an unknown person's slash command is named %q, want the name the payload carries", ev.UserName)
	}
	if n := lookups() - before; n != 0 {
		t.Errorf("%d Web API lookups made while translating events; want none", n)
	}
}
