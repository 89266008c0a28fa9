package slack_test

import (
	"encoding/json"
	"testing"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/adapters/webhook"
	"github.com/firstline-desk/firstline/adapters/webhook/fakewebhook"
	"github.com/firstline-desk/firstline/bot"
)

// addMember is an action whose user parameter is someone else than the requester, resolved to their
// email address, posted to target with the group; no approval, so that a request runs at once.
func addMember(t *testing.T, target *fakewebhook.Target) bot.ActionDef {
	t.Helper()
	r, err := webhook.New(webhook.Config{URL: target.URL + "/members", Body: `{"user": "{{user}}", "group": "{{group}}"}`, Secret: actionsSecret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return bot.ActionDef{ID: "add-member", Title: "Add someone to a group", Runner: r, Params: []bot.ActionParam{
		{Name: "user", Type: bot.ParamUser, Resolve: "email", Required: true},
		{Name: "group", Type: bot.ParamEnum, Choices: []string{"finance", "hr"}, Required: true},
	}}
}

// TestSlackMentionFillsUserParameter: "!run add-member user=<@U…>" names the person by a Slack mention,
// which the engine's Markdown shows as @name; the runner still gets that person's email address, for a
// display name with a space in it too.
func TestSlackMentionFillsUserParameter(t *testing.T) {
	for _, c := range []struct{ name, text, want string }{
		{"display name", "!run add-member user=<@UTOM> group=hr", "tom@example.com"},
		{"a name with a space, last", "!run add-member group=hr user=<@USARA>", "sara@example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			target := fakewebhook.New(actionsSecret)
			defer target.Close()
			d := newActionsDesk(t, target, addMember(t, target))
			d.fake.AddUser("USARA", "Sara Lee", "Sara Lee")
			d.fake.SetUserEmail("USARA", "sara@example.com")
			d.fake.SetUserEmail("UTOM", "tom@example.com")
			d.say("UALICE", "DALICE", "", c.text)
			d.flush()
			calls := waitCalls(t, target, 1)
			var body map[string]string
			if err := json.Unmarshal(calls[0].Body, &body); err != nil || body["user"] != c.want || body["group"] != "hr" {
				t.Fatalf("body %s (%v), want user %s", calls[0].Body, err, c.want)
			}
		})
	}
}

// TestSlackSlashCommandMention: "/firstline run add-member user=@tom", which Slack sends as <@UTOM|tom>
// because the manifest asks for escaped commands (should_escape), runs for tom too.
func TestSlackSlashCommandMention(t *testing.T) {
	target := fakewebhook.New(actionsSecret)
	defer target.Close()
	d := newActionsDesk(t, target, addMember(t, target))
	d.fake.SetUserEmail("UTOM", "tom@example.com")
	env := fakeslack.SlashCommand(map[string]string{"command": "/firstline", "text": "run add-member user=<@UTOM|tom> group=hr",
		"user_id": "UALICE", "user_name": "alice", "channel_id": "CRANDOM", "trigger_id": "trigS1", "team_id": "T1"})
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, env))
	d.flush()
	calls := waitCalls(t, target, 1)
	var body map[string]string
	if err := json.Unmarshal(calls[0].Body, &body); err != nil || body["user"] != "tom@example.com" {
		t.Fatalf("body %s (%v)", calls[0].Body, err)
	}
}

// TestSlackMentionOfNobodyKnownIsRefused: an @name typed as text is no Slack mention and names nobody:
// the request is refused with what to write, and nothing is called. A mention of an id Slack does not
// know is Slack's reference still: its run fails before the call, as the email address is not known.
func TestSlackMentionOfNobodyKnownIsRefused(t *testing.T) {
	target := fakewebhook.New(actionsSecret)
	defer target.Close()
	d := newActionsDesk(t, target, addMember(t, target))
	d.say("UALICE", "DALICE", "", "!run add-member user=@tom group=hr")
	d.flush()
	d.find("DALICE", "-", "I can't tell who @tom is")
	d.say("UALICE", "DALICE", "", "!run add-member user=<@UNOBODY> group=hr")
	d.flush()
	d.find("DALICE", "-", "the email address of slack:UNOBODY is not known")
	if n := len(target.Calls()); n != 0 {
		t.Fatalf("%d calls", n)
	}
}
