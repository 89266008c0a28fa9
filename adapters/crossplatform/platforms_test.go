package crossplatform_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/console"
	"github.com/firstline-desk/firstline/adapters/discord"
	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/adapters/slack"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// A platform of the test desk: the real adapter on its fake (Slack, Discord) or on a pipe (the console),
// wired to the engine, and driven as its people would.
type platform interface {
	name() string
	help() string // the help channel, as the config names it ("slack:CHELP")
	tier() string // the tier channel, as the config names it
	// ask writes a top-level question in the help channel as the requester and returns the thread of
	// their ticket.
	ask(text string) string
	// write writes text as who ("alice", "tom") in a thread of the help or the tier channel.
	write(who, thread string, inTier bool, text string)
	// card returns the thread of the tier card that mentions want.
	card(want string) string
	// find returns the text of the bot's message in the thread (of the help or tier channel) that
	// contains marker, waiting for it.
	find(thread string, inTier bool, marker string) string
	// see reads a text the bot posted here as its people see it.
	see(text string) view
	// typed is what a person here types for a case; seen reads it as they see it.
	typed(c formatCase) string
	seen(text string) view
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// waitText polls get (flushing the engine first) until it returns a text, for 10 s.
func waitText(t *testing.T, e *bot.Engine, what string, get func() (string, bool)) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = e.Flush(context.Background())
		if s, ok := get(); ok {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// --- Slack ---

var slackUsers = map[string]string{"UALICE": "alice", "UTOM": "tom", "USARA": "sara"}

type slackSide struct {
	t    *testing.T
	e    *bot.Engine
	fake *fakeslack.Server
	mu   sync.Mutex
	ts   int
}

func newSlack(t *testing.T, ctx context.Context, e *bot.Engine) *slackSide {
	fake := fakeslack.New(t)
	for id, n := range slackUsers {
		fake.AddUser(id, n+" Smith", n)
	}
	fake.AddChannel("CGEN", "general")
	a, err := slack.New(slack.Config{BotToken: "xoxb-t", AppToken: "xapp-t", APIURL: fake.APIURL(), CommandPrefix: "!"}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	e.AddChat(a)
	done := make(chan struct{}, 2)
	go func() { _ = a.RunSocket(ctx, e); done <- struct{}{} }()
	go func() { a.RunDirectory(ctx); done <- struct{}{} }()
	t.Cleanup(func() { <-done; <-done })
	fake.WaitConnections(t, 1)
	return &slackSide{t: t, e: e, fake: fake, ts: 100}
}

func (s *slackSide) name() string { return "slack" }
func (s *slackSide) help() string { return "slack:CHELP" }
func (s *slackSide) tier() string { return "slack:CTIER" }

func (s *slackSide) say(user, channel, thread, text string) string {
	s.mu.Lock()
	s.ts++
	ts := fmt.Sprintf("1700000%03d.000100", s.ts)
	s.mu.Unlock()
	ev := map[string]any{"type": "message", "channel": channel, "channel_type": "channel", "user": user, "text": text, "ts": ts}
	if thread != "" {
		ev["thread_ts"] = thread
	}
	s.fake.WaitAck(s.t, s.fake.SendEnvelope(s.t, fakeslack.EventsAPI("Ev"+ts, ev, 0)))
	return ts
}

func (s *slackSide) ask(text string) string { return s.say("UALICE", "CHELP", "", text) }

func (s *slackSide) write(who, thread string, inTier bool, text string) {
	channel := "CHELP"
	if inTier {
		channel = "CTIER"
	}
	s.say("U"+strings.ToUpper(who), channel, thread, text)
}

// text is what a Slack message shows: its sections' mrkdwn.
func slackText(m fakeslack.Message) string {
	var blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	_ = json.Unmarshal(m.Blocks, &blocks)
	var parts []string
	for _, b := range blocks {
		if b.Type == "section" && b.Text != nil {
			parts = append(parts, b.Text.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func (s *slackSide) card(want string) string {
	return waitText(s.t, s.e, "a card on Slack", func() (string, bool) {
		for _, m := range s.fake.Posted() {
			if m.Channel == "CTIER" && m.ThreadTS == "" && strings.Contains(string(m.Blocks), want) {
				return m.TS, true
			}
		}
		return "", false
	})
}

func (s *slackSide) find(thread string, inTier bool, marker string) string {
	channel := "CHELP"
	if inTier {
		channel = "CTIER"
	}
	return waitText(s.t, s.e, marker+" on Slack", func() (string, bool) {
		for _, m := range s.fake.Posted() {
			if m.Channel == channel && m.ThreadTS == thread && strings.Contains(slackText(m), marker) {
				return slackText(m), true
			}
		}
		return "", false
	})
}

func (s *slackSide) see(text string) view      { return slackView(text, slackUsers) }
func (s *slackSide) typed(c formatCase) string { return c.slack }
func (s *slackSide) seen(text string) view     { return slackView(text, slackUsers) }

// --- Discord ---

const (
	dHelp  = "100000000000000001"
	dTier  = "100000000000000002"
	dGen   = "100000000000000009"
	dAlice = "200000000000000001"
	dTom   = "200000000000000002"
	dSara  = "200000000000000003"
)

var (
	discordUsers    = map[string]string{dAlice: "alice", dTom: "tom", dSara: "sara"}
	discordChannels = map[string]string{dGen: "channel-" + dGen, dHelp: "channel-" + dHelp}
)

type discordSide struct {
	t    *testing.T
	e    *bot.Engine
	fake *fakediscord.Server
	mu   sync.Mutex
	next int64
}

func newDiscord(t *testing.T, ctx context.Context, e *bot.Engine) *discordSide {
	fake := fakediscord.New(t)
	for _, ch := range []string{dHelp, dTier, dGen} {
		fake.AddChannel(ch, "", 0)
	}
	a, err := discord.New(discord.Config{Token: "test-token", APIURL: fake.URL(), HelpChannels: []string{dHelp}}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	e.AddChat(a)
	done := make(chan struct{})
	go func() { _ = a.Run(ctx, e); close(done) }()
	t.Cleanup(func() {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	})
	fake.WaitIdentifies(t, 1)
	fake.WaitHeartbeat(t)
	return &discordSide{t: t, e: e, fake: fake, next: 500000000000000000}
}

func (d *discordSide) name() string { return "discord" }
func (d *discordSide) help() string { return "discord:" + dHelp }
func (d *discordSide) tier() string { return "discord:" + dTier }

func (d *discordSide) id() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.next++
	return fmt.Sprint(d.next)
}

func discordID(who string) string {
	for id, n := range discordUsers {
		if n == who {
			return id
		}
	}
	return ""
}

// say dispatches a message; mentions lists the users its <@id> tokens name, as Discord does.
func (d *discordSide) say(who, channel, text string, reference string) string {
	id := d.id()
	var mentions []map[string]any
	for uid, n := range discordUsers {
		if strings.Contains(text, "<@"+uid+">") {
			mentions = append(mentions, map[string]any{"id": uid, "username": n})
		}
	}
	m := map[string]any{"id": id, "channel_id": channel, "guild_id": fakediscord.GuildID, "content": text, "type": 0,
		"timestamp": time.Now().Format(time.RFC3339), "author": map[string]any{"id": discordID(who), "username": who},
		"member": map[string]any{"roles": []string{}}, "mentions": mentions}
	if reference != "" {
		m["type"] = 19
		m["message_reference"] = map[string]any{"message_id": reference, "channel_id": channel}
	}
	d.fake.Dispatch(d.t, "MESSAGE_CREATE", m)
	return id
}

func (d *discordSide) ask(text string) string { return d.say("alice", dHelp, text, "") }

func (d *discordSide) write(who, thread string, inTier bool, text string) {
	if inTier {
		d.say(who, dTier, text, thread) // a reply to the card: in its thread
		return
	}
	d.say(who, thread, text, "")
}

func (d *discordSide) card(want string) string {
	return waitText(d.t, d.e, "a card on Discord", func() (string, bool) {
		for _, m := range d.fake.Sent() {
			if m.ChannelID == dTier && strings.Contains(string(m.Embeds), want) {
				return m.ID, true
			}
		}
		return "", false
	})
}

func (d *discordSide) find(thread string, inTier bool, marker string) string {
	return waitText(d.t, d.e, marker+" on Discord", func() (string, bool) {
		for _, m := range d.fake.Sent() {
			if m.ChannelID == thread && strings.Contains(m.Content, marker) {
				if !strings.Contains(string(m.AllowedMentions), `"parse":[]`) {
					d.t.Errorf("a relay sent with mentions allowed: %s", m.AllowedMentions)
				}
				return m.Content, true
			}
		}
		return "", false
	})
}

func (d *discordSide) see(text string) view {
	return mdView(text, discordUsers, discordChannels, true)
}
func (d *discordSide) typed(c formatCase) string { return c.discord }
func (d *discordSide) seen(text string) view {
	return mdView(text, discordUsers, discordChannels, true)
}

// --- the console ---

// lockedBuffer is the console's output, read while it writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type consoleSide struct {
	t     *testing.T
	e     *bot.Engine
	in    *io.PipeWriter
	out   *lockedBuffer
	marks int
}

func newConsole(t *testing.T, ctx context.Context, e *bot.Engine, db *storage.DB) *consoleSide {
	a := console.New(console.Config{Users: []console.User{{Name: "alice"}, {Name: "tom"}}, Channels: []string{"help", "tier2"}},
		db.Adapter("console"), quiet())
	e.AddChat(a)
	pr, pw := io.Pipe()
	out := &lockedBuffer{}
	done := make(chan struct{})
	go func() { _ = a.Run(ctx, e, pr, out, false); close(done) }()
	t.Cleanup(func() { _ = pw.Close(); <-done })
	return &consoleSide{t: t, e: e, in: pw, out: out}
}

func (c *consoleSide) name() string { return "console" }
func (c *consoleSide) help() string { return "console:help" }
func (c *consoleSide) tier() string { return "console:tier2" }

// lines types lines and waits until the console has handled them.
func (c *consoleSide) lines(ls ...string) {
	c.marks++
	mark := fmt.Sprintf("--mark %d--", c.marks)
	if _, err := io.WriteString(c.in, strings.Join(ls, "\n")+"\n/echo "+mark+"\n"); err != nil {
		c.t.Fatal(err)
	}
	waitText(c.t, c.e, mark, func() (string, bool) { return "", strings.Contains(c.out.String(), mark+"\n") })
}

// messages are the console's printed messages: place, id, author and text.
type consoleMessage struct{ place, id, author, text string }

func (c *consoleSide) messages() []consoleMessage {
	var out []consoleMessage
	for _, l := range strings.Split(c.out.String(), "\n") {
		switch {
		case strings.HasPrefix(l, "["):
			place, rest, _ := strings.Cut(l[1:], "] ")
			id, rest, _ := strings.Cut(rest, " ")
			author, text, _ := strings.Cut(rest, ": ")
			out = append(out, consoleMessage{place: place, id: id, author: author, text: text})
		case strings.HasPrefix(l, "  ") && len(out) > 0:
			out[len(out)-1].text += "\n" + l[2:]
		}
	}
	return out
}

func (c *consoleSide) ask(text string) string {
	c.lines("/as alice", "/in #help", text)
	ms := c.messages()
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].place == "#help" && ms[i].author == "alice" {
			return ms[i].id
		}
	}
	c.t.Fatalf("the question is not on the console:\n%s", c.out.String())
	return ""
}

func (c *consoleSide) write(who, thread string, inTier bool, text string) {
	c.lines("/as "+who, "/thread "+thread, text) // one line: the console reads a message a line at a time
}

func (c *consoleSide) card(want string) string {
	return waitText(c.t, c.e, "a card on the console", func() (string, bool) {
		for _, m := range c.messages() {
			if m.place == "#tier2" && m.author == "firstline" && strings.Contains(m.text, want) {
				return m.id, true
			}
		}
		return "", false
	})
}

func (c *consoleSide) find(thread string, inTier bool, marker string) string {
	place := "#help>" + thread
	if inTier {
		place = "#tier2>" + thread
	}
	return waitText(c.t, c.e, marker+" on the console", func() (string, bool) {
		for _, m := range c.messages() {
			if m.place == place && m.author == "firstline" && strings.Contains(m.text, marker) {
				return m.text, true
			}
		}
		return "", false
	})
}

func (c *consoleSide) see(text string) view      { return mdView(text, nil, nil, false) }
func (c *consoleSide) typed(f formatCase) string { return f.console }
func (c *consoleSide) seen(text string) view     { return mdView(text, nil, nil, false) }
