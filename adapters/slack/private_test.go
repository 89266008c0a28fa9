package slack_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
)

// escalate has alice ask in the help channel and ask for a human: T-000001 with its card in CTIER2.
func (d *desk) escalate() (question string, card fakeslack.Message) {
	d.t.Helper()
	q := d.say("UALICE", "CHELP", "", "My VPN will not connect")
	d.flush()
	answer := d.find("CHELP", q, "Talk to a human")
	d.click("UALICE", answer, q, bot.FeedbackHuman)
	d.flush()
	return q, d.find("CTIER2", "", "T-000001")
}

// slash types "/firstline TEXT" as user in channel, with a fresh response URL, and waits for the ack.
func (d *desk) slash(user, channel, text string) (responseURL string) {
	d.t.Helper()
	d.ts++
	responseURL = d.fake.ResponseURL()
	env := fakeslack.SlashCommand(map[string]string{"command": "/firstline", "text": text, "user_id": user,
		"user_name": strings.ToLower(user), "channel_id": channel, "channel_name": "random", "trigger_id": "trig" + tsOf(d.ts),
		"response_url": responseURL, "team_domain": "firstline"})
	d.fake.WaitAck(d.t, d.fake.SendEnvelope(d.t, env))
	return responseURL
}

// postedIn returns the messages posted with chat.postMessage in channel.
func (d *desk) postedIn(channel string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range d.fake.Posted() {
		if m.Channel == channel {
			out = append(out, m)
		}
	}
	return out
}

// TestSlashCommandWithTicketID checks "/firstline status T-000001" typed in a channel that is not the
// ticket's (Slack allows no slash command in a thread): the answer goes to the command's response_url
// as an ephemeral message, nothing is posted in the channel, and the permission rules are the thread's.
func TestSlashCommandWithTicketID(t *testing.T) {
	d := newDesk(t)
	d.escalate()

	url := d.slash("UALICE", "CRANDOM", "status T-000001")
	d.flush()
	got := d.fake.WaitResponses(t, 1)
	if got[0].URL != url || !got[0].Accepted || got[0].ResponseType != "ephemeral" || !strings.Contains(string(got[0].Blocks)+got[0].Text, "T-000001") {
		t.Fatalf("response: %+v", got[0])
	}
	if !strings.Contains(string(got[0].Blocks), "VPN") {
		t.Fatalf("the requester does not see her ticket's status: %s", got[0].Blocks)
	}

	// Bob may not see alice's ticket: the same words as for a ticket that does not exist.
	d.slash("UBOB", "CRANDOM", "status t-1")
	d.flush()
	got = d.fake.WaitResponses(t, 2)
	if strings.Contains(string(got[1].Blocks), "VPN") || !strings.Contains(string(got[1].Blocks), "find a ticket T-000001") {
		t.Fatalf("bob's answer: %s", got[1].Blocks)
	}

	// Tom works it from his tier's channel: the change is made, its answer private too.
	d.slash("UTOM", "CTIER2", "priority T-000001 p1")
	d.flush()
	d.fake.WaitResponses(t, 3)
	if tk := d.ticket("T-000001"); tk.Priority != "P1" {
		t.Fatalf("priority by slash command: %s; responses %+v", tk.Priority, d.fake.Responses())
	}
	if n := len(d.postedIn("CRANDOM")); n != 0 {
		t.Fatalf("%d messages posted in the channel the commands were typed in:\n%s", n, dump(d.postedIn("CRANDOM")))
	}
	for _, r := range d.fake.Responses() {
		if r.ResponseType != "ephemeral" {
			t.Fatalf("a reply for everyone: %+v", r)
		}
	}
}

// TestSlashCommandRedelivered checks that a slash command delivered twice (Slack retries an envelope
// not acknowledged in time, with the same trigger id) is answered once.
func TestSlashCommandRedelivered(t *testing.T) {
	d := newDesk(t)
	env := fakeslack.SlashCommand(map[string]string{"command": "/firstline", "text": "status", "user_id": "UALICE",
		"channel_id": "CRANDOM", "trigger_id": "trigTwice", "response_url": d.fake.ResponseURL()})
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, env))
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, env))
	d.flush()
	d.fake.WaitResponses(t, 1)
	d.flush()
	if n := len(d.fake.Responses()); n != 1 {
		t.Fatalf("%d answers to one command: %+v", n, d.fake.Responses())
	}
}

// TestSlashCommandAckedWhileSlackIsSlow checks that a slash command is acknowledged while Slack's lookups
// hang (Slack gives an app 3 s before it tells the user the command failed): translation makes none, it
// reads the adapter's directory, which RunDirectory refreshes in the background.
func TestSlashCommandAckedWhileSlackIsSlow(t *testing.T) {
	d := newDesk(t)
	releaseUsers := d.fake.Hold("users.info")
	releaseGroups := d.fake.Hold("usergroups.list")
	defer releaseGroups()
	defer releaseUsers()
	env := fakeslack.SlashCommand(map[string]string{"command": "/firstline", "text": "help", "user_id": "UALICE",
		"channel_id": "CRANDOM", "trigger_id": "trigSlow", "response_url": d.fake.ResponseURL()})
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, env))
	d.flush()
	d.fake.WaitResponses(t, 1)
}

