package bot_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

func TestParseTicketID(t *testing.T) {
	for in, want := range map[string]string{
		"T-000123": "T-000123", "t-000123": "T-000123", "T-123": "T-000123", "t-1": "T-000001",
		"#T-42": "T-000042", "T-1234567": "T-1234567",
		"T-0": "", "T-": "", "T-12a": "", "123": "", "X-12": "", "T12": "", "T-99999999999999999999": "",
	} {
		got, ok := bot.ParseTicketID(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseTicketID(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// escalatedTicket opens T-000001 for alice, escalated to Tier 2 with its card.
func escalatedTicket(t *testing.T, d *bottest.Desk) {
	t.Helper()
	d.Say(alice, "help", "the printer on floor 3 eats my payslips")
	if len(d.Chat.Messages("tier2")) == 0 {
		t.Fatalf("no card in tier2: %+v", d.Chat.Messages(""))
	}
}

// TestCommandsTakeATicketID checks that every ticket command takes a ticket id as its first argument,
// from anywhere, with the rules it has in the ticket's thread: the requester and the tier's technicians
// may, anyone else hears that there is no such ticket, in the words an unknown id gets.
func TestCommandsTakeATicketID(t *testing.T) {
	db := openStore(t, "")
	d := bottest.NewDesk(t, testConfig(), db, testLibrary())
	escalatedTicket(t, d)

	// The requester asks from a DM, without leading zeros, in lower case.
	d.Say(alice, "@alice", "!status t-1")
	if got := d.Chat.Last("@alice").Text(); !strings.Contains(got, "T-000001") || !strings.Contains(got, "payslips") {
		t.Fatalf("status in alice's DM: %q", got)
	}

	// Someone else learns nothing, whether the ticket exists or not, and the same words tell them so.
	d.Say(bob, "@bob", "!status T-000001")
	notHers := d.Chat.Last("@bob").Text()
	d.Say(bob, "@bob", "!status T-000999")
	unknown := d.Chat.Last("@bob").Text()
	if strings.Contains(notHers, "payslips") || strings.Contains(notHers, "alice") {
		t.Fatalf("bob saw alice's ticket: %q", notHers)
	}
	if strings.ReplaceAll(notHers, "T-000001", "T-X") != strings.ReplaceAll(unknown, "T-000999", "T-X") {
		t.Fatalf("another's ticket and no ticket answer differently:\n%q\n%q", notHers, unknown)
	}
	for _, cmd := range []string{"!resolve T-1", "!priority T-1 P1", "!escalate T-1", "!waiting T-1", "!vendor T-1 acme 7"} {
		d.Say(bob, "@bob", cmd)
	}
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusEscalated || tk.Priority != "P3" {
		t.Fatalf("bob changed alice's ticket: %s %s", tk.Status, tk.Priority)
	}

	// A technician of the tier works it by id from the tier channel.
	d.Say(tom, "tier2", "!priority T-000001 P1")
	if tk := ticket(t, db, "T-000001"); tk.Priority != "P1" {
		t.Fatalf("priority by id from the tier channel: %s; tier2: %q", tk.Priority, d.Chat.Last("tier2").Text())
	}
	// A technician of another tier may not.
	d.Say(sara, "@sara", "!priority T-1 P4")
	if tk := ticket(t, db, "T-000001"); tk.Priority != "P1" {
		t.Fatalf("a tier 3 technician changed a tier 2 ticket: %s", tk.Priority)
	}
	// The requester resolves it from her DM.
	d.Say(alice, "@alice", "!resolve T-000001")
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved {
		t.Fatalf("resolve by id: %s; alice's DM: %q", tk.Status, d.Chat.Last("@alice").Text())
	}
}

// TestTicketIDInAPublicChannel checks that a command naming a ticket in a public channel that is not
// the ticket's answers in the user's DM, not in the channel.
func TestTicketIDInAPublicChannel(t *testing.T) {
	db := openStore(t, "")
	d := bottest.NewDesk(t, testConfig(), db, testLibrary())
	escalatedTicket(t, d)
	q := d.Say(alice, "random", "!status T-000001")
	for _, m := range d.Chat.Thread("random", q) {
		if strings.Contains(m.Text(), "payslips") {
			t.Fatalf("the status went to the public channel: %q", m.Text())
		}
	}
	if got := d.Chat.Last("@alice").Text(); !strings.Contains(got, "payslips") {
		t.Fatalf("the status is not in alice's DM: %q", got)
	}
}

// privateChat is a platform with private replies, recording them apart from its public posts.
type privateChat struct {
	*bottest.Chat
	mu      sync.Mutex
	private []bot.Post
}

func (c *privateChat) PostPrivate(_ context.Context, p bot.Post) (bot.MessageRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.private = append(c.private, p)
	return bot.MessageRef{Platform: c.Platform(), Channel: p.Channel}, nil
}

// TestPrivateCommand checks that the replies to a private event (a slash command) are private: through
// PostPrivate with the event's handle where the platform has it, as a DM where it has not, and never
// in the channel.
func TestPrivateCommand(t *testing.T) {
	db := openStore(t, "")
	d := bottest.NewDesk(t, testConfig(), db, testLibrary())
	escalatedTicket(t, d)
	before := len(d.Chat.Messages("random"))
	n := 0
	slash := func(user, text string) {
		t.Helper()
		_, name := bot.SplitID(user)
		n++
		if err := d.Handle(bot.Event{Kind: bot.EventMessage, ID: "cmd:" + strconv.Itoa(n), Channel: "random", User: user, UserName: name,
			Text: text, Private: true, ReplyTo: "handle-" + name}); err != nil {
			t.Fatal(err)
		}
	}
	slash(alice, "!status T-000001")
	slash(tom, "!status")
	if n := len(d.Chat.Messages("random")); n != before {
		t.Fatalf("private replies were posted in the channel: %+v", d.Chat.Messages("random")[before:])
	}
	if got := d.Chat.Last("@alice").Text(); !strings.Contains(got, "payslips") {
		t.Fatalf("without private posts, the reply is a DM: %q", got)
	}

	pc := &privateChat{Chat: bottest.NewChat("test")}
	d.Engine.AddChat(pc)
	slash(alice, "!status T-000001")
	slash(bob, "!status T-000001")
	slash(alice, "!resolve T-000001")
	if m := pc.Messages("random"); len(m) != 0 {
		t.Fatalf("a private platform got posts in the channel: %q", m[0].Text())
	}
	if len(pc.private) != 2 {
		t.Fatalf("private replies %+v", pc.private)
	}
	for i, want := range []struct{ to, handle, text string }{
		{alice, "handle-alice", "T-000001"}, {bob, "handle-bob", "can't find"},
	} {
		p := pc.private[i]
		if p.To != want.to || p.ReplyTo != want.handle || p.Channel != "random" || !strings.Contains(p.Text, want.text) {
			t.Errorf("private reply %d: %+v", i, p)
		}
	}
	if tk := ticket(t, db, "T-000001"); tk.Status != bot.StatusResolved {
		t.Fatalf("resolve by slash command: %s", tk.Status)
	}
}
