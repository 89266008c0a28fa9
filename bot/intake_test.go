package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/storage"
)

// tickets returns every ticket of the data file.
func tickets(t *testing.T, db *storage.DB) []*bot.Ticket {
	t.Helper()
	var out []*bot.Ticket
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		out, err = tx.FindTickets(bot.TicketFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReactionTurnsAnyMessageIntoATicket: bob's message in a channel the desk does not answer in becomes
// a ticket when tom reacts with the ticket emoji: bob is the requester, tom is recorded, the answer is in
// the message's thread. A second reaction, and the shortcut, make no second ticket: they get a link.
func TestReactionTurnsAnyMessageIntoATicket(t *testing.T) {
	d, db := newDesk(t)
	msg := d.Written(bob, "random", "", "my vpn will not connect since this morning")
	d.ReactTo(tom, "random", msg, "ticket")
	ts := tickets(t, db)
	if len(ts) != 1 {
		t.Fatalf("%d tickets after one reaction", len(ts))
	}
	tk := ts[0]
	if tk.Requester != bob || tk.Intake == nil || tk.Intake.Via != bot.IntakeReaction || tk.Intake.By != tom {
		t.Fatalf("requester %s, intake %+v", tk.Requester, tk.Intake)
	}
	if tk.Conversation.Channel != "random" || tk.Conversation.Thread != msg || tk.Subject != "my vpn will not connect since this morning" {
		t.Fatalf("conversation %+v, subject %q", tk.Conversation, tk.Subject)
	}
	if tk.Transitions[0].By != tom {
		t.Fatalf("opened by %s, not by who reacted", tk.Transitions[0].By)
	}
	thread := d.Chat.Thread("random", msg)
	if len(thread) < 2 {
		t.Fatalf("%d posts in the message's thread", len(thread))
	}
	mustContain(t, "the notice", thread[0].Text(), "**tom** turned this message into **T-000001** for **bob**")
	mustContain(t, "the answer", thread[1].Text(), "Connect to the VPN")

	posts := d.Chat.Count()
	d.ReactTo(alice, "random", msg, "ticket")
	d.CreateTicket(ada, "random", msg)
	if n := len(tickets(t, db)); n != 1 {
		t.Fatalf("%d tickets after a second reaction and the shortcut", n)
	}
	if got := d.Chat.Count() - posts; got != 2 {
		t.Fatalf("%d posts for the second reaction and the shortcut, want one private reply each", got)
	}
	for _, who := range []string{"alice", "ada"} {
		m := d.Chat.Last("@" + who)
		if m == nil || !strings.Contains(m.Text(), "already has a ticket: **T-000001**") {
			t.Fatalf("%s's reply: %+v", who, m)
		}
		if m.Post.Link == nil || m.Post.Link.Channel != "random" || m.Post.Link.ID != msg {
			t.Fatalf("%s's reply links to %+v", who, m.Post.Link)
		}
	}
	// A reaction on the desk's own answer: that message is the ticket's already.
	d.ReactTo(tina, "random", thread[1].Ref.ID, "ticket")
	mustContain(t, "tina's reply", d.Chat.Last("@tina").Text(), "already has a ticket: **T-000001**")
	// Bob's own message in the thread, not the thread's root: the thread is the ticket's.
	reply := d.Written(bob, "random", msg, "still broken")
	d.ReactTo(alice, "random", reply, "ticket")
	if n := len(tickets(t, db)); n != 1 {
		t.Fatalf("%d tickets after a reaction on a reply in the ticket's thread", n)
	}
}

// TestShortcutOnAReplyInAThread: the message shortcut on a reply in someone's thread opens a ticket whose
// conversation is that thread, with the reply's author as the requester, its files recorded.
func TestShortcutOnAReplyInAThread(t *testing.T) {
	d, db := newDesk(t)
	root := d.Written(alice, "random", "", "lunch?")
	shot := d.Chat.AddFile("error.png", "image/png", []byte("png bytes"))
	reply := d.Written(bob, "random", root, "my laptop shows this error", shot)
	d.CreateTicket(alice, "random", reply)
	tk := ticket(t, db, "T-000001")
	if tk.Requester != bob || tk.Conversation.Thread != root || tk.Intake.Via != bot.IntakeShortcut || tk.Intake.Message.ID != reply {
		t.Fatalf("ticket: requester %s conversation %+v intake %+v", tk.Requester, tk.Conversation, tk.Intake)
	}
	if len(tk.Files) != 1 || tk.Files[0].Name != "error.png" || tk.Files[0].From != bob {
		t.Fatalf("files: %+v", tk.Files)
	}
}

// TestTicketFromAMessageRefused: a message that is gone, a bot's message, a tier channel's.
func TestTicketFromAMessageRefused(t *testing.T) {
	d, db := newDesk(t)
	gone := d.Written(bob, "random", "", "printer jam")
	d.Chat.Delete("random", gone)
	d.ReactTo(tom, "random", gone, "ticket")
	mustContain(t, "the reply to a deleted message", d.Chat.Last("@tom").Text(), "That message is gone")

	d.Chat.Wrote(bot.ChatMessage{Ref: bot.MessageRef{Platform: "test", Channel: "random", ID: "bot1"}, Author: "test:deploybot", Bot: true, Text: "deployed"})
	d.CreateTicket(tom, "random", "bot1")
	mustContain(t, "the reply to a bot's message", d.Chat.Last("@tom").Text(), "Only messages people wrote")

	inTier := d.Written(bob, "tier2", "", "help")
	d.ReactTo(tom, "tier2", inTier, "ticket")
	mustContain(t, "the reply in a tier channel", d.Chat.Last("@tom").Text(), "aren't made from messages in a tier channel")
	if n := len(tickets(t, db)); n != 0 {
		t.Fatalf("%d tickets", n)
	}
	// Another reaction on a message is none of the desk's business.
	other := d.Written(bob, "random", "", "hello")
	posts := d.Chat.Count()
	d.ReactTo(tom, "random", other, "tada")
	if d.Chat.Count() != posts || len(tickets(t, db)) != 0 {
		t.Fatal("a reaction that is not the ticket's made something")
	}
}

// TestTicketReactionOff: with reactions.ticket empty, the ticket emoji is just an emoji.
func TestTicketReactionOff(t *testing.T) {
	cfg := testConfig()
	cfg.Reactions.Ticket = ""
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	msg := d.Written(bob, "random", "", "vpn broken")
	d.ReactTo(tom, "random", msg, "ticket")
	if n := len(tickets(t, db)); n != 0 {
		t.Fatalf("%d tickets", n)
	}
}

// TestGroupDMIsOneTicket: a group DM with the desk is one conversation like a DM; its requester is who
// wrote first, others' messages are part of it, and a list of someone's tickets goes to their own DM.
func TestGroupDMIsOneTicket(t *testing.T) {
	d, db := newDesk(t)
	d.Engine.SetSignIn(&links{})
	ev := func(user, text string) bot.Event {
		_, name := bot.SplitID(user)
		return bot.Event{Kind: bot.EventMessage, Channel: "G1", User: user, UserName: name, DM: true, Group: true, Text: text}
	}
	for i, e := range []bot.Event{ev(bob, "the vpn is down for both of us"), ev(alice, "yes, same here"), ev(alice, "!web")} {
		e.ID, e.Message = "g"+string(rune('1'+i)), "g"+string(rune('1'+i))
		if err := d.Handle(e); err != nil {
			t.Fatal(err)
		}
	}
	ts := tickets(t, db)
	if len(ts) != 1 || ts[0].Requester != bob || !ts[0].Conversation.DM {
		t.Fatalf("tickets: %d, requester %s", len(ts), ts[0].Requester)
	}
	said := false
	for _, e := range ts[0].Transcript {
		said = said || (e.Author == alice && e.Text == "yes, same here")
	}
	if !said {
		t.Fatalf("alice's message is not in the ticket: %+v", ts[0].Transcript)
	}
	// A sign-in link is alice's alone: not in the group.
	for _, m := range d.Chat.Messages("G1") {
		if strings.Contains(m.Text(), "/signin/link/") {
			t.Fatalf("a sign-in link in the group DM: %s", m.Text())
		}
	}
	mustContain(t, "alice's DM", d.Chat.Last("@alice").Text(), "/signin/link/TOKEN-alice")
}
