package console_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/console"
	"github.com/firstline-desk/firstline/bot"
)

var feedbackChoices = []bot.Choice{
	{ID: "solved", Label: "Solved", Style: bot.StylePrimary, Reaction: "+1"},
	{ID: "not_helpful", Label: "Not helpful", Reaction: "-1"},
	{ID: "human", Label: "Talk to a human", Reaction: "raising_hand"},
}

// onText returns an onFlush that runs do for each message whose text is text.
func onText(text string, do func(a *console.Adapter, ev bot.Event)) func(testing.TB, *console.Adapter, bot.Event) {
	return func(t testing.TB, a *console.Adapter, ev bot.Event) {
		if ev.Kind == bot.EventMessage && ev.Text == text {
			do(a, ev)
		}
	}
}

func TestScript(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		script  string
		onFlush func(t testing.TB, a *console.Adapter, ev bot.Event)
		want    string
	}{
		{
			name:   "message",
			script: "my vpn is broken\n",
			want:   "[#help] m1 alice: my vpn is broken\n",
		},
		{
			name:   "empty and blank lines use no id",
			script: "\n   \n\t\r\nhello\n\r\n  \nagain",
			want:   "[#help] m1 alice: hello\n[#help] m2 alice: again\n",
		},
		{
			name:   "reply in a thread, markdown and buttons",
			script: "vpn\n",
			onFlush: onText("vpn", func(a *console.Adapter, ev bot.Event) {
				_, _ = a.Post(ctx, bot.Post{Channel: ev.Channel, Thread: ev.Message, Choices: feedbackChoices,
					Text: "Here's what I found: **Connect to the VPN** (`vpn-connect`)\n\n1. Open the [client](https://vpn.example.com)\n- step **two**\n  - indented\n\nDid this solve it?"})
			}),
			want: `[#help] m1 alice: vpn
[#help>m1] m2 firstline: Here's what I found: Connect to the VPN (` + "`vpn-connect`" + `)
  1. Open the [client](https://vpn.example.com)
  - step two
    - indented
  Did this solve it?
  [1] Solved  [2] Not helpful  [3] Talk to a human
`,
		},
		{
			name:   "card with title and fields",
			script: "vpn broken\n",
			onFlush: onText("vpn broken", func(a *console.Adapter, ev bot.Event) {
				_, _ = a.Post(ctx, bot.Post{Channel: "tier2", Title: "T-000001: **vpn** broken",
					Fields: []bot.Field{{Name: "Ticket", Value: "T-000001"}, {Name: "Requester", Value: "alice"}, {Name: "Priority", Value: "P3"}},
					Text:   "**alice** asked: vpn broken\nReact :raising_hand: to claim."})
			}),
			want: `[#help] m1 alice: vpn broken
[#tier2] m2 firstline: T-000001: vpn broken
  Ticket: T-000001 | Requester: alice | Priority: P3
  alice asked: vpn broken
  React :raising_hand: to claim.
`,
		},
		{
			name:   "card without title",
			script: "x\n",
			onFlush: onText("x", func(a *console.Adapter, ev bot.Event) {
				_, _ = a.Post(ctx, bot.Post{Channel: "tier2", Text: "Line one\nline two", Fields: []bot.Field{{Name: "Status", Value: "open\nnow"}}})
			}),
			want: "[#help] m1 alice: x\n[#tier2] m2 firstline: Line one\n  Status: open now\n  line two\n",
		},
		{
			name:   "edit replaces buttons and keeps the place",
			script: "rate\n/click m2 2\n",
			onFlush: onText("rate", func(a *console.Adapter, ev bot.Event) {
				ref, _ := a.Post(ctx, bot.Post{Channel: ev.Channel, Thread: ev.Message, Text: "How was it?",
					Choices: []bot.Choice{{ID: "csat-1", Label: "1"}, {ID: "csat-2", Label: "2"}}})
				_ = a.Update(ctx, ref, bot.Post{Channel: "elsewhere", Text: "Thanks!\n**Rated** 5/5"})
			}),
			want: `[#help] m1 alice: rate
[#help>m1] m2 firstline: How was it?
  [1] 1  [2] 2
[#help>m1] m2 (edited) firstline: Thanks!
  Rated 5/5
! m2 has no buttons
`,
		},
		{
			name:   "bot reactions",
			script: "hi\n",
			onFlush: onText("hi", func(a *console.Adapter, ev bot.Event) {
				_ = a.React(ctx, bot.MessageRef{Platform: "console", Channel: ev.Channel, ID: ev.Message}, "eyes")
				ref, _ := a.Post(ctx, bot.Post{Channel: ev.Channel, Thread: ev.Message, Text: "On it."})
				_ = a.React(ctx, ref, ":white_check_mark:")
			}),
			want: "[#help] m1 alice: hi\n[#help] m1 +eyes by firstline\n[#help>m1] m2 firstline: On it.\n[#help>m1] m2 +white_check_mark by firstline\n",
		},
		{
			name:   "direct message",
			script: "/in @firstline\nhi\n",
			onFlush: onText("hi", func(a *console.Adapter, ev bot.Event) {
				_, _ = a.Post(ctx, bot.Post{DM: ev.User, Text: "Hello alice"})
				_, _ = a.Post(ctx, bot.Post{Channel: ev.Channel, Text: "Same place"})
			}),
			want: "You are in @alice.\n[@alice] m1 alice: hi\n[@alice] m2 firstline: Hello alice\n[@alice] m3 firstline: Same place\n",
		},
		{
			name:   "/in",
			script: "/in #tier2\n/in tier3\n/in @FirstLine\n/in @tom\n/in\n/in #a b\n/in #no!\n/in #help\n",
			want: `You are in #tier2.
You are in #tier3.
You are in @alice.
! you can only send direct messages to the bot: /in @firstline
! usage: /in #CHANNEL, or /in @firstline for your direct messages with the bot
! usage: /in #CHANNEL, or /in @firstline for your direct messages with the bot
! "#no!" is not a channel name (letters, digits, . _ -): /in #help
You are in #help.
`,
		},
		{
			name:   "/as",
			script: "/as tom\nfixing\n/as Sara\n/as bob.smith-2\n/as firstline\n/as\n/as a b\n/as b@d\n/in @firstline\n/as ada\nhello\n",
			want: `You are tom (Tier 2), in #help.
[#help] m1 tom: fixing
You are sara (Tier 3), in #help.
You are bob.smith-2, in #help.
! firstline is the bot: choose a person, e.g. /as alice
! usage: /as NAME (a user name: letters, digits, . _ -)
! usage: /as NAME (a user name: letters, digits, . _ -)
! usage: /as NAME (a user name: letters, digits, . _ -)
You are in @bob.smith-2.
You are ada (admin), in @ada.
[@ada] m2 ada: hello
`,
		},
		{
			name:   "/thread",
			script: "q1\n/thread m1\nmore\n/in #tier2\n/thread 2\nagain\n/thread m99\n/thread x7\n/thread\n",
			want: `[#help] m1 alice: q1
You are in #help>m1.
[#help>m1] m2 alice: more
You are in #tier2.
You are in #help>m1.
[#help>m1] m3 alice: again
! there is no message m99
! "x7" is not a message id: use the id shown before the author, e.g. m7
! usage: /thread MSG (a message id, e.g. /thread m3)
`,
		},
		{
			name:   "/thread into someone else's direct messages",
			script: "/in @firstline\nsecret\n/as tom\n/in #help\n/thread m1\n/as alice\n/thread m1\n",
			want: `You are in @alice.
[@alice] m1 alice: secret
You are tom (Tier 2), in @tom.
You are in #help.
! m1 is in alice's direct messages with firstline: /as alice to go there
You are alice (employee), in #help.
You are in @alice>m1.
`,
		},
		{
			name:   "/react and /unreact",
			script: "hi\n/thread m1\nre\n/react m2 :raising_hand:\n/unreact m2 Raising_Hand\n/react m1 +1\n/react m9 +1\n/react m1\n/react m1 bad!name\n/unreact m1\n",
			want: `[#help] m1 alice: hi
You are in #help>m1.
[#help>m1] m2 alice: re
[#help>m1] m2 +raising_hand by alice
[#help>m1] m2 -raising_hand by alice
[#help] m1 ++1 by alice
! there is no message m9
! usage: /react MSG NAME (e.g. /react m7 raising_hand)
! "bad!name" is not a reaction name (e.g. raising_hand, +1, white_check_mark)
! usage: /unreact MSG NAME (e.g. /unreact m7 raising_hand)
`,
		},
		{
			name:   "/click",
			script: "vpn\n/click m2 2\n/click m2 talk to a HUMAN\n/click m2 4\n/click m2 reboot\n/click m1 1\n/click m2\n/click m5 1\n",
			onFlush: onText("vpn", func(a *console.Adapter, ev bot.Event) {
				_, _ = a.Post(ctx, bot.Post{Channel: ev.Channel, Thread: ev.Message, Text: "Try this.", Choices: feedbackChoices})
			}),
			want: `[#help] m1 alice: vpn
[#help>m1] m2 firstline: Try this.
  [1] Solved  [2] Not helpful  [3] Talk to a human
[#help>m1] m2 [Not helpful] by alice
[#help>m1] m2 [Talk to a human] by alice
! m2 has no button "4"; its buttons: [1] Solved  [2] Not helpful  [3] Talk to a human
! m2 has no button "reboot"; its buttons: [1] Solved  [2] Not helpful  [3] Talk to a human
! m1 has no buttons
! usage: /click MSG CHOICE (a button's number or label, e.g. /click m9 2)
! there is no message m5
`,
		},
		{
			name:   "/echo prints exactly",
			script: "/echo   spaced  out  \n/echo\n  /echo --- marker ---\n/ECHO x\n",
			want:   "  spaced  out  \n\n--- marker ---\nx\n",
		},
		{
			name:   "/quit stops reading",
			script: "hi\n/quit\nnever\n",
			want:   "[#help] m1 alice: hi\n",
		},
		{
			name:   "control characters are not printed",
			script: "red \x1b[31mtext\x07\n",
			want:   "[#help] m1 alice: red [31mtext\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := console.New(demoConfig, newMemState(), nil)
			eng := &fakeEngine{}
			if tt.onFlush != nil {
				eng.onFlush = func(ev bot.Event) { tt.onFlush(t, a, ev) }
			}
			if got := runScript(t, a, eng, tt.script); got != tt.want {
				t.Fatalf("output:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestWelcome(t *testing.T) {
	tests := []struct {
		name string
		cfg  console.Config
		want string
	}{
		{
			name: "demo",
			cfg:  demoConfig,
			want: "Firstline console. You are alice (employee) in #help.\n" +
				"Ask an IT question, or switch: /as tom (Tier 2), /as sara (Tier 3), /as ada (admin), /in #tier2, /in #tier3, /in @firstline (DM). /help for more.\n" +
				"Answers come in a thread: continue it with /thread MSG, press a button with /click MSG 1, react with /react MSG raising_hand.\n",
		},
		{
			name: "defaults",
			cfg:  console.Config{},
			want: "Firstline console. You are alice in #help.\nAsk an IT question, or switch: /in @firstline (DM). /help for more.\n" + "Answers come in a thread: continue it with /thread MSG, press a button with /click MSG 1, react with /react MSG raising_hand.\n",
		},
		{
			name: "another start",
			cfg:  console.Config{BotName: "deskbot", User: "tom", Channel: "#tier2", Users: demoConfig.Users[:2], Channels: []string{"#help", "tier2"}},
			want: "Firstline console. You are tom (Tier 2) in #tier2.\nAsk an IT question, or switch: /as alice (employee), /in #help, /in @deskbot (DM). /help for more.\n" + "Answers come in a thread: continue it with /thread MSG, press a button with /click MSG 1, react with /react MSG raising_hand.\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			a := console.New(tt.cfg, newMemState(), nil)
			if err := a.Run(context.Background(), &fakeEngine{}, strings.NewReader(""), &out, false); err != nil {
				t.Fatalf("run: %v", err)
			}
			if got := out.String(); got != tt.want {
				t.Fatalf("welcome:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	a := console.New(demoConfig, newMemState(), nil)
	got := runScript(t, a, &fakeEngine{}, "/help\n/frobnicate now\n")
	help := `Type a message to say it as alice in #help. Console commands:
  /as NAME           speak as someone else
  /in #CHANNEL       go to a channel; /in @firstline for your direct messages with the bot
  /thread MSG        continue in the thread of message MSG (e.g. /thread m3)
  /react MSG NAME    react to a message (e.g. /react m7 raising_hand); /unreact MSG NAME takes it back
  /click MSG CHOICE  press a button of a message, by number or label (e.g. /click m9 2)
  /form [ID]         list the request forms, or fill one in, a question at a time
  /echo TEXT         print TEXT
  /help              this help
  /quit              leave (so does end of input)
A line ending in \ continues the message on the next line, for !kb add and !kb edit (\\ ends it with a \).
People: alice (employee), tom (Tier 2), sara (Tier 3), ada (admin)
Channels: #help, #tier2, #tier3
`
	if want := help + "! unknown command /frobnicate\n" + help; got != want {
		t.Fatalf("output:\n%s\nwant:\n%s", got, want)
	}
}

// untimed returns events without their times, which the console takes from the wall clock, after
// checking every event has one.
func untimed(t testing.TB, evs []bot.Event) []bot.Event {
	t.Helper()
	out := make([]bot.Event, len(evs))
	for i, ev := range evs {
		if ev.Time.IsZero() {
			t.Fatalf("event %d has no time: %+v", i, ev)
		}
		ev.Time = time.Time{}
		out[i] = ev
	}
	return out
}

func TestEvents(t *testing.T) {
	ctx := context.Background()
	alice := bot.Event{Platform: "console", User: "console:alice", UserName: "alice"}
	with := func(ev bot.Event, set func(*bot.Event)) bot.Event {
		set(&ev)
		return ev
	}
	answer := onText("vpn", func(a *console.Adapter, ev bot.Event) {
		_, _ = a.Post(ctx, bot.Post{Channel: ev.Channel, Thread: ev.Thread, Text: "Try this.", Choices: feedbackChoices})
	})
	tests := []struct {
		name    string
		script  string
		onFlush func(t testing.TB, a *console.Adapter, ev bot.Event)
		want    []bot.Event
	}{
		{
			name:   "message in a channel",
			script: "  hello there  \n",
			want: []bot.Event{with(alice, func(ev *bot.Event) {
				ev.Kind, ev.ID, ev.Channel, ev.Message, ev.Text = bot.EventMessage, "m1", "help", "m1", "hello there"
			})},
		},
		{
			name:   "message in a thread, mentioning the bot",
			script: "q\n/in #tier2\n/thread m1\nthanks @FirstLine!\n",
			want: []bot.Event{
				with(alice, func(ev *bot.Event) {
					ev.Kind, ev.ID, ev.Channel, ev.Message, ev.Text = bot.EventMessage, "m1", "help", "m1", "q"
				}),
				with(alice, func(ev *bot.Event) {
					ev.Kind, ev.ID, ev.Channel, ev.Thread, ev.Message, ev.Text = bot.EventMessage, "m2", "help", "m1", "m2", "thanks @FirstLine!"
					ev.Mention = true
				}),
			},
		},
		{
			name:   "direct message",
			script: "/as tom\n/in @firstline\nhi\n",
			want: []bot.Event{{Kind: bot.EventMessage, ID: "m1", Platform: "console", Channel: "@tom", Message: "m1",
				User: "console:tom", UserName: "tom", DM: true, Text: "hi"}},
		},
		{
			name:   "reactions carry the message's place",
			script: "hi\n/thread m1\nre\n/in #tier2\n/as tom\n/react m2 :raising_hand:\n/unreact m1 Raising_Hand\n",
			want: []bot.Event{
				with(alice, func(ev *bot.Event) {
					ev.Kind, ev.ID, ev.Channel, ev.Message, ev.Text = bot.EventMessage, "m1", "help", "m1", "hi"
				}),
				with(alice, func(ev *bot.Event) {
					ev.Kind, ev.ID, ev.Channel, ev.Thread, ev.Message, ev.Text = bot.EventMessage, "m2", "help", "m1", "m2", "re"
				}),
				{Kind: bot.EventReactionAdded, Platform: "console", Channel: "help", Thread: "m1", Message: "m2",
					User: "console:tom", UserName: "tom", Reaction: "raising_hand"},
				{Kind: bot.EventReactionRemoved, Platform: "console", Channel: "help", Message: "m1",
					User: "console:tom", UserName: "tom", Reaction: "raising_hand"},
			},
		},
		{
			name:    "clicks report the choice id",
			script:  "/in @firstline\nvpn\n/click m2 not HELPFUL\n/click m2 1\n",
			onFlush: answer,
			want: []bot.Event{
				with(alice, func(ev *bot.Event) {
					ev.Kind, ev.ID, ev.Channel, ev.Message, ev.DM, ev.Text = bot.EventMessage, "m1", "@alice", "m1", true, "vpn"
				}),
				with(alice, func(ev *bot.Event) {
					ev.Kind, ev.Channel, ev.Message, ev.DM, ev.Choice = bot.EventClick, "@alice", "m2", true, "not_helpful"
				}),
				with(alice, func(ev *bot.Event) {
					ev.Kind, ev.Channel, ev.Message, ev.DM, ev.Choice = bot.EventClick, "@alice", "m2", true, "solved"
				}),
			},
		},
		{
			name:   "a click after an edit sees the new buttons",
			script: "rate\n/click m2 Excellent\n",
			onFlush: onText("rate", func(a *console.Adapter, ev bot.Event) {
				ref, _ := a.Post(ctx, bot.Post{Channel: ev.Channel, Thread: ev.Message, Text: "How was it?", Choices: feedbackChoices})
				_ = a.Update(ctx, ref, bot.Post{Text: "How was it, really?", Choices: []bot.Choice{{ID: "csat-5", Label: "Excellent"}}})
			}),
			want: []bot.Event{
				with(alice, func(ev *bot.Event) {
					ev.Kind, ev.ID, ev.Channel, ev.Message, ev.Text = bot.EventMessage, "m1", "help", "m1", "rate"
				}),
				with(alice, func(ev *bot.Event) {
					ev.Kind, ev.Channel, ev.Thread, ev.Message, ev.Choice = bot.EventClick, "help", "m1", "m2", "csat-5"
				}),
			},
		},
		{
			name:   "mistakes send nothing",
			script: "/react m1 +1\n/click m1 1\n/thread m1\n/nope\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := console.New(demoConfig, newMemState(), nil)
			eng := &fakeEngine{}
			if tt.onFlush != nil {
				eng.onFlush = func(ev bot.Event) { tt.onFlush(t, a, ev) }
			}
			runScript(t, a, eng, tt.script)
			got := untimed(t, eng.Events())
			if len(got) != len(tt.want) {
				t.Fatalf("%d events %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], tt.want[i]) {
					t.Fatalf("event %d:\n%+v\nwant\n%+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestMention(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"@firstline my vpn is broken", true},
		{"help please @FirstLine", true},
		{"thanks @firstline!", true},
		{"(@firstline) and @firstlinebot", true},
		{"ask @firstlinebot", false},
		{"ask @firstline_2", false},
		{"firstline, help", false},
		{"no mention", false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			a := console.New(demoConfig, newMemState(), nil)
			eng := &fakeEngine{}
			runScript(t, a, eng, tt.text+"\n")
			evs := eng.Events()
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1", len(evs))
			}
			if got := evs[0].Mention; got != tt.want {
				t.Fatalf("mention = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestHandleAndFlushBeforeNextLine checks a line's replies are printed before the next line is even read,
// so a script's transcript is in cause-and-effect order.
func TestHandleAndFlushBeforeNextLine(t *testing.T) {
	var out bytes.Buffer
	in := &stepReader{lines: []string{"first", "second"}, out: &out}
	a := console.New(demoConfig, newMemState(), nil)
	eng := &fakeEngine{}
	eng.onFlush = func(ev bot.Event) {
		_, _ = a.Post(context.Background(), bot.Post{Channel: ev.Channel, Thread: ev.Message, Text: "re: " + ev.Text})
	}
	if err := a.Run(context.Background(), eng, in, &out, false); err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(in.printed) != 2 {
		t.Fatalf("%d lines read, want 2", len(in.printed))
	}
	if got, want := in.printed[1], "[#help>m1] m2 firstline: re: first\n"; !strings.HasSuffix(got, want) {
		t.Fatalf("printed when the second line was read:\n%s\nwant it to end with:\n%s", got, want)
	}
	if got, want := out.String(), in.printed[1]+"[#help] m3 alice: second\n[#help>m3] m4 firstline: re: second\n"; got != want {
		t.Fatalf("output:\n%s\nwant:\n%s", got, want)
	}
}

// TestRestart checks messages of an earlier session can still be reacted to, replied under, clicked and
// edited by a new adapter on the same state.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	state := newMemState()

	first := console.New(demoConfig, state, nil)
	eng1 := &fakeEngine{}
	eng1.onFlush = func(ev bot.Event) {
		_, _ = first.Post(ctx, bot.Post{Channel: ev.Channel, Thread: ev.Message, Text: "Try this.", Choices: feedbackChoices})
	}
	runScript(t, first, eng1, "vpn\n")

	second := console.New(demoConfig, state, nil)
	eng2 := &fakeEngine{}
	eng2.onFlush = func(ev bot.Event) {
		if ev.Kind == bot.EventClick {
			_ = second.Update(ctx, bot.MessageRef{Platform: "console", Channel: "help", ID: ev.Message}, bot.Post{Text: "Glad it helped."})
		}
	}
	got := runScript(t, second, eng2, "/as tom\n/react m2 raising_hand\n/thread m2\nmore\n/as alice\n/click m2 1\n")
	want := `You are tom (Tier 2), in #help.
[#help>m1] m2 +raising_hand by tom
You are in #help>m1.
[#help>m1] m3 tom: more
You are alice (employee), in #help>m1.
[#help>m1] m2 [Solved] by alice
[#help>m1] m2 (edited) firstline: Glad it helped.
`
	if got != want {
		t.Fatalf("output:\n%s\nwant:\n%s", got, want)
	}
	evs := untimed(t, eng2.Events())
	wantEvs := []bot.Event{
		{Kind: bot.EventReactionAdded, Platform: "console", Channel: "help", Thread: "m1", Message: "m2", User: "console:tom", UserName: "tom", Reaction: "raising_hand"},
		{Kind: bot.EventMessage, ID: "m3", Platform: "console", Channel: "help", Thread: "m1", Message: "m3", User: "console:tom", UserName: "tom", Text: "more"},
		{Kind: bot.EventClick, Platform: "console", Channel: "help", Thread: "m1", Message: "m2", User: "console:alice", UserName: "alice", Choice: "solved"},
	}
	if len(evs) != len(wantEvs) {
		t.Fatalf("%d events %+v, want %d", len(evs), evs, len(wantEvs))
	}
	for i := range evs {
		if !reflect.DeepEqual(evs[i], wantEvs[i]) {
			t.Fatalf("event %d:\n%+v\nwant\n%+v", i, evs[i], wantEvs[i])
		}
	}
}

func TestPost(t *testing.T) {
	ctx := context.Background()
	a := console.New(demoConfig, newMemState(), nil)
	eng := &fakeEngine{}
	var checked bool
	eng.onFlush = func(ev bot.Event) {
		if ev.Text != "go" {
			return
		}
		checked = true
		// m1 is "go" in #help; m2 replies under it; m3 is alice's DM.
		reply := mustPost(t, a, bot.Post{Channel: "help", Thread: "m1", Text: "reply"})
		if want := (bot.MessageRef{Platform: "console", Channel: "help", Thread: "m1", ID: "m2"}); reply != want {
			t.Fatalf("reply ref = %+v, want %+v", reply, want)
		}
		dm := mustPost(t, a, bot.Post{DM: "console:bob", Channel: "ignored", Text: "psst"})
		if want := (bot.MessageRef{Platform: "console", Channel: "@bob", ID: "m3"}); dm != want {
			t.Fatalf("dm ref = %+v, want %+v", dm, want)
		}
		// Threads are one level: a reply under a reply goes under its root.
		nested := mustPost(t, a, bot.Post{Channel: "help", Thread: "m2", Text: "nested"})
		if nested.Thread != "m1" {
			t.Fatalf("reply under m2 is in thread %q, want m1", nested.Thread)
		}
		inDM := mustPost(t, a, bot.Post{Channel: "@bob", Thread: "m3", Text: "in the dm"})
		if want := (bot.MessageRef{Platform: "console", Channel: "@bob", Thread: "m3", ID: "m5"}); inDM != want {
			t.Fatalf("dm thread ref = %+v, want %+v", inDM, want)
		}
		errs := []struct {
			name string
			err  error
			code string
		}{
			{"dm on another platform", post(a, bot.Post{DM: "slack:U123", Text: "x"}), bot.EINVALID},
			{"dm without a name", post(a, bot.Post{DM: "console:", Text: "x"}), bot.EINVALID},
			{"no channel", post(a, bot.Post{Text: "x"}), bot.EINVALID},
			{"channel with #", post(a, bot.Post{Channel: "#tier2", Text: "x"}), bot.EINVALID},
			{"unknown thread", post(a, bot.Post{Channel: "help", Thread: "m99", Text: "x"}), bot.ENOTFOUND},
			{"thread in another channel", post(a, bot.Post{Channel: "tier2", Thread: "m1", Text: "x"}), bot.EINVALID},
			{"update unknown", a.Update(ctx, bot.MessageRef{Platform: "console", Channel: "help", ID: "m99"}, bot.Post{Text: "x"}), bot.ENOTFOUND},
			{"update in another channel", a.Update(ctx, bot.MessageRef{Platform: "console", Channel: "tier2", ID: "m1"}, bot.Post{Text: "x"}), bot.ENOTFOUND},
			{"update on another platform", a.Update(ctx, bot.MessageRef{Platform: "slack", Channel: "help", ID: "m1"}, bot.Post{Text: "x"}), bot.EINVALID},
			{"react unknown", a.React(ctx, bot.MessageRef{Platform: "console", Channel: "help", ID: "m99"}, "eyes"), bot.ENOTFOUND},
			{"react without a name", a.React(ctx, bot.MessageRef{Platform: "console", Channel: "help", ID: "m1"}, "::"), bot.EINVALID},
			{"run twice", a.Run(ctx, eng, strings.NewReader(""), io.Discard, false), bot.ECONFLICT},
		}
		for _, e := range errs {
			if got := bot.ErrorCode(e.err); got != e.code {
				t.Fatalf("%s: error %v has code %q, want %q", e.name, e.err, got, e.code)
			}
		}
	}
	got := runScript(t, a, eng, "go\n")
	if !checked {
		t.Fatalf("the engine was not flushed after the message")
	}
	want := `[#help] m1 alice: go
[#help>m1] m2 firstline: reply
[@bob] m3 firstline: psst
[#help>m1] m4 firstline: nested
[@bob>m3] m5 firstline: in the dm
`
	if got != want {
		t.Fatalf("output:\n%s\nwant:\n%s", got, want)
	}
}

func post(a *console.Adapter, p bot.Post) error {
	_, err := a.Post(context.Background(), p)
	return err
}

// TestNotRunning checks the console refuses effects outside Run with an error the engine retries, so
// they wait in the outbox instead of vanishing.
func TestNotRunning(t *testing.T) {
	ctx := context.Background()
	a := console.New(demoConfig, newMemState(), nil)
	check := func(when string) {
		t.Helper()
		ref := bot.MessageRef{Platform: "console", Channel: "help", ID: "m1"}
		for name, err := range map[string]error{
			"post":   post(a, bot.Post{Channel: "help", Text: "x"}),
			"update": a.Update(ctx, ref, bot.Post{Text: "x"}),
			"react":  a.React(ctx, ref, "eyes"),
		} {
			if got := bot.ErrorCode(err); got != bot.EUNAVAILABLE {
				t.Fatalf("%s %s: error %v has code %q, want %q", name, when, err, got, bot.EUNAVAILABLE)
			}
		}
	}
	check("before run")
	runScript(t, a, &fakeEngine{}, "hi\n")
	check("after run")
}

// TestFlushAtStart checks replies waiting in the engine's outbox are shown when the console starts.
func TestFlushAtStart(t *testing.T) {
	a := console.New(demoConfig, newMemState(), nil)
	eng := &fakeEngine{pending: []bot.Event{{Kind: bot.EventMessage, Text: "left over"}}}
	eng.onFlush = func(ev bot.Event) { _, _ = a.Post(context.Background(), bot.Post{Channel: "tier2", Text: ev.Text}) }
	if got, want := runScript(t, a, eng, ""), "[#tier2] m1 firstline: left over\n"; got != want {
		t.Fatalf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestEngineErrors(t *testing.T) {
	a := console.New(demoConfig, newMemState(), nil)
	eng := &fakeEngine{handleErr: errors.New("disk full")}
	got := runScript(t, a, eng, "hi\n/react m1 +1\n")
	want := `[#help] m1 alice: hi
! your message could not be recorded, so Firstline did not see it; try again (disk full)
[#help] m1 ++1 by alice
! your reaction could not be recorded, so Firstline did not see it; try again (disk full)
`
	if got != want {
		t.Fatalf("output:\n%s\nwant:\n%s", got, want)
	}

	eng = &fakeEngine{flushErr: errors.New("outbox locked")}
	a = console.New(demoConfig, newMemState(), nil)
	var out bytes.Buffer
	if err := a.Run(context.Background(), eng, strings.NewReader("hi\n"), &out, false); err != nil {
		t.Fatalf("run: %v", err)
	}
	if got, want := strings.Count(out.String(), "! some replies could not be shown yet; they are kept and will follow (outbox locked)\n"), 2; got != want {
		t.Fatalf("output has %d flush errors, want %d (at start and after the line):\n%s", got, want, out.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write(p []byte) (int, error) { return 0, errors.New("broken pipe") }

type failingReader struct{}

func (failingReader) Read(p []byte) (int, error) { return 0, errors.New("terminal gone") }

func TestIOErrors(t *testing.T) {
	a := console.New(demoConfig, newMemState(), nil)
	err := a.Run(context.Background(), &fakeEngine{}, strings.NewReader("hi\n"), failingWriter{}, false)
	if err == nil || !strings.Contains(err.Error(), "write console output: broken pipe") {
		t.Fatalf("run with a broken output: %v", err)
	}
	err = a.Run(context.Background(), &fakeEngine{}, failingReader{}, io.Discard, false)
	if err == nil || !strings.Contains(err.Error(), "read console input: terminal gone") {
		t.Fatalf("run with a broken input: %v", err)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	a := console.New(demoConfig, newMemState(), nil)
	eng := &fakeEngine{onFlush: func(bot.Event) { cancel() }}
	var out bytes.Buffer
	if err := a.Run(ctx, eng, strings.NewReader("one\ntwo\n"), &out, false); err != nil {
		t.Fatalf("run: %v", err)
	}
	if strings.Contains(out.String(), "two") {
		t.Fatalf("a line was read after cancel:\n%s", out.String())
	}
}

func TestInteractivePrompt(t *testing.T) {
	tests := []struct {
		name, script, want string
	}{
		{
			name:   "prompt shows the place",
			script: "hi\n/in #tier2\n/thread m1\n/in @firstline\n",
			want:   "alice #help> [#help] m1 alice: hi\nalice #help> You are in #tier2.\nalice #tier2> You are in #help>m1.\nalice #help>m1> You are in @alice.\nalice @alice> \n",
		},
		{
			name:   "last line without a newline",
			script: "/as tom\nhi",
			want:   "alice #help> You are tom (Tier 2), in #help.\ntom #help> [#help] m1 tom: hi\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := console.New(demoConfig, newMemState(), nil)
			var out bytes.Buffer
			if err := a.Run(context.Background(), &fakeEngine{}, strings.NewReader(tt.script), &out, true); err != nil {
				t.Fatalf("run: %v", err)
			}
			got := strings.SplitAfterN(out.String(), "\n", welcomeLines+1)[welcomeLines]
			if got != tt.want {
				t.Fatalf("output:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

// TestPostWhileWaiting checks a message posted from elsewhere while the user is at the prompt goes on
// its own line, and the prompt is shown again after it.
func TestPostWhileWaiting(t *testing.T) {
	a := console.New(demoConfig, newMemState(), nil)
	in := &chanReader{waiting: make(chan struct{}), lines: make(chan string)}
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background(), &fakeEngine{}, in, &out, true) }()
	<-in.waiting
	mustPost(t, a, bot.Post{Channel: "tier2", Text: "new ticket"})
	close(in.lines)
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	got := strings.SplitAfterN(out.String(), "\n", welcomeLines+1)[welcomeLines]
	if want := "alice #help> \n[#tier2] m1 firstline: new ticket\nalice #help> \n"; got != want {
		t.Fatalf("output:\n%q\nwant:\n%q", got, want)
	}
}

// TestConcurrentPost posts from other goroutines, as the engine's dispatcher does, while Run reads and
// handles lines; run with -race. Every message must come out whole, with its own id.
func TestConcurrentPost(t *testing.T) {
	a := console.New(demoConfig, newMemState(), nil)
	eng := &fakeEngine{}
	eng.onFlush = func(ev bot.Event) {
		_, _ = a.Post(context.Background(), bot.Post{Channel: ev.Channel, Thread: ev.Message, Text: "re: " + ev.Text + "\nsecond line"})
	}
	pr, pw := io.Pipe()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background(), eng, pr, &out, true) }()
	// The pipe hands over a write only when Run reads it, so Run is running after this.
	if _, err := io.WriteString(pw, "start\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	const posters, posts, lines = 4, 25, 20
	var wg sync.WaitGroup
	for i := range posters {
		wg.Go(func() {
			for range posts {
				if _, err := a.Post(context.Background(), bot.Post{Channel: "tier2", Text: "async\nsecond line", Choices: feedbackChoices[:1]}); err != nil {
					t.Errorf("poster %d: %v", i, err)
					return
				}
			}
		})
	}
	for i := range lines {
		if _, err := io.WriteString(pw, "line\n"); err != nil {
			t.Fatalf("write line %d: %v", i, err)
		}
	}
	wg.Wait()
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}

	text := out.String()
	ids := regexp.MustCompile(`(?m)^\[[^\]]+\] (m\d+) `).FindAllStringSubmatch(strings.ReplaceAll(text, "> [", ">\n["), -1)
	wantMsgs := posters*posts + 2*(lines+1)
	if len(ids) != wantMsgs {
		t.Fatalf("%d messages printed, want %d:\n%s", len(ids), wantMsgs, text)
	}
	seen := map[string]bool{}
	for _, m := range ids {
		if seen[m[1]] {
			t.Fatalf("message id %s printed twice", m[1])
		}
		seen[m[1]] = true
	}
	if got, want := strings.Count(text, "[#tier2] "), posters*posts; got != want {
		t.Fatalf("%d async posts printed, want %d", got, want)
	}
	if got, want := strings.Count(text, "\n  second line\n"), posters*posts+lines+1; got != want {
		t.Fatalf("%d continuation lines right after their message, want %d", got, want)
	}
}

// failAfter writes n times, then fails, as a closed pipe does.
type failAfter struct{ n int }

func (w *failAfter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("broken pipe")
	}
	w.n--
	return len(p), nil
}

func TestOutputFailsAtEnd(t *testing.T) {
	a := console.New(demoConfig, newMemState(), nil)
	err := a.Run(context.Background(), &fakeEngine{}, strings.NewReader("hi"), &failAfter{n: 1}, false)
	if err == nil || !strings.Contains(err.Error(), "write console output: broken pipe") {
		t.Fatalf("run: %v", err)
	}
}

// TestTypedLinesAreRedacted: a secret typed in the console, or posted by an engine that did not redact
// it, is neither stored in the console's messages (the data file) nor printed, nor handed to the
// engine; nor are bidi overrides and control characters.
func TestTypedLinesAreRedacted(t *testing.T) {
	const secret = "Hunter-2024x"
	st := newMemState()
	a := console.New(demoConfig, st, nil)
	eng := &fakeEngine{}
	eng.onFlush = func(ev bot.Event) {
		if ev.Kind == bot.EventMessage {
			_, _ = a.Post(context.Background(), bot.Post{Channel: ev.Channel, Thread: ev.Message, Title: "card password: " + secret,
				Text: "echo: password: " + secret, Fields: []bot.Field{{Name: "Said", Value: "password: " + secret}},
				Choices: []bot.Choice{{ID: "x", Label: "password: " + secret}}})
		}
	}
	out := runScript(t, a, eng, "my new password: "+secret+" \u202Egnp.exe\x1b[2J\n")
	if strings.Contains(out, secret) || strings.ContainsAny(out, "\u202E\x1b") {
		t.Fatalf("printed unredacted:\n%s", out)
	}
	if !strings.Contains(out, "[#help] m1 alice: my new password: [redacted password] gnp.exe[2J") {
		t.Fatalf("the typed line is not printed redacted:\n%s", out)
	}
	for k, v := range st.data {
		if strings.Contains(string(v), secret) || strings.Contains(string(v), "\u202E") || strings.Contains(string(v), `\u001b`) {
			t.Errorf("stored unredacted under %s: %s", k, v)
		}
	}
	if evs := eng.Events(); len(evs) != 1 || strings.Contains(evs[0].Text, secret) {
		t.Fatalf("events handed to the engine: %+v", evs)
	}
}

// TestMultiLineMessage: a line ending in a backslash continues the message on the next line, so an
// article can be added from the console; a doubled backslash ends a line with one; the end of input
// ends a continued message.
func TestMultiLineMessage(t *testing.T) {
	tests := []struct {
		name, script, want string
		texts              []string
	}{
		{
			name:   "kb add",
			script: "!kb add\\\nPrinter paper jam\\\n\\\nOpen tray 2 and pull the paper.\\\ntags: printer\nnext\n",
			want:   "[#help] m1 alice: !kb add\n  Printer paper jam\n  Open tray 2 and pull the paper.\n  tags: printer\n[#help] m2 alice: next\n",
			texts:  []string{"!kb add\nPrinter paper jam\n\nOpen tray 2 and pull the paper.\ntags: printer", "next"},
		},
		{
			name:   "CRLF line endings",
			script: "one\\\r\ntwo\r\n",
			want:   "[#help] m1 alice: one\n  two\n",
			texts:  []string{"one\ntwo"},
		},
		{
			name:   "a doubled backslash ends the line with one",
			script: "the share is C:\\Temp\\\\\nnext\n",
			want:   "[#help] m1 alice: the share is C:\\Temp\\\n[#help] m2 alice: next\n",
			texts:  []string{"the share is C:\\Temp\\", "next"},
		},
		{
			name:   "end of input ends the message",
			script: "first\\\nsecond\\",
			want:   "[#help] m1 alice: first\n  second\n",
			texts:  []string{"first\nsecond"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := &fakeEngine{}
			got := runScript(t, console.New(demoConfig, newMemState(), nil), eng, tt.script)
			if got != tt.want {
				t.Fatalf("output:\n%s\nwant:\n%s", got, tt.want)
			}
			var texts []string
			for _, ev := range eng.Events() {
				texts = append(texts, ev.Text)
			}
			if strings.Join(texts, "|") != strings.Join(tt.texts, "|") {
				t.Fatalf("events %q, want %q", texts, tt.texts)
			}
		})
	}
}

// TestMultiLinePrompt: while a message is continued, the prompt says so.
func TestMultiLinePrompt(t *testing.T) {
	a := console.New(demoConfig, newMemState(), nil)
	var out bytes.Buffer
	if err := a.Run(context.Background(), &fakeEngine{}, strings.NewReader("one\\\ntwo\n"), &out, true); err != nil {
		t.Fatal(err)
	}
	got := strings.SplitAfterN(out.String(), "\n", welcomeLines+1)[welcomeLines]
	if want := "alice #help> ... [#help] m1 alice: one\n  two\nalice #help> \n"; got != want {
		t.Fatalf("output:\n%q\nwant:\n%q", got, want)
	}
}
