// Package console is a chat platform in the terminal: the embedded default for trying Firstline, and the
// way the end-to-end tests drive the whole product.
//
// Every line typed is a message from the current user in the current place (a channel, a direct message
// with the bot, or a thread in either), or a slash command that switches user or place, reacts, or presses
// a button. Everything said anywhere, by anyone, is printed to one output, one message per line, so a
// scripted session reads as a transcript:
//
//	[#help] m1 alice: my vpn is broken @firstline
//	[#help>m1] m2 firstline: Here's what I found: Connect to the VPN (`vpn-connect`)
//	  [1] Solved  [2] Not helpful  [3] Talk to a human
//
// Message ids ("m" and a number) come from a sequence kept in the data file, and every message is stored
// there too, so after a restart the messages of earlier sessions can still be reacted to, clicked and
// replied under.
package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/redact"
)

// platform is the console's name in identities ("console:alice") and message references.
const platform = "console"

// Engine is what the console hands events to. *bot.Engine implements it.
type Engine interface {
	// Handler records an event durably, with the effects it causes (see bot.Handler).
	bot.Handler
	// Flush performs every effect that is due, calling back the adapter's Post, Update and React, and
	// returns when nothing due is left.
	Flush(ctx context.Context) error
	// Forms returns the forms a person may fill in (/form).
	Forms(user string, roles []string) []bot.Form
}

// State keeps the console's messages in the data file, so message ids stay unique and messages stay
// known across restarts. *storage.AdapterState implements it.
type State interface {
	// NextID returns the next number of a sequence that survives restarts: 1, 2, 3, ...
	NextID(ctx context.Context) (uint64, error)
	// Put stores value under key.
	Put(ctx context.Context, key string, value []byte) error
	// Get returns the value under key, or an error for which bot.IsNotFound is true when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
}

// User is one of the demo's people, listed in the welcome and in /help so a newcomer knows whom to
// speak as.
type User struct {
	Name string // the console user name: "alice" is console:alice
	Role string // what they are on the desk: "employee", "Tier 2", "admin"
}

// Config says who is in the console and where the session starts.
type Config struct {
	// BotName is the bot's user name: the author of its messages, what "@" mentions and what
	// "/in @NAME" opens a direct message with. Default "firstline".
	BotName  string
	User     string   // the user the session starts as; default "alice"
	Channel  string   // the channel the session starts in, without "#"; default "help"
	Users    []User   // the demo's people, for the welcome and /help
	Channels []string // the desk's channels without "#", for the welcome and /help
	// Notices end the welcome: what the person running the demo should know of the desk's state (an
	// empty knowledge base), since the console's logs go to a file.
	Notices []string
}

// Adapter is the console chat platform. It implements bot.Chat, bot.Editor and bot.Reactor for the engine
// and reads the terminal in Run.
//
// Post, Update and React print to the output Run was given. Outside Run they return an EUNAVAILABLE
// error rather than store a message nobody sees: the engine keeps the effect in its outbox and performs
// it once the console runs again, so nothing is lost.
type Adapter struct {
	cfg   Config
	state State
	log   *slog.Logger

	// mu guards the output and the stored messages. The engine's dispatcher may call Post from another
	// goroutine than Run, and a message is stored and printed as one step, so ids appear in order. It is
	// never held while calling the engine: Flush calls back into Post.
	mu     sync.Mutex
	out    io.Writer // nil outside Run
	werr   error     // the first error writing to out; Run stops on it
	prompt string    // the prompt on screen while Run waits for a line, reprinted after output from elsewhere
}

var (
	_ bot.Chat    = (*Adapter)(nil)
	_ bot.Editor  = (*Adapter)(nil)
	_ bot.Reactor = (*Adapter)(nil)
)

