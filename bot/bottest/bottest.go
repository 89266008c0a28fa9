// Package bottest has fakes for testing the service desk without a chat platform: a Chat that records
// every post, edit and reaction; a Clock that moves only when told; and a Desk that speaks, reacts and
// clicks as people do and performs everything the engine decides before returning.
package bottest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/bot"
)

// Clock is a fake clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t (another desk's time, after a restart).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Message is something the bot posted, as the fake platform holds it.
type Message struct {
	Ref       bot.MessageRef
	Post      bot.Post // the current version
	Edits     int
	Reactions []string
	// File and Content are set on a message that posted a file (bot.FileUploader).
	File    *bot.File
	Content []byte
}

// Text is the message's title and text, for assertions.
func (m *Message) Text() string {
	if m.Post.Title != "" {
		return m.Post.Title + "\n" + m.Post.Text
	}
	return m.Post.Text
}

// Field returns the value of a card field.
func (m *Message) Field(name string) string {
	for _, f := range m.Post.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// Chat is a fake chat platform that records what the bot does. It implements bot.Chat, bot.Editor and
// bot.Reactor.
type Chat struct {
	platform string

	mu       sync.Mutex
	seq      int
	messages []*Message
	// Fail, when set, is called before every call; a non-nil error is returned instead of doing it.
	Fail func(op string, p bot.Post) error
	// TextLimit is the platform's MaxText (bot.TextLimiter): 0, the default, takes any length; a
	// post whose text is longer is refused, as a real platform would.
	TextLimit int
	// intake is what people wrote, files, forms and homes (intake.go).
	intake *intake
	// Emails are people's email addresses, by "platform:id", for bot.UserDirectory.
	Emails map[string]string
}

var (
	_ bot.Chat          = (*Chat)(nil)
	_ bot.Editor        = (*Chat)(nil)
	_ bot.Reactor       = (*Chat)(nil)
	_ bot.TextLimiter   = (*Chat)(nil)
	_ bot.UserDirectory = (*Chat)(nil)
)

// UserEmail implements bot.UserDirectory with Emails.
func (c *Chat) UserEmail(_ context.Context, user string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.Emails[user]; ok {
		return e, nil
	}
	return "", bot.Errorf(bot.ENOTFOUND, "no email for %s", user)
}

// MaxText implements bot.TextLimiter with TextLimit.
func (c *Chat) MaxText() int { return c.TextLimit }

// NewChat returns an empty fake platform with the given name.
func NewChat(platform string) *Chat { return &Chat{platform: platform} }

// Platform returns the platform's name.
func (c *Chat) Platform() string { return c.platform }

func (c *Chat) fail(op string, p bot.Post) error {
	if c.Fail == nil {
		return nil
	}
	return c.Fail(op, p)
}

// Post records a message. A DM goes to the channel "@" + the user's id.
func (c *Chat) Post(_ context.Context, p bot.Post) (bot.MessageRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.fail("post", p); err != nil {
		return bot.MessageRef{}, err
	}
	if p.DM != "" {
		_, id := bot.SplitID(p.DM)
		p.Channel, p.Thread = "@"+id, ""
	}
	if p.Channel == "" {
		return bot.MessageRef{}, bot.Errorf(bot.EINVALID, "post without a channel")
	}
	if n := utf8.RuneCountInString(p.Text); c.TextLimit > 0 && n > c.TextLimit && p.Title == "" && len(p.Fields) == 0 {
		return bot.MessageRef{}, bot.Errorf(bot.EINVALID, "a text of %d characters, over the limit of %d", n, c.TextLimit)
	}
	c.seq++
	ref := bot.MessageRef{Platform: c.platform, Channel: p.Channel, Thread: p.Thread, ID: fmt.Sprintf("b%d", c.seq)}
	c.messages = append(c.messages, &Message{Ref: ref, Post: p})
	return ref, nil
}

// Update replaces a message's content.
func (c *Chat) Update(_ context.Context, ref bot.MessageRef, p bot.Post) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.fail("update", p); err != nil {
		return err
	}
	m := c.find(ref)
	if m == nil {
		return bot.Errorf(bot.ENOTFOUND, "no message %s", ref.ID)
	}
	p.Channel, p.Thread = m.Post.Channel, m.Post.Thread
	m.Post = p
	m.Edits++
	return nil
}

// React records a reaction by the bot.
func (c *Chat) React(_ context.Context, ref bot.MessageRef, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.fail("react", bot.Post{}); err != nil {
		return err
	}
	m := c.find(ref)
	if m == nil {
		return bot.Errorf(bot.ENOTFOUND, "no message %s", ref.ID)
	}
	m.Reactions = append(m.Reactions, name)
	return nil
}

func (c *Chat) find(ref bot.MessageRef) *Message {
	for _, m := range c.messages {
		if m.Ref.Channel == ref.Channel && m.Ref.ID == ref.ID {
			return m
		}
	}
	return nil
}

// Messages returns everything posted in channel (any thread), oldest first. "" means every channel.
func (c *Chat) Messages(channel string) []*Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Message
	for _, m := range c.messages {
		if channel == "" || m.Ref.Channel == channel {
			out = append(out, m)
		}
	}
	return out
}

// Thread returns what was posted in channel under the thread root, oldest first.
func (c *Chat) Thread(channel, root string) []*Message {
	var out []*Message
	for _, m := range c.Messages(channel) {
		if m.Ref.Thread == root {
			out = append(out, m)
		}
	}
	return out
}

// Last returns the newest message in channel, or nil.
func (c *Chat) Last(channel string) *Message {
	ms := c.Messages(channel)
	if len(ms) == 0 {
		return nil
	}
	return ms[len(ms)-1]
}

