package crossplatform_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

// longWiFi is an article of about 7,500 characters: more than a Discord message, a Slack section or
// Slack's total for one message's blocks would take in one piece, with a code block across the middle.
func longWiFi() kb.Article {
	var b strings.Builder
	for i := 1; b.Len() < 7000; i++ {
		fmt.Fprintf(&b, "Step %d. Open **Settings**, choose the network CORP-%d and wait until it says connected.\n\n", i, i)
		if i == 20 {
			b.WriteString("```powershell\n")
			for j := 1; j <= 40; j++ {
				fmt.Fprintf(&b, "netsh wlan show profile name=CORP-%d key=clear\n", j)
			}
			b.WriteString("```\n\n")
		}
	}
	b.WriteString("Last step: restart the laptop.")
	return kb.Article{ID: "wifi-every-step", Title: "Office Wi-Fi every step", Body: b.String()}
}

// newLongDesk starts a desk whose knowledge base has the long article, with the requester and the tier
// on the platform named.
func newLongDesk(t *testing.T, name string) platform {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "data.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	help := map[string]string{"slack": "slack:CHELP", "discord": "discord:" + dHelp}[name]
	tier := map[string]string{"slack": "slack:CTIER", "discord": "discord:" + dTier}[name]
	cfg := bot.Config{
		Name: "Firstline", CommandPrefix: "!", HelpChannels: []string{help},
		Tiers:     []bot.Tier{{ID: "tier2", Name: "Tier 2", Channel: tier, Members: []string{"slack:UTOM", "discord:" + dTom}}},
		Reactions: bot.DefaultReactions, MinConfidence: kb.DefaultMinConfidence, SuggestConfidence: kb.DefaultMinConfidence / 2,
		ReopenWindow: 7 * 24 * time.Hour, DefaultPriority: "P3",
	}
	lib := kb.NewLibrary([]kb.Article{longWiFi(),
		{ID: "vpn-connect", Title: "Connect to the VPN", Body: "Open Example VPN and sign in with your company account."},
		{ID: "printer", Title: "Printer jams", Body: "Open tray 2 and remove the paper."}}, kb.Options{})
	engine, err := bot.New(cfg, db, lib, bot.SystemClock{}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	var side platform
	switch name {
	case "slack":
		side = newSlack(t, ctx, engine)
	case "discord":
		side = newDiscord(t, ctx, engine)
	}
	done := make(chan struct{})
	go func() { _ = engine.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return side
}

// posted is one message the bot sent into a thread, as its platform holds it.
type posted struct {
	text    string
	buttons bool
}

// threadPosts returns the bot's messages in the thread, oldest first, checking each against the
// platform's limits.
func threadPosts(t *testing.T, side platform, thread string) []posted {
	t.Helper()
	var out []posted
	switch s := side.(type) {
	case *slackSide:
		for _, m := range s.fake.Posted() {
			if m.ThreadTS != thread {
				continue
			}
			var blocks []struct {
				Type string `json:"type"`
			}
			_ = json.Unmarshal(m.Blocks, &blocks)
			p := posted{text: slackText(m)}
			for _, b := range blocks {
				p.buttons = p.buttons || b.Type == "actions"
			}
			if len(blocks) > fakeslack.MaxBlocks || utf8.RuneCountInString(p.text) > fakeslack.MaxBlocksText {
				t.Errorf("a Slack message over the limits: %d blocks, %d characters", len(blocks), utf8.RuneCountInString(p.text))
			}
			out = append(out, p)
		}
	case *discordSide:
		for _, m := range s.fake.Sent() {
			if m.ChannelID != thread {
				continue
			}
			if n := utf8.RuneCountInString(m.Content); n > 2000 {
				t.Errorf("a Discord message of %d characters", n)
			}
			c := strings.TrimSpace(string(m.Components))
			out = append(out, posted{text: m.Content, buttons: c != "" && c != "null" && c != "[]"})
		}
	}
	return out
}

// TestLongAnswerOnEachPlatform: an article longer than a platform's message is posted whole, through the
// real adapter, as messages each within the platform's limits, in order, each code block closed where it
// is cut, and the buttons only under the last; and a technician's long reply reaches the requester whole.
func TestLongAnswerOnEachPlatform(t *testing.T) {
	a := longWiFi()
	for _, name := range []string{"slack", "discord"} {
		t.Run(name, func(t *testing.T) {
			side := newLongDesk(t, name)
			thread := side.ask("office wifi every step")
			side.find(thread, false, "Did this solve it?")
			msgs := threadPosts(t, side, thread)
			if name == "discord" && len(msgs) < 4 {
				t.Fatalf("%d Discord messages for a 7,500-character answer", len(msgs))
			}
			var all strings.Builder
			for i, m := range msgs {
				if strings.Count(m.text, "```")%2 != 0 {
					t.Errorf("message %d leaves a code block open", i)
				}
				if m.buttons != (i == len(msgs)-1) {
					t.Errorf("message %d of %d: buttons %v", i+1, len(msgs), m.buttons)
				}
				all.WriteString(m.text + "\n")
			}
			at := 0
			for _, line := range strings.Split(a.Body, "\n") {
				want := strings.ReplaceAll(line, "**", "")
				if strings.HasPrefix(want, "```") || want == "" {
					continue
				}
				if name == "slack" {
					want = strings.ReplaceAll(want, "Settings", "*Settings*")
				} else {
					want = line
				}
				i := strings.Index(all.String()[at:], want)
				if i < 0 {
					t.Fatalf("%q is missing, or out of order", want)
				}
				at += i + len(want)
			}

			// A technician's long reply, relayed.
			side.write("alice", thread, false, "!escalate")
			card := side.card("T-000001")
			// Slack takes 40,000 characters from a person, and a message's blocks take about 12,000.
			reply := strings.Repeat("Hold the power button for ten seconds, then try again. ", 250) + "END-OF-REPLY"
			if name == "discord" {
				reply = reply[:1800] + "END-OF-REPLY" // what one Discord message can hold
			}
			side.write("tom", card, true, reply)
			side.find(thread, false, "END-OF-REPLY")
			got := ""
			for _, m := range threadPosts(t, side, thread) {
				got += m.text + " "
			}
			if want := strings.Count(reply, "Hold the power"); strings.Count(got, "Hold the power") != want {
				t.Fatalf("the relay lost text: %d of %d sentences", strings.Count(got, "Hold the power"), want)
			}
		})
	}
}