// New returns a console adapter. A nil logger discards.
func New(cfg Config, state State, logger *slog.Logger) *Adapter {
	if cfg.BotName == "" {
		cfg.BotName = "firstline"
	}
	if cfg.User == "" {
		cfg.User = "alice"
	}
	cfg.Channel = strings.TrimPrefix(cfg.Channel, "#")
	if cfg.Channel == "" {
		cfg.Channel = "help"
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Adapter{cfg: cfg, state: state, log: logger.With("component", "console")}
}

// Platform returns "console".
func (a *Adapter) Platform() string { return platform }

// Post stores and prints a message from the bot. With p.DM set to "console:NAME" it goes to the direct
// messages of NAME with the bot (channel "@NAME"); with p.Thread it goes under that message's thread.
//
// Errors: EINVALID for a channel or DM the console cannot have, ENOTFOUND for an unknown thread root,
// EUNAVAILABLE when Run is not running.
func (a *Adapter) Post(ctx context.Context, p bot.Post) (bot.MessageRef, error) {
	channel := p.Channel
	if p.DM != "" {
		plat, name := bot.SplitID(p.DM)
		if plat != platform || !validName(name) {
			return bot.MessageRef{}, bot.Errorf(bot.EINVALID, "console cannot send a direct message to %q", p.DM)
		}
		channel = "@" + name
	}
	if !validChannel(channel) {
		return bot.MessageRef{}, bot.Errorf(bot.EINVALID, "console has no channel %q (channels are names without #, direct messages @NAME)", channel)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.out == nil {
		return bot.MessageRef{}, errNotRunning()
	}
	m := message{Channel: channel, Author: a.cfg.BotName, Title: p.Title, Text: p.Text, Fields: p.Fields, Choices: p.Choices}
	if p.Thread != "" {
		root, err := a.load(ctx, p.Thread)
		if err != nil {
			return bot.MessageRef{}, fmt.Errorf("post in thread %s: %w", p.Thread, err)
		}
		if root.Channel != channel {
			return bot.MessageRef{}, bot.Errorf(bot.EINVALID, "thread %s is in %s, not in %s", p.Thread, placeName(root.Channel, ""), placeName(channel, ""))
		}
		m.Thread = root.root() // threads are one level deep, as on Slack and Discord
	}
	if err := a.create(ctx, &m); err != nil {
		return bot.MessageRef{}, fmt.Errorf("post: %w", err)
	}
	a.write(render(m, false)...)
	a.log.Debug("posted", "channel", m.Channel, "message_id", m.ID)
	return m.ref(), nil
}

// Update replaces a message with a new version and prints it again, marked edited. The message keeps its
// place whatever p says; the new version is stored, so its buttons are the ones /click sees.
//
// Errors: ENOTFOUND for an unknown message, EUNAVAILABLE when Run is not running.
func (a *Adapter) Update(ctx context.Context, ref bot.MessageRef, p bot.Post) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.out == nil {
		return errNotRunning()
	}
	m, err := a.find(ctx, ref)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	m.Title, m.Text, m.Fields, m.Choices = p.Title, p.Text, p.Fields, p.Choices
	if err := a.save(ctx, &m); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	a.write(render(m, true)...)
	return nil
}

// React prints the bot's reaction on a message. Reactions are not stored: nothing in the console reads
// them back.
//
// Errors: EINVALID for an empty name, ENOTFOUND for an unknown message, EUNAVAILABLE when Run is not
// running.
func (a *Adapter) React(ctx context.Context, ref bot.MessageRef, name string) error {
	norm, ok := reactionName(name)
	if !ok {
		return bot.Errorf(bot.EINVALID, "console cannot react with %q", name)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.out == nil {
		return errNotRunning()
	}
	m, err := a.find(ctx, ref)
	if err != nil {
		return fmt.Errorf("react: %w", err)
	}
	a.write(reactionLine(m, "+", norm, a.cfg.BotName))
	return nil
}

func errNotRunning() error {
	return bot.Errorf(bot.EUNAVAILABLE, "the console is not running")
}

// message is a console message as stored in State: enough to print it again, find its thread and press
// its buttons after a restart.
type message struct {
	V       int          `json:"v"`
	ID      string       `json:"id" redact:"-"`
	Channel string       `json:"channel" redact:"-"`          // "help", or "@alice" for alice's DM with the bot
	Thread  string       `json:"thread,omitempty" redact:"-"` // the thread root, "" at top level
	Author  string       `json:"author" redact:"-"`           // a user name, or the bot's
	Title   string       `json:"title,omitempty"`
	Text    string       `json:"text"`
	Fields  []bot.Field  `json:"fields,omitempty"`
	Choices []bot.Choice `json:"choices,omitempty"`
}

const messageVersion = 1

// root is the thread a reply to m goes under: m's own thread, or m when it is at top level.
func (m message) root() string {
	if m.Thread != "" {
		return m.Thread
	}
	return m.ID
}

func (m message) place() string { return placeName(m.Channel, m.Thread) }

func (m message) dm() bool { return isDM(m.Channel) }

func (m message) ref() bot.MessageRef {
	return bot.MessageRef{Platform: platform, Channel: m.Channel, Thread: m.Thread, ID: m.ID}
}

func messageKey(id string) string { return "message/" + id }

// create gives m a new id and stores it. The caller holds mu.
func (a *Adapter) create(ctx context.Context, m *message) error {
	n, err := a.state.NextID(ctx)
	if err != nil {
		return fmt.Errorf("new message id: %w", err)
	}
	m.ID = "m" + strconv.FormatUint(n, 10)
	return a.save(ctx, m)
}

// save redacts m in place (secrets and control characters out of its text, title, fields and labels)
// and stores it under its id: the console's messages are in the data file, and what is printed is what
// is stored. The caller holds mu.
func (a *Adapter) save(ctx context.Context, m *message) error {
	redact.Fields(m)
	m.V = messageVersion
	data, err := json.Marshal(*m)
	if err != nil {
		return fmt.Errorf("encode message %s: %w", m.ID, err)
	}
	if err := a.state.Put(ctx, messageKey(m.ID), data); err != nil {
		return fmt.Errorf("store message %s: %w", m.ID, err)
	}
	return nil
}

// load reads the message with id; the error is ENOTFOUND when there is none.
func (a *Adapter) load(ctx context.Context, id string) (message, error) {
	data, err := a.state.Get(ctx, messageKey(id))
	if err != nil {
		return message{}, fmt.Errorf("load message %s: %w", id, err)
	}
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		return message{}, fmt.Errorf("decode message %s: %w", id, err)
	}
	return m, nil
}

// find loads the message a reference points at, checking it is the console's and in the channel the
// reference says.
func (a *Adapter) find(ctx context.Context, ref bot.MessageRef) (message, error) {
	if ref.Platform != "" && ref.Platform != platform {
		return message{}, bot.Errorf(bot.EINVALID, "message %s is on %s, not on the console", ref.ID, ref.Platform)
	}
	m, err := a.load(ctx, ref.ID)
	if err != nil {
		return message{}, err
	}
	if ref.Channel != "" && ref.Channel != m.Channel {
		return message{}, bot.Errorf(bot.ENOTFOUND, "no message %s in %s", ref.ID, placeName(ref.Channel, ""))
	}
	return m, nil
}

// write prints lines to the output. The caller holds mu. When Run waits at its prompt, the output goes
// on a line of its own and the prompt is shown again, so a reply from the dispatcher does not end up
// glued to what the user is typing.
func (a *Adapter) write(lines ...string) {
	if a.out == nil || a.werr != nil || len(lines) == 0 {
		return
	}
	var b strings.Builder
	if a.prompt != "" {
		b.WriteString("\n")
	}
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\n")
	}
	b.WriteString(a.prompt)
	if _, err := io.WriteString(a.out, b.String()); err != nil {
		a.werr = err
	}
}

// isDM reports whether a channel id is a direct message with the bot.
func isDM(channel string) bool { return strings.HasPrefix(channel, "@") }

// validName reports whether s can be a console user name: letters, digits, ".", "_" and "-".
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// validChannel reports whether s can be a console channel id: a name, or "@" and a user name for a DM.
func validChannel(s string) bool { return validName(strings.TrimPrefix(s, "@")) }