// TestPrivateReplyFallbacks checks where a private reply goes when the response_url cannot take it: used
// five times or expired, an ephemeral message in the channel; the bot not in the channel, a DM. Never a
// message in the channel.
func TestPrivateReplyFallbacks(t *testing.T) {
	fake := fakeslack.New(t)
	a, err := slack.New(slack.Config{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL()}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	url := fake.ResponseURL()
	p := bot.Post{Channel: "CRANDOM", To: "slack:UALICE", ReplyTo: url, Text: "**T-000001** is open"}
	for range 6 {
		if _, err := a.PostPrivate(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fake.Responses()); n != 5 {
		t.Fatalf("%d posts to the response URL, want Slack's 5", n)
	}
	eph := fake.Calls("chat.postEphemeral")
	if len(eph) != 1 || eph[0].Form.Get("channel") != "CRANDOM" || eph[0].Form.Get("user") != "UALICE" {
		t.Fatalf("the sixth reply: ephemeral calls %+v", eph)
	}

	// Expired: Slack refuses the URL, the reply is ephemeral all the same.
	url2 := fake.ResponseURL()
	fake.ExpireResponses()
	if _, err := a.PostPrivate(ctx, bot.Post{Channel: "CRANDOM", To: "slack:UALICE", ReplyTo: url2, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if r := fake.Responses(); r[len(r)-1].Accepted || len(fake.Calls("chat.postEphemeral")) != 2 {
		t.Fatalf("expired URL: responses %+v, ephemeral calls %d", r[len(r)-1], len(fake.Calls("chat.postEphemeral")))
	}

	// Neither: a DM.
	fake.FailNext("chat.postEphemeral", "not_in_channel")
	ref, err := a.PostPrivate(ctx, bot.Post{Channel: "CPRIVATE", To: "slack:UALICE", ReplyTo: url2, Text: "hi"})
	if err != nil || ref.Channel != "DUALICE" {
		t.Fatalf("DM fallback: %+v %v", ref, err)
	}
	for _, m := range fake.Posted() {
		if m.Channel != "DUALICE" {
			t.Fatalf("posted in %s: %+v", m.Channel, m)
		}
	}

	// A URL that is not Slack's (nor the configured API's host) is never posted to.
	if _, err := a.PostPrivate(ctx, bot.Post{Channel: "CRANDOM", To: "slack:UALICE", ReplyTo: "https://evil.example.com/x", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls("chat.postEphemeral")); n != 4 {
		t.Fatalf("a foreign response URL: %d ephemeral calls, want 4", n)
	}
}

// TestPrivateReplyRetriedPrivately checks that a private reply whose first attempt failed (Slack rate
// limited the ephemeral message) is retried privately, never in the channel.
func TestPrivateReplyRetriedPrivately(t *testing.T) {
	d := newDesk(t)
	d.fake.ExpireResponses() // every URL refused: the reply goes through chat.postEphemeral
	d.fake.RateLimit("chat.postEphemeral", time.Second, 1)
	env := fakeslack.SlashCommand(map[string]string{"command": "/firstline", "text": "status", "user_id": "UALICE",
		"channel_id": "CRANDOM", "trigger_id": "trigRetry", "response_url": d.fake.ResponseURL()})
	d.fake.ExpireResponses()
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, env))
	calls := d.fake.WaitCalls(t, "chat.postEphemeral", 2)
	if calls[1].Form.Get("user") != "UALICE" || !strings.Contains(calls[1].Form.Get("blocks"), "no open tickets") {
		t.Fatalf("retried reply: %+v", calls[1].Form)
	}
	if n := len(d.postedIn("CRANDOM")); n != 0 {
		t.Fatalf("the reply went to the channel: %s", dump(d.postedIn("CRANDOM")))
	}
	var blocks []map[string]any
	_ = json.Unmarshal([]byte(calls[1].Form.Get("blocks")), &blocks)
	if len(blocks) == 0 {
		t.Fatalf("ephemeral reply without blocks: %+v", calls[1].Form)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestSlashHelpIsPrivate: "/firstline help", and "/firstline" alone, are answered through the command's
// response_url as ephemeral messages, with nothing posted in the channel.
func TestSlashHelpIsPrivate(t *testing.T) {
	d := newDesk(t)
	urls := []string{d.slash("UBOB", "CRANDOM", "help"), d.slash("UBOB", "CRANDOM", "")}
	d.flush()
	got := d.fake.WaitResponses(t, 2)
	for i, r := range got {
		if r.URL != urls[i] || r.ResponseType != "ephemeral" || !strings.Contains(r.Text+string(r.Blocks), "status") {
			t.Fatalf("answer %d: %+v", i, r)
		}
	}
	if n := len(d.postedIn("CRANDOM")); n != 0 {
		t.Fatalf("%d messages posted in the channel:\n%s", n, dump(d.postedIn("CRANDOM")))
	}
}