// Count returns how many messages were posted in every channel.
func (c *Chat) Count() int { return len(c.Messages("")) }

// Desk drives an engine as people would: every call hands one event to the engine and performs all the
// effects it causes before returning, failing the test on any error.
type Desk struct {
	T      testing.TB
	Engine *bot.Engine
	Chat   *Chat
	Clock  *Clock
	Store  bot.Store

	mu     sync.Mutex
	seq    int
	prefix string // keeps event ids unique across desks on one data file (a restart)
}

// NewDesk builds an engine on store and library with a fake console-like platform named "test".
func NewDesk(t testing.TB, cfg bot.Config, store bot.Store, library bot.Library) *Desk {
	t.Helper()
	clock := NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	eng, err := bot.New(cfg, store, library, clock, nil)
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	chat := NewChat("test")
	eng.AddChat(chat)
	return &Desk{T: t, Engine: eng, Chat: chat, Clock: clock, Store: store, prefix: strconv.FormatUint(rand.Uint64(), 36)}
}

// User is "test:name".
func User(name string) string { return "test:" + name }

func (d *Desk) nextID() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	return fmt.Sprintf("u%d-%s", d.seq, d.prefix)
}

// Handle hands ev to the engine and flushes; it returns the engine's error instead of failing.
func (d *Desk) Handle(ev bot.Event) error {
	if ev.Platform == "" {
		ev.Platform = d.Chat.Platform()
	}
	if ev.Time.IsZero() {
		ev.Time = d.Clock.Now()
	}
	ctx := context.Background()
	if err := d.Engine.Handle(ctx, ev); err != nil {
		return err
	}
	return d.Engine.Flush(ctx)
}

func (d *Desk) must(ev bot.Event) {
	d.T.Helper()
	if err := d.Handle(ev); err != nil {
		d.T.Fatalf("%s by %s: %v", ev.Kind, ev.User, err)
	}
}

// Say posts a top-level message as user in channel ("@name" is name's DM with the bot) and returns its id.
func (d *Desk) Say(user, channel, text string) string {
	d.T.Helper()
	return d.SayIn(user, channel, "", text)
}

// SayIn posts a message as user in a thread of channel and returns its id.
func (d *Desk) SayIn(user, channel, thread, text string) string {
	d.T.Helper()
	id := d.nextID()
	_, name := bot.SplitID(user)
	d.must(bot.Event{Kind: bot.EventMessage, ID: id, Channel: channel, Thread: thread, Message: id, User: user, UserName: name,
		DM: strings.HasPrefix(channel, "@"), Mention: strings.Contains(text, "@firstline"), Text: text})
	return id
}

// React adds a reaction to a message the bot posted.
func (d *Desk) React(user string, m *Message, name string) {
	d.T.Helper()
	d.reaction(bot.EventReactionAdded, user, m, name)
}

// Unreact removes a reaction.
func (d *Desk) Unreact(user string, m *Message, name string) {
	d.T.Helper()
	d.reaction(bot.EventReactionRemoved, user, m, name)
}

func (d *Desk) reaction(kind bot.EventKind, user string, m *Message, name string) {
	d.T.Helper()
	_, uname := bot.SplitID(user)
	d.must(bot.Event{Kind: kind, ID: d.nextID(), Channel: m.Ref.Channel, Thread: m.Ref.Thread, Message: m.Ref.ID,
		User: user, UserName: uname, DM: strings.HasPrefix(m.Ref.Channel, "@"), Reaction: name})
}

// Click presses the button of m whose label is label (case-insensitive).
func (d *Desk) Click(user string, m *Message, label string) {
	d.T.Helper()
	d.must(d.ClickEvent(user, m, label))
}

// ClickEvent is the event of user pressing the button of m whose label is label, for a test that hands
// it to the engine itself (several at once, say).
func (d *Desk) ClickEvent(user string, m *Message, label string) bot.Event {
	d.T.Helper()
	i := slices.IndexFunc(m.Post.Choices, func(c bot.Choice) bool { return strings.EqualFold(c.Label, label) })
	if i < 0 {
		d.T.Fatalf("message %s has no button %q: %+v", m.Ref.ID, label, m.Post.Choices)
	}
	_, uname := bot.SplitID(user)
	id := d.nextID()
	// A press comes with a trigger, as a platform's buttons do, so one that opens a form can.
	return bot.Event{Kind: bot.EventClick, ID: id, Platform: d.Chat.Platform(), Channel: m.Ref.Channel, Thread: m.Ref.Thread,
		Message: m.Ref.ID, User: user, UserName: uname, DM: strings.HasPrefix(m.Ref.Channel, "@"), Choice: m.Post.Choices[i].ID,
		Trigger: "trigger-" + id, Time: d.Clock.Now()}
}

// ActionPlatform is the platform of the events Act sends: one without a chat, as the web console's.
const ActionPlatform = "web"

// Act takes action on ticket as user from outside its chat messages, as the web console does, and
// performs what it causes. arg is the reply's or note's text, or the value chosen (a priority, a rating).
// It returns the engine's refusal, nil when the action was taken.
func (d *Desk) Act(user, ticket string, action bot.Action, arg string) error {
	d.T.Helper()
	_, name := bot.SplitID(user)
	ev := bot.Event{Kind: bot.EventAction, ID: d.nextID(), Platform: ActionPlatform, User: user, UserName: name, Ticket: ticket, Action: action}
	if action == bot.ActionReply || action == bot.ActionNote {
		ev.Text = arg
	} else {
		ev.Choice = arg
	}
	return d.Handle(ev)
}
