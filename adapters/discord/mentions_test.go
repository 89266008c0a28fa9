package discord_test

import (
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// newMemberDesk is a desk with add-member: a user parameter passed to the runner as the person's id,
// and a group; no approval, so that a request runs at once. It returns the DM channel alice writes in.
func newMemberDesk(t *testing.T) (*desk, *bottest.Runner, string) {
	t.Helper()
	member := bottest.Succeeding("ok")
	cfg := testConfig("discord:" + tier2)
	cfg.Actions = []bot.ActionDef{{ID: "add-member", Title: "Add someone to a group", Runner: member, Params: []bot.ActionParam{
		{Name: "user", Type: bot.ParamUser, Required: true},
		{Name: "group", Type: bot.ParamEnum, Choices: []string{"finance", "hr"}, Required: true},
	}}}
	d := newDesk(t, cfg)
	dm := "700000000000000001"
	d.fake.AddChannel(dm, "", 1)
	return d, member, dm
}

// sayMentioning dispatches alice's message in channel, with the users Discord says it mentions.
func (d *desk) sayMentioning(channel, text string, mentioned ...map[string]any) {
	d.t.Helper()
	mentions := []any{}
	for _, m := range mentioned {
		mentions = append(mentions, m)
	}
	d.fake.Dispatch(d.t, "MESSAGE_CREATE", map[string]any{"id": d.id(), "channel_id": channel, "content": text, "type": 0,
		"timestamp": time.Now().Format(time.RFC3339), "author": map[string]any{"id": alice, "username": "alice"}, "mentions": mentions})
}

// TestDiscordMentionFillsUserParameter: "!run add-member user=<@id>" names the person by a Discord
// mention, which the engine's Markdown shows as @name (escaped where the name holds Markdown); the
// runner still gets that person's id.
func TestDiscordMentionFillsUserParameter(t *testing.T) {
	for _, c := range []struct {
		name, text string
		user       map[string]any
	}{
		{"a global name with a space", "!run add-member user=<@" + tom + "> group=hr", map[string]any{"id": tom, "username": "tom", "global_name": "Tom Jones"}},
		{"a nickname mention, a name with Markdown in it", "!run add-member group=hr user=<@!" + tom + ">", map[string]any{"id": tom, "username": "tom_the_*tech*"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, member, dm := newMemberDesk(t)
			d.sayMentioning(dm, c.text, c.user)
			d.find(dm, "succeeded")
			calls := member.Calls()
			if len(calls) != 1 || calls[0].Params["user"] != "discord:"+tom || calls[0].Params["group"] != "hr" {
				t.Fatalf("calls %+v", calls)
			}
		})
	}
}

// TestDiscordMentionOfNobodyKnownIsRefused: a <@id> Discord did not resolve (not among the message's
// mentions), or an @name typed as text, names nobody: refused with what to write, nothing run.
func TestDiscordMentionOfNobodyKnownIsRefused(t *testing.T) {
	d, member, dm := newMemberDesk(t)
	d.sayMentioning(dm, "!run add-member user=<@299999999999999999> group=hr")
	d.find(dm, "I can't tell who @299999999999999999 is")
	d.sayMentioning(dm, "!run add-member user=@tom group=hr")
	d.find(dm, "I can't tell who @tom is")
	if n := len(member.Calls()); n != 0 {
		t.Fatalf("%d calls", n)
	}
}
