package discord_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// random is a channel that is neither a help channel nor a tier's: people talk there among themselves.
const random = "100000000000000007"

// tickets returns every ticket's id, in order.
func tickets(t *testing.T, db *storage.DB) []string {
	t.Helper()
	var ids []string
	for i := 1; ; i++ {
		id := fmt.Sprintf("T-%06d", i)
		err := db.View(context.Background(), func(tx bot.Tx) error { _, err := tx.Ticket(id); return err })
		if bot.IsNotFound(err) {
			return ids
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
}

// sayWith dispatches a message from user in channel with attachments (fakediscord.AddAttachment's JSON).
func (d *desk) sayWith(user, channel, text string, attachments ...map[string]any) string {
	d.t.Helper()
	id := d.id()
	list := make([]any, 0, len(attachments))
	for _, a := range attachments {
		list = append(list, a)
	}
	d.fake.Dispatch(d.t, "MESSAGE_CREATE", map[string]any{"id": id, "channel_id": channel, "guild_id": fakediscord.GuildID,
		"content": text, "type": 0, "timestamp": time.Now().Format(time.RFC3339), "attachments": list,
		"author": map[string]any{"id": user, "username": name(user)}, "member": map[string]any{"roles": []string{}, "nick": ""}})
	return id
}

// waitFor flushes the engine until cond holds, for 10 s.
func (d *desk) waitFor(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := d.engine.Flush(context.Background()); err != nil {
			d.t.Fatal(err)
		}
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("waited 10 s for %s; sent:\n%s", what, dump(d.fake.Sent()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTicketEmojiInAnyChannel turns a message in a channel that is nobody's help channel into a ticket
// with 🎫: its author is the requester, the person who reacted is recorded, and its thread is the
// ticket's conversation. A second 🎫 (by anyone) makes no second ticket: it gets a link to the first.
func TestTicketEmojiInAnyChannel(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	d.fake.AddChannel(random, "", 0)
	q := d.say(alice, random, "The printer on floor 3 eats every page")
	d.react(tom, random, q, "🎫", techs)
	opened := d.find(q, "turned this message into")
	if !strings.Contains(opened.Content, "tom") || !strings.Contains(opened.Content, "alice") {
		t.Fatalf("the opening says %q, want who made it for whom", opened.Content)
	}
	if th := d.fake.Threads(); len(th) != 1 || th[0].ID != q || th[0].ParentID != random {
		t.Fatalf("threads %+v, want one on the message", th)
	}
	tk := ticket(t, d.db, "T-000001")
	if tk.Requester != "discord:"+alice || tk.Intake == nil || tk.Intake.Via != bot.IntakeReaction || tk.Intake.By != "discord:"+tom ||
		tk.Conversation.Channel != random || tk.Conversation.Thread != q || !strings.Contains(tk.Subject, "printer") {
		t.Fatalf("ticket %+v intake %+v", tk, tk.Intake)
	}

	// Alice reacts too: the message has its ticket; she is told so, privately.
	d.react(alice, random, q, "🎫")
	d.waitFor("a DM to alice", func() bool { return d.fake.DMChannel(alice) != "" })
	dm := d.find(d.fake.DMChannel(alice), "already has a ticket")
	if !strings.Contains(dm.Content, "T-000001") || !strings.Contains(dm.Content, "https://discord.com/channels/"+fakediscord.GuildID+"/"+random+"/"+q) {
		t.Fatalf("the second reaction's answer %q, want the ticket and a link to its thread", dm.Content)
	}
	if ids := tickets(t, d.db); len(ids) != 1 {
		t.Fatalf("tickets %v, want one", ids)
	}
	// In the ticket's thread, alice's next message is part of it.
	d.say(alice, q, "It happens with the duplex tray only")
	d.waitFor("the message on the ticket", func() bool {
		for _, m := range ticket(t, d.db, "T-000001").Transcript {
			if strings.Contains(m.Text, "duplex") {
				return true
			}
		}
		return false
	})
}

// TestTicketEmojiOnAMessageInAThread reads the message from the thread it is in, and makes that thread
// the ticket's conversation.
func TestTicketEmojiOnAMessageInAThread(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	d.fake.AddChannel(random, "", 0)
	root := d.say(tom, random, "Standup notes")
	d.fake.AddChannel(root, random, 11) // a thread people started on it
	q := d.say(alice, root, "My laptop will not charge")
	d.react(tom, root, q, "🎫", techs)
	d.find(root, "T-000001")
	tk := ticket(t, d.db, "T-000001")
	if tk.Conversation.Channel != random || tk.Conversation.Thread != root || tk.Requester != "discord:"+alice {
		t.Fatalf("conversation %+v requester %s", tk.Conversation, tk.Requester)
	}
}

// TestTicketEmojiRefusals: the bot's own message, and a message deleted before it is read, make no
// ticket and say why.
func TestTicketEmojiRefusals(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	d.fake.AddChannel(random, "", 0)
	q := d.say(alice, random, "My screen flickers")
	d.fake.DeleteMessage(random, q)
	d.react(tom, random, q, "🎫", techs)
	d.waitFor("a DM to tom", func() bool { return d.fake.DMChannel(tom) != "" })
	d.find(d.fake.DMChannel(tom), "That message is gone")
	if ids := tickets(t, d.db); len(ids) != 0 {
		t.Fatalf("tickets %v for a deleted message", ids)
	}
}

// TestAttachmentReachesTheCard: a screenshot posted in a ticket's conversation is recorded on the ticket
// and uploaded to the card's thread, as Discord takes files (multipart, named in attachments).
func TestAttachmentReachesTheCard(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	q := d.say(alice, help, "My VPN will not connect")
	answer := d.find(q, "Talk to a human")
	d.click(alice, q, answer.ID, bot.FeedbackHuman)
	card := d.find(tier2, "T-000001")
	shot := d.fake.AddAttachment(q, "error.png", "image/png", []byte("\x89PNG error 809"))
	d.sayWith(alice, q, "here is the error", shot)
	up := d.fake.WaitUploads(t, 1)
	if up[0].ChannelID != card.ID || up[0].Filename != "error.png" || string(up[0].Data) != "\x89PNG error 809" || up[0].ContentType != "image/png" {
		t.Fatalf("upload %+v, want the screenshot in the card's thread %s", up[0], card.ID)
	}
	var raw string
	for _, c := range d.fake.Calls() {
		if strings.HasSuffix(c.Path, "/channels/"+card.ID+"/messages") && strings.Contains(string(c.Body), "attachments") {
			raw = string(c.Body)
		}
	}
	if !strings.Contains(raw, `"filename":"error.png"`) || !strings.Contains(raw, `"nonce"`) {
		t.Fatalf("payload_json %s, want the file named in attachments and a nonce", raw)
	}
	tk := ticket(t, d.db, "T-000001")
	if len(tk.Files) != 1 || tk.Files[0].Name != "error.png" || tk.Files[0].Size != 14 || tk.Files[0].Refused != "" {
		t.Fatalf("files on the ticket %+v", tk.Files)
	}
}

// TestOversizedFileRefused: a file over [files] max_bytes, and one of a kind [files] refuse names, get a
// clear reply and are not passed on.
func TestOversizedFileRefused(t *testing.T) {
	cfg := testConfig("discord:" + tier2)
	cfg.Files.MaxBytes = 10
	cfg.Files.Refuse = []string{"application/x-msdownload", ".bat"}
	d := newDesk(t, cfg)
	q := d.say(alice, help, "My VPN will not connect")
	answer := d.find(q, "Talk to a human")
	d.click(alice, q, answer.ID, bot.FeedbackHuman)
	card := d.find(tier2, "T-000001")
	big := d.fake.AddAttachment(q, "dump.bin", "application/octet-stream", []byte(strings.Repeat("x", 11)))
	d.sayWith(alice, q, "the crash dump", big)
	d.find(q, "I can't pass on **dump.bin**")
	d.find(card.ID, "the crash dump") // relayed as text, in the card's thread (its id is the card's)
	exe := d.fake.AddAttachment(q, "fix.exe", "application/x-msdownload", []byte("MZ"))
	bat := d.fake.AddAttachment(q, "FIX.BAT", "text/plain", []byte("@echo"))
	d.sayWith(alice, q, "or these", exe, bat)
	reply := d.find(q, "I can't pass on **fix.exe**")
	for _, want := range []string{"does not take files of type application/x-msdownload", "I can't pass on **FIX.BAT**", "does not take .bat files"} {
		if !strings.Contains(reply.Content, want) {
			t.Fatalf("the reply %q lacks %q", reply.Content, want)
		}
	}
	d.find(card.ID, "or these")
	if up := d.fake.Uploads(); len(up) != 0 {
		t.Fatalf("uploads %+v of a refused file", up)
	}
	if f := ticket(t, d.db, "T-000001").Files; len(f) != 3 || f[0].Refused == "" || f[1].Refused == "" || f[2].Refused == "" {
		t.Fatalf("files %+v, want three recorded as refused", f)
	}
}

// TestExpiredAttachmentURL: a file passed on after its URL expired is read through a fresh URL from its
// message, and one Discord refuses (over the server's upload limit) is linked with a note why.
func TestExpiredAttachmentURL(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	q := d.say(alice, help, "My VPN will not connect")
	d.find(q, "Talk to a human")
	shot := d.fake.AddAttachment(q, "vpn.png", "image/png", []byte("PNG"))
	d.sayWith(alice, q, "the error", shot)
	answer := d.find(q, "nothing better")
	d.fake.ExpireAttachmentURLs()
	d.click(alice, q, answer.ID, bot.FeedbackHuman) // the card's thread gets the files sent before
	card := d.find(tier2, "T-000001")
	if up := d.fake.WaitUploads(t, 1); up[0].ChannelID != card.ID || string(up[0].Data) != "PNG" {
		t.Fatalf("upload %+v", up[0])
	}

	d.fake.SetUploadLimit(2)
	big := d.fake.AddAttachment(q, "big.png", "image/png", []byte("PNG!"))
	d.sayWith(alice, q, "another", big)
	linked := d.find(card.ID, "not copied here")
	if !strings.Contains(linked.Content, "big.png") || !strings.Contains(linked.Content, "platform refused") {
		t.Fatalf("the refused upload became %q", linked.Content)
	}
}

// TestTicketEmojiOnAScreenshot: a message with a screenshot turned into a ticket by 🎫 brings its file,
// read with the message over REST: recorded on the ticket, listed on the card and uploaded to the
// card's thread.
func TestTicketEmojiOnAScreenshot(t *testing.T) {
	d := newDesk(t, testConfig("discord:"+tier2))
	d.fake.AddChannel(random, "", 0)
	shot := d.fake.AddAttachment(random, "printer.png", "image/png", []byte("PNG paper jam"))
	q := d.sayWith(alice, random, "The printer on floor 3 eats every page", shot)
	d.react(tom, random, q, "🎫", techs)
	d.find(q, "turned this message into")
	tk := ticket(t, d.db, "T-000001")
	if len(tk.Files) != 1 || tk.Files[0].Name != "printer.png" || tk.Files[0].Type != "image/png" || tk.Files[0].Refused != "" {
		t.Fatalf("files on the ticket %+v", tk.Files)
	}
	card := d.find(tier2, "T-000001") // the knowledge base has nothing on printers: straight to Tier 2
	if !strings.Contains(dump([]fakediscord.Message{card}), "printer.png") {
		t.Fatalf("the card does not list the screenshot: %s", dump([]fakediscord.Message{card}))
	}
	if up := d.fake.WaitUploads(t, 1); up[0].ChannelID != card.ID || up[0].Filename != "printer.png" || string(up[0].Data) != "PNG paper jam" {
		t.Fatalf("upload %+v, want the screenshot in the card's thread %s", up[0], card.ID)
	}
}
