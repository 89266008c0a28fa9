package bot_test

import (
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// newMemberDesk is a desk with add-member: a user parameter (resolved to an email address) and a group,
// no approval, so that a request runs at once.
func newMemberDesk(t *testing.T) (*bottest.Desk, *bottest.Runner) {
	t.Helper()
	member := bottest.Succeeding("ok")
	cfg := actionsConfig(bottest.Succeeding(""), bottest.Succeeding(""), bottest.Succeeding(""))
	cfg.Actions = append(cfg.Actions, bot.ActionDef{ID: "add-member", Title: "Add someone to a group", Runner: member,
		Params: []bot.ActionParam{
			{Name: "user", Type: bot.ParamUser, Resolve: "email", Required: true},
			{Name: "group", Type: bot.ParamEnum, Choices: []string{"finance", "hr"}, Required: true},
		}})
	d := bottest.NewDesk(t, cfg, openStore(t, ""), actionsLibrary())
	d.Chat.Emails = map[string]string{"test:U1": "ann@example.com", "test:U2": "ann.other@example.com", "test:U3": "snake@example.com"}
	return d, member
}

// sayMentioning is what an adapter hands over for a message that mentions people: its text shows them
// as @name, and Mentions says who they are.
func sayMentioning(d *bottest.Desk, text string, mentions ...bot.Mention) {
	d.T.Helper()
	if err := d.Handle(bot.Event{Kind: bot.EventMessage, ID: text, Channel: "@alice", Message: text, User: alice, UserName: "alice",
		DM: true, Text: text, Mentions: mentions}); err != nil {
		d.T.Fatal(err)
	}
}

// TestMentionFillsUserParameter: a person named by a mention fills a user parameter, whatever their
// name holds (spaces, Markdown escapes), quoted or not, and the runner gets their email address.
func TestMentionFillsUserParameter(t *testing.T) {
	ann := bot.Mention{User: "test:U1", Name: "Ann Lee"}
	for _, c := range []struct {
		name, text string
		mentions   []bot.Mention
		want       string
	}{
		{"a name with a space", "!run add-member user=@Ann Lee group=hr", []bot.Mention{ann}, "ann@example.com"},
		{"last, quoted", `!run add-member group=hr user="@Ann Lee"`, []bot.Mention{ann}, "ann@example.com"},
		{"the longest name wins", "!run add-member user=@Ann Lee group=hr", []bot.Mention{{User: "test:U2", Name: "Ann"}, ann}, "ann@example.com"},
		{"the shorter when it is all", "!run add-member user=@Ann group=hr", []bot.Mention{ann, {User: "test:U2", Name: "Ann"}}, "ann.other@example.com"},
		{"escaped in the Markdown", `!run add-member user=@snake\_case group=hr`, []bot.Mention{{User: "test:U3", Name: "snake_case"}}, "snake@example.com"},
		{"an id still works", "!run add-member user=test:U1 group=hr", nil, "ann@example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, member := newMemberDesk(t)
			sayMentioning(d, c.text, c.mentions...)
			calls := member.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d calls; said:\n%s", len(calls), allText(d, "@alice"))
			}
			if got := calls[0].Params["user"]; got != c.want || calls[0].Params["group"] != "hr" {
				t.Fatalf("params %v, want user %s", calls[0].Params, c.want)
			}
		})
	}
}

// TestMentionOfNobodyKnownIsRefused: "@name" that no mention of the message identifies (typed as
// text, or a mention the platform could not resolve) is refused with what to write instead, and so is
// a name two people mentioned share; nothing runs.
func TestMentionOfNobodyKnownIsRefused(t *testing.T) {
	for _, c := range []struct {
		name, text string
		mentions   []bot.Mention
		want       string
	}{
		{"typed as text", "!run add-member user=@bob group=hr", nil, "I can't tell who @bob is"},
		{"another person mentioned", "!run add-member user=@bob group=hr", []bot.Mention{{User: "test:U1", Name: "bobby"}}, "I can't tell who @bob is"},
		{"two people of one name", "!run add-member user=@Ann group=hr", []bot.Mention{{User: "test:U1", Name: "Ann"}, {User: "test:U2", Name: "Ann"}}, "could be more than one"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, member := newMemberDesk(t)
			sayMentioning(d, c.text, c.mentions...)
			if n := len(member.Calls()); n != 0 {
				t.Fatalf("%d calls", n)
			}
			said := allText(d, "@alice")
			mustContain(t, "the refusal", said, c.want)
			if strings.Contains(said, "A-000001") {
				t.Fatalf("a run was recorded:\n%s", said)
			}
		})
	}
}
