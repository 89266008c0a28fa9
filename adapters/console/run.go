package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/bot"
)

// Run reads lines from in until end of input or /quit, and prints every message (typed, posted by the
// bot, edited or reacted to) to out. With interactive set it shows a prompt before each read.
//
// Each line is handled completely before the next is read: its event is recorded with eng.Handle and
// eng.Flush performs everything it causes, so in a script every reply is printed right after the line that
// caused it. Mistakes in the input are reported on a line starting with "! " and never end the session.
//
// Run returns nil at end of input, on /quit, and when ctx is done (noticed between lines: cancelling does
// not interrupt a read). It returns an error when in or out fail, or when the console is already running.
func (a *Adapter) Run(ctx context.Context, eng Engine, in io.Reader, out io.Writer, interactive bool) error {
	a.mu.Lock()
	if a.out != nil {
		a.mu.Unlock()
		return bot.Errorf(bot.ECONFLICT, "the console is already running")
	}
	a.out, a.werr, a.prompt = out, nil, ""
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.out, a.prompt = nil, ""
		a.mu.Unlock()
	}()

	s := &session{a: a, eng: eng, user: a.cfg.User, channel: a.cfg.Channel}
	a.print(s.welcome()...)
	// Replies left in the engine's outbox by an earlier session (or that waited for the console to run)
	// are shown before the first prompt.
	s.flush(ctx)

	r := bufio.NewReader(in)
	var more strings.Builder // the lines of a message continued with a trailing backslash
	for {
		if ctx.Err() != nil {
			return nil
		}
		if err := a.writeErr(); err != nil {
			return err
		}
		if interactive {
			p := s.prompt()
			if more.Len() > 0 {
				p = continuePrompt
			}
			a.showPrompt(p)
		}
		line, err := r.ReadString('\n')
		if interactive {
			a.hidePrompt(line != "")
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read console input: %w", err)
		}
		text, continues := continued(line)
		if continues && err == nil {
			more.WriteString(text)
			more.WriteString("\n")
			continue
		}
		if more.Len() > 0 {
			more.WriteString(text)
			line = more.String()
			more.Reset()
		} else if line != "" {
			line = text
		}
		// The last line counts even without a newline: a script's file may not end with one.
		if line != "" && s.handle(ctx, line) || err != nil {
			return a.writeErr()
		}
	}
}

// continuePrompt is the prompt for the next line of a message continued with a trailing backslash.
const continuePrompt = "... "

