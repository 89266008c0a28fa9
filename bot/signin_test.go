package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// links is a fake web console: it records whom it made links for.
type links struct{ made []string }

func (l *links) SignInLink(user string, now time.Time) (string, time.Time, error) {
	if !strings.HasPrefix(user, "test:") {
		return "", time.Time{}, bot.Errorf(bot.EINVALID, "not a user")
	}
	l.made = append(l.made, user)
	return "https://desk.example.com/signin/link/TOKEN-" + strings.TrimPrefix(user, "test:"), now.Add(15 * time.Minute), nil
}

func TestWebSendsASignInLinkByDM(t *testing.T) {
	db := openStore(t, "")
	d := bottest.NewDesk(t, testConfig(), db, testLibrary())
	l := &links{}
	d.Engine.SetSignIn(l)

	// In a DM, the answer is the link.
	d.Say(alice, "@alice", "!web")
	m := d.Chat.Last("@alice")
	if m == nil || !strings.Contains(m.Text(), "/signin/link/TOKEN-alice") || !strings.Contains(m.Text(), "15 minutes") {
		t.Fatalf("DM answer: %+v", m)
	}
	// In a channel, the link goes to the DM; the channel hears only that it was sent.
	before := d.Chat.Count()
	d.Say(tom, "tier2", "!web")
	var inChannel, inDM []string
	for _, m := range d.Chat.Messages("")[before:] {
		if m.Post.DM == tom {
			inDM = append(inDM, m.Text())
		} else {
			inChannel = append(inChannel, m.Text())
		}
	}
	if len(inDM) != 1 || !strings.Contains(inDM[0], "TOKEN-tom") {
		t.Fatalf("DM: %q", inDM)
	}
	if len(inChannel) != 1 || strings.Contains(inChannel[0], "TOKEN") || !strings.Contains(inChannel[0], "direct message") {
		t.Fatalf("in the channel: %q", inChannel)
	}
	if len(l.made) != 2 {
		t.Fatalf("links made: %v", l.made)
	}
	entries, err := db.AuditEntries(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var audited []string
	for _, e := range entries {
		if e.Action == "web.link" {
			audited = append(audited, e.Actor+">"+e.Target)
		}
	}
	if strings.Join(audited, ",") != alice+">"+alice+","+tom+">"+tom {
		t.Fatalf("web.link audit: %v", audited)
	}
}

func TestWebWithoutConsole(t *testing.T) {
	d := bottest.NewDesk(t, testConfig(), openStore(t, ""), testLibrary())
	d.Say(alice, "@alice", "!web")
	if m := d.Chat.Last("@alice"); m == nil || !strings.Contains(m.Text(), "not turned on") {
		t.Fatalf("answer: %+v", m)
	}
	d.Say(alice, "@alice", "!help")
	if strings.Contains(d.Chat.Last("@alice").Text(), "!web") {
		t.Fatalf("the help offers !web without a console")
	}
	d.Engine.SetSignIn(&links{})
	d.Say(alice, "@alice", "!help")
	if !strings.Contains(d.Chat.Last("@alice").Text(), "`!web`: a link to the web console") {
		t.Fatalf("the help does not offer !web: %s", d.Chat.Last("@alice").Text())
	}
}