// continued strips a line's line ending and reports whether it continues on the next line: it ends with
// a backslash, which is dropped. A line that ends with two backslashes ends with one, and does not
// continue, so a message can end with a Windows path (typed C:\Temp\\, sent C:\Temp\).
func continued(line string) (string, bool) {
	text := strings.TrimRight(line, "\r\n")
	if t, ok := strings.CutSuffix(text, `\\`); ok {
		return t + `\`, false
	}
	if t, ok := strings.CutSuffix(text, `\`); ok {
		return t, true
	}
	return text, false
}

// print writes lines to Run's output.
func (a *Adapter) print(lines ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.write(lines...)
}

// writeErr returns the error that stopped output, if any: a console nobody can read has no reason to go
// on reading.
func (a *Adapter) writeErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.werr != nil {
		return fmt.Errorf("write console output: %w", a.werr)
	}
	return nil
}

func (a *Adapter) showPrompt(p string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.werr != nil {
		return
	}
	if _, err := io.WriteString(a.out, p); err != nil {
		a.werr = err
		return
	}
	a.prompt = p
}

// hidePrompt notes that the prompt is gone. When nothing was entered (end of input at the prompt), the
// terminal's cursor is still after the prompt: end that line.
func (a *Adapter) hidePrompt(entered bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !entered && a.prompt != "" && a.werr == nil {
		if _, err := io.WriteString(a.out, "\n"); err != nil {
			a.werr = err
		}
	}
	a.prompt = ""
}

// session is who the user is and where, while Run reads lines. Only Run's goroutine touches it.
type session struct {
	a       *Adapter
	eng     Engine
	user    string
	channel string // "help", or "@alice" for the user's DM with the bot
	thread  string // the thread root the user speaks in, "" at top level
	// form is the form being filled in (/form), nil when none is.
	form *filling
}

func (s *session) place() string { return placeName(s.channel, s.thread) }

func (s *session) prompt() string { return s.user + " " + s.place() + "> " }

func (s *session) userID() string { return bot.JoinID(platform, s.user) }

// handle acts on one line of input and reports whether the session ends.
func (s *session) handle(ctx context.Context, raw string) bool {
	line := strings.TrimLeftFunc(strings.TrimRight(raw, "\r\n"), unicode.IsSpace)
	if strings.TrimSpace(line) == "" {
		return false
	}
	if s.form != nil && !formPassThrough(line) {
		s.formLine(ctx, line)
		return false
	}
	if !strings.HasPrefix(line, "/") {
		s.say(ctx, strings.TrimSpace(line))
		return false
	}
	name, rest := line, ""
	if i := strings.IndexFunc(line, unicode.IsSpace); i >= 0 {
		name, rest = line[:i], line[i:]
	}
	args := strings.Fields(rest)
	switch strings.ToLower(name) {
	case "/as":
		s.as(args)
	case "/in":
		s.in(args)
	case "/thread":
		s.goThread(ctx, args)
	case "/react":
		s.react(ctx, args, bot.EventReactionAdded)
	case "/unreact":
		s.react(ctx, args, bot.EventReactionRemoved)
	case "/click":
		s.click(ctx, args)
	case "/form":
		s.formCommand(ctx, args)
	case "/echo":
		// Exactly what follows "/echo ": scripts print markers with it and compare them byte for byte.
		text := rest
		if r, size := utf8.DecodeRuneInString(rest); size > 0 && unicode.IsSpace(r) {
			text = rest[size:]
		}
		s.a.print(text)
	case "/help":
		s.a.print(s.help()...)
	case "/quit":
		return true
	default:
		s.fail(fmt.Sprintf("unknown command %s", name))
		s.a.print(s.help()...)
	}
	return false
}

// fail reports a mistake in the input on a line of its own.
func (s *session) fail(msg string) { s.a.print("! " + msg) }

// say posts a message from the current user where they are, then hands it to the engine. The line is
// stored, printed and handed on redacted (create redacts it): a password typed in the console is never
// in the data file, nor on the screen a moment later.
func (s *session) say(ctx context.Context, text string) {
	a := s.a
	m := message{Channel: s.channel, Thread: s.thread, Author: s.user, Text: text}
	a.mu.Lock()
	err := a.create(ctx, &m)
	text = m.Text
	if err == nil {
		a.write(render(m, false)...)
	}
	a.mu.Unlock()
	if err != nil {
		a.log.Error("store message", "channel", s.channel, "err", err)
		s.fail(fmt.Sprintf("your message could not be saved, try again (%v)", err))
		return
	}
	// A typed message is an event on itself; its id is unique in the data file, so it is the dedup key.
	s.send(ctx, s.eventOn(m, bot.EventMessage, func(ev *bot.Event) {
		ev.ID, ev.Text, ev.Mention, ev.Mentions = m.ID, text, mentions(text, a.cfg.BotName), people(text, a.cfg.BotName)
	}), "message")
}

// send hands an event to the engine and performs what it causes before the next line is read.
func (s *session) send(ctx context.Context, ev bot.Event, what string) {
	if err := s.eng.Handle(ctx, ev); err != nil {
		s.a.log.Error("handle event", "kind", string(ev.Kind), "channel", ev.Channel, "message_id", ev.Message, "err", err)
		s.fail(fmt.Sprintf("your %s could not be recorded, so Firstline did not see it; try again (%v)", what, err))
		return
	}
	s.flush(ctx)
}

func (s *session) flush(ctx context.Context) {
	if err := s.eng.Flush(ctx); err != nil {
		s.a.log.Error("flush", "err", err)
		s.fail(fmt.Sprintf("some replies could not be shown yet; they are kept and will follow (%v)", err))
	}
}

// as switches user. In a DM the new user moves to their own DM with the bot: nobody else's is theirs
// to read.
func (s *session) as(args []string) {
	if len(args) != 1 || !validName(args[0]) {
		s.fail("usage: /as NAME (a user name: letters, digits, . _ -)")
		return
	}
	name := args[0]
	if strings.EqualFold(name, s.a.cfg.BotName) {
		s.fail(fmt.Sprintf("%s is the bot: choose a person, e.g. /as %s", s.a.cfg.BotName, s.a.cfg.User))
		return
	}
	for _, u := range s.a.cfg.Users {
		if strings.EqualFold(u.Name, name) {
			name = u.Name // the configured spelling is the identity tiers and admins are written with
		}
	}
	s.user = name
	if isDM(s.channel) {
		s.channel, s.thread = "@"+name, ""
	}
	s.a.print(fmt.Sprintf("You are %s, in %s.", s.who(name), s.place()))
}

// in switches to a channel, or to the user's DM with the bot, at top level.
func (s *session) in(args []string) {
	botName := s.a.cfg.BotName
	if len(args) != 1 {
		s.fail(fmt.Sprintf("usage: /in #CHANNEL, or /in @%s for your direct messages with the bot", botName))
		return
	}
	target := args[0]
	switch {
	case strings.HasPrefix(target, "@"):
		if !strings.EqualFold(target[1:], botName) {
			s.fail(fmt.Sprintf("you can only send direct messages to the bot: /in @%s", botName))
			return
		}
		s.channel = "@" + s.user
	default:
		name := strings.TrimPrefix(target, "#")
		if !validName(name) {
			s.fail(fmt.Sprintf("%q is not a channel name (letters, digits, . _ -): /in #help", target))
			return
		}
		s.channel = name
	}
	s.thread = ""
	s.a.print(fmt.Sprintf("You are in %s.", s.place()))
}

// goThread continues in the thread of a message, wherever it is.
func (s *session) goThread(ctx context.Context, args []string) {
	if len(args) != 1 {
		s.fail("usage: /thread MSG (a message id, e.g. /thread m3)")
		return
	}
	m, ok := s.message(ctx, args[0])
	if !ok {
		return
	}
	if m.dm() && m.Channel != "@"+s.user {
		owner := m.Channel[1:]
		s.fail(fmt.Sprintf("%s is in %s's direct messages with %s: /as %s to go there", m.ID, owner, s.a.cfg.BotName, owner))
		return
	}
	s.channel, s.thread = m.Channel, m.root()
	s.a.print(fmt.Sprintf("You are in %s.", s.place()))
}

// react adds or takes back the current user's reaction on a message.
func (s *session) react(ctx context.Context, args []string, kind bot.EventKind) {
	cmd, sign := "/react", "+"
	if kind == bot.EventReactionRemoved {
		cmd, sign = "/unreact", "-"
	}
	if len(args) != 2 {
		s.fail(fmt.Sprintf("usage: %s MSG NAME (e.g. %s m7 raising_hand)", cmd, cmd))
		return
	}
	name, ok := reactionName(args[1])
	if !ok {
		s.fail(fmt.Sprintf("%q is not a reaction name (e.g. raising_hand, +1, white_check_mark)", args[1]))
		return
	}
	m, ok := s.message(ctx, args[0])
	if !ok {
		return
	}
	s.a.print(reactionLine(m, sign, name, s.user))
	s.send(ctx, s.eventOn(m, kind, func(ev *bot.Event) { ev.Reaction = name }), "reaction")
}

// click presses one of a message's buttons, by number or by label.
func (s *session) click(ctx context.Context, args []string) {
	if len(args) < 2 {
		s.fail("usage: /click MSG CHOICE (a button's number or label, e.g. /click m9 2)")
		return
	}
	m, ok := s.message(ctx, args[0])
	if !ok {
		return
	}
	if len(m.Choices) == 0 {
		s.fail(fmt.Sprintf("%s has no buttons", m.ID))
		return
	}
	want := strings.Join(args[1:], " ")
	i, ok := choice(m.Choices, want)
	if !ok {
		s.fail(fmt.Sprintf("%s has no button %q; its buttons: %s", m.ID, want, buttons(m)))
		return
	}
	c := m.Choices[i]
	s.a.print(fmt.Sprintf("[%s] %s [%s] by %s", m.place(), m.ID, oneLine(c.Label), s.user))
	s.send(ctx, s.eventOn(m, bot.EventClick, func(ev *bot.Event) { ev.Choice = c.ID }), "click")
}

// choice finds a button by its number (from 1) or its label, ignoring case.
func choice(choices []bot.Choice, want string) (int, bool) {
	if n, err := strconv.Atoi(want); err == nil {
		return n - 1, n >= 1 && n <= len(choices)
	}
	for i, c := range choices {
		if strings.EqualFold(oneLine(c.Label), want) {
			return i, true
		}
	}
	return 0, false
}

// eventOn is an event by the current user on a message, in the message's place. Reactions and clicks
// leave its ID empty: the console never delivers an event twice, so there is nothing to deduplicate.
func (s *session) eventOn(m message, kind bot.EventKind, set func(*bot.Event)) bot.Event {
	ev := bot.Event{
		Kind:     kind,
		Platform: platform,
		Channel:  m.Channel,
		Thread:   m.Thread,
		Message:  m.ID,
		User:     s.userID(),
		UserName: s.user,
		DM:       m.dm(),
		Time:     time.Now(),
	}
	set(&ev)
	return ev
}

// message loads a message named in a command ("m7", or just "7"), reporting on the output when there is
// no such message.
func (s *session) message(ctx context.Context, arg string) (message, bool) {
	id := strings.ToLower(arg)
	if !strings.HasPrefix(id, "m") {
		id = "m" + id
	}
	if _, err := strconv.ParseUint(id[1:], 10, 64); err != nil {
		s.fail(fmt.Sprintf("%q is not a message id: use the id shown before the author, e.g. m7", arg))
		return message{}, false
	}
	s.a.mu.Lock()
	m, err := s.a.load(ctx, id)
	s.a.mu.Unlock()
	switch {
	case bot.IsNotFound(err):
		s.fail(fmt.Sprintf("there is no message %s", id))
		return message{}, false
	case err != nil:
		s.a.log.Error("load message", "message_id", id, "err", err)
		s.fail(fmt.Sprintf("message %s could not be read, try again (%v)", id, err))
		return message{}, false
	}
	return m, true
}

// mentions reports whether text mentions the bot: "@" and its name, in any case, not followed by more of
// a name ("@firstliners" is someone else).
func mentions(text, botName string) bool {
	lower, at := strings.ToLower(text), "@"+strings.ToLower(botName)
	for i := 0; ; {
		j := strings.Index(lower[i:], at)
		if j < 0 {
			return false
		}
		end := i + j + len(at)
		next, _ := utf8.DecodeRuneInString(lower[end:])
		if end == len(lower) || !(unicode.IsLetter(next) || unicode.IsDigit(next) || next == '_') {
			return true
		}
		i = end
	}
}

// people are the people text mentions, each once, other than the bot: in the console a person is
// their name, so "@tom" is console:tom, and an action's user parameter given as @tom knows who is meant.
func people(text, botName string) []bot.Mention {
	var out []bot.Mention
	for i := 0; i < len(text); i++ {
		if text[i] != '@' || (i > 0 && validName(text[i-1:i])) {
			continue // not a mention: an email address, a word@word
		}
		j := i + 1
		for j < len(text) && validName(text[j:j+1]) {
			j++
		}
		name := strings.TrimRight(text[i+1:j], ".-") // "ask @tom." names tom
		if name == "" || strings.EqualFold(name, botName) {
			continue
		}
		if m := (bot.Mention{User: bot.JoinID(platform, name), Name: name}); !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// who writes a user with their role when the config knows it: "tom (Tier 2)".
func (s *session) who(name string) string {
	for _, u := range s.a.cfg.Users {
		if u.Name == name && u.Role != "" {
			return name + " (" + u.Role + ")"
		}
	}
	return name
}

// welcome says who and where the user is, and how to be someone else somewhere else.
func (s *session) welcome() []string {
	cfg := s.a.cfg
	var moves []string
	for _, u := range cfg.Users {
		if u.Name != s.user {
			moves = append(moves, "/as "+s.who(u.Name))
		}
	}
	for _, c := range cfg.Channels {
		if c = strings.TrimPrefix(c, "#"); c != s.channel {
			moves = append(moves, "/in #"+c)
		}
	}
	moves = append(moves, "/in @"+cfg.BotName+" (DM)")
	return append([]string{
		fmt.Sprintf("Firstline console. You are %s in %s.", s.who(s.user), s.place()),
		fmt.Sprintf("Ask an IT question, or switch: %s. /help for more.", strings.Join(moves, ", ")),
		"Answers come in a thread: continue it with /thread MSG, press a button with /click MSG 1, react with /react MSG raising_hand.",
	}, cfg.Notices...)
}

// help lists the console's commands, people and channels.
func (s *session) help() []string {
	cfg := s.a.cfg
	lines := []string{
		"Type a message to say it as " + s.user + " in " + s.place() + ". Console commands:",
		"  /as NAME           speak as someone else",
		"  /in #CHANNEL       go to a channel; /in @" + cfg.BotName + " for your direct messages with the bot",
		"  /thread MSG        continue in the thread of message MSG (e.g. /thread m3)",
		"  /react MSG NAME    react to a message (e.g. /react m7 raising_hand); /unreact MSG NAME takes it back",
		"  /click MSG CHOICE  press a button of a message, by number or label (e.g. /click m9 2)",
		"  /form [ID]         list the request forms, or fill one in, a question at a time",
		"  /echo TEXT         print TEXT",
		"  /help              this help",
		"  /quit              leave (so does end of input)",
		"A line ending in \\ continues the message on the next line, for !kb add and !kb edit (\\\\ ends it with a \\).",
	}
	if len(cfg.Users) > 0 {
		var people []string
		for _, u := range cfg.Users {
			people = append(people, s.who(u.Name))
		}
		lines = append(lines, "People: "+strings.Join(people, ", "))
	}
	if len(cfg.Channels) > 0 {
		var chans []string
		for _, c := range cfg.Channels {
			chans = append(chans, "#"+strings.TrimPrefix(c, "#"))
		}
		lines = append(lines, "Channels: "+strings.Join(chans, ", "))
	}
	return lines
}
