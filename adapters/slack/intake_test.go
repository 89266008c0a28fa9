package slack_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
)

// intakeConfig is the desk's config with forms, files and homes that publish at once.
func intakeConfig() bot.Config {
	cfg := deskConfig()
	cfg.Admins = []string{"slack:UADA"}
	cfg.Files = bot.FilesConfig{MaxBytes: 1000, Refuse: []string{".exe"}}
	cfg.HomeEvery = time.Millisecond
	cfg.Forms = []bot.Form{
		{ID: "access", Title: "Access request", Tier: "tier2", Priority: "P2", Fields: []bot.FormField{
			{ID: "system", Label: "Which system?", Type: bot.FieldSelect, Options: []string{"Finance share", "VPN", "Jira"}, Required: true},
			{ID: "why", Label: "Why do you need it?", Type: bot.FieldLongText, Required: true},
			{ID: "approver", Label: "Who approves?", Type: bot.FieldUser},
			{ID: "by", Label: "Needed by", Type: bot.FieldDate},
		}},
		{ID: "laptop", Title: "Laptop problem", Fields: []bot.FormField{
			{ID: "model", Label: "Model", Type: bot.FieldShortText, Required: true},
			{ID: "what", Label: "What happens?", Type: bot.FieldLongText, Required: true},
			{ID: "urgency", Label: "How urgent?", Type: bot.FieldPriority},
		}},
		{ID: "payroll", Title: "Payroll access", Tier: "tier3", Audience: []string{"slack:subteam:SHR"}, Fields: []bot.FormField{
			{ID: "who", Label: "Whose payroll?", Type: bot.FieldShortText, Required: true},
		}},
	}
	return cfg
}

func newIntakeDesk(t *testing.T) *desk {
	return newDeskWith(t, intakeConfig(), func(f *fakeslack.Server) {
		f.AddUser("UBOB", "Bob Stone", "bob")
		f.AddUser("UADA", "Ada Byron", "ada")
	})
}

// wrote has user write text in channel (thread "" for the top level), known to Slack but not sent to
// the desk as an event, as in a channel the desk does not answer in; it returns the message's ts.
func (d *desk) wrote(user, channel, thread, text string, files ...fakeslack.File) string {
	d.ts++
	return d.fake.AddMessage(fakeslack.Message{Channel: channel, ThreadTS: thread, TS: tsOf(d.ts), User: user, Text: text, Files: files}).TS
}

// sayFiles sends the message event of user posting files (subtype file_share) with text in channel.
func (d *desk) sayFiles(user, channel, thread, text, channelType string, files ...fakeslack.File) string {
	d.t.Helper()
	ts := d.wrote(user, channel, thread, text, files...)
	var fs []any
	for _, f := range files {
		var j map[string]any
		raw, _ := json.Marshal(map[string]any{"id": f.ID, "name": f.Name, "title": f.Title, "mimetype": f.Mimetype, "size": f.Size,
			"mode": "hosted", "permalink": f.Permalink, "url_private_download": f.URLPrivateDownload})
		_ = json.Unmarshal(raw, &j)
		fs = append(fs, j)
	}
	ev := map[string]any{"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "event_ts": ts, "channel_type": channelType}
	if len(fs) > 0 {
		ev["subtype"], ev["files"] = "file_share", fs
	}
	if thread != "" {
		ev["thread_ts"] = thread
	}
	d.fake.WaitAck(d.t, d.fake.SendEnvelope(d.t, fakeslack.EventsAPI("Ev"+ts, ev, 0)))
	return ts
}

// tickets returns how many tickets the desk has.
func (d *desk) tickets() []*bot.Ticket {
	d.t.Helper()
	var out []*bot.Ticket
	if err := d.db.View(d.t.Context(), func(tx bot.Tx) error {
		var err error
		out, err = tx.FindTickets(bot.TicketFilter{})
		return err
	}); err != nil {
		d.t.Fatal(err)
	}
	return out
}

// ephemerals returns the texts of the chat.postEphemeral calls to user so far.
func (d *desk) ephemerals(user string) []string {
	var out []string
	for _, c := range d.fake.Calls("chat.postEphemeral") {
		if c.Form.Get("user") == user {
			out = append(out, c.Form.Get("text")+" "+c.Form.Get("blocks"))
		}
	}
	return out
}

// TestTicketEmojiInARandomChannel: bob's message in a channel the desk does not answer in becomes a ticket
// when tom reacts :ticket:. The reaction is acknowledged without a Web API call (the message is read
// after, by a job); the answer goes to the message's thread; a second reaction makes no second ticket
// and gets an ephemeral reply with a link to the first.
func TestTicketEmojiInARandomChannel(t *testing.T) {
	d := newIntakeDesk(t)
	msg := d.wrote("UBOB", "CRANDOM", "", "my vpn will not connect since this morning")
	release := d.fake.Hold("conversations.history")
	d.react("UTOM", "CRANDOM", msg, "ticket") // acknowledged while Slack would not answer a read
	release()
	d.flush()
	d.find("CRANDOM", msg, "turned this message into *T-000001* for *bob*")
	d.find("CRANDOM", msg, "vpn-connect")
	tk := d.ticket("T-000001")
	if tk.Requester != "slack:UBOB" || tk.Intake.By != "slack:UTOM" || tk.Conversation.Thread != msg {
		t.Fatalf("ticket: requester %s intake %+v conversation %+v", tk.Requester, tk.Intake, tk.Conversation)
	}
	d.react("UALICE", "CRANDOM", msg, "ticket")
	d.flush()
	d.fake.WaitCalls(t, "chat.postEphemeral", 1)
	if n := len(d.tickets()); n != 1 {
		t.Fatalf("%d tickets after a second reaction", n)
	}
	eph := d.ephemerals("UALICE")
	if len(eph) != 1 || !strings.Contains(eph[0], "already has a ticket") ||
		!strings.Contains(eph[0], "https://firstline.slack.com/archives/CRANDOM/p"+strings.Replace(msg, ".", "", 1)) {
		t.Fatalf("alice's reply: %v", eph)
	}
}

// TestCreateTicketShortcut: the message shortcut on a reply in someone's thread makes the thread a
// ticket; on a message deleted since, the answer says so; both answers are ephemeral (the response_url).
func TestCreateTicketShortcut(t *testing.T) {
	d := newIntakeDesk(t)
	root := d.wrote("UALICE", "CRANDOM", "", "lunch?")
	reply := d.wrote("UBOB", "CRANDOM", root, "my printer jams on every page")
	url := d.fake.ResponseURL()
	m := fakeslack.Message{Channel: "CRANDOM", TS: reply, ThreadTS: root, User: "UBOB", Text: "my printer jams on every page"}
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.MessageShortcut("create_ticket", "UALICE", "CRANDOM", m, d.fake.TriggerID("UALICE"), url)))
	d.flush()
	d.find("CRANDOM", root, "T-000001")
	if tk := d.ticket("T-000001"); tk.Requester != "slack:UBOB" || tk.Conversation.Thread != root || tk.Intake.Via != bot.IntakeShortcut {
		t.Fatalf("ticket: %+v %+v", tk.Conversation, tk.Intake)
	}
	// A message deleted between the shortcut and the read.
	gone := d.wrote("UBOB", "CRANDOM", "", "disk full")
	d.fake.DeleteMessage("CRANDOM", gone)
	url2 := d.fake.ResponseURL()
	g := fakeslack.Message{Channel: "CRANDOM", TS: gone, User: "UBOB", Text: "disk full"}
	d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.MessageShortcut("create_ticket", "UALICE", "CRANDOM", g, d.fake.TriggerID("UALICE"), url2)))
	d.flush()
	resp := d.fake.WaitResponses(t, 1)
	if resp[0].URL != url2 || resp[0].ResponseType != "ephemeral" || !strings.Contains(resp[0].Text+string(resp[0].Blocks), "That message is gone") {
		t.Fatalf("the answer about a deleted message: %+v", resp)
	}
	if n := len(d.tickets()); n != 1 {
		t.Fatalf("%d tickets", n)
	}
}

// TestGroupDM: a group DM with the desk is one ticket; its requester is who wrote first.
func TestGroupDM(t *testing.T) {
	d := newIntakeDesk(t)
	first := d.sayFiles("UBOB", "GMPIM1", "", "the vpn is down for both of us", "mpim")
	d.flush()
	d.find("GMPIM1", "-", "T-000001")
	d.sayFiles("UALICE", "GMPIM1", "", "same here since 9", "mpim")
	d.flush()
	ts := d.tickets()
	if len(ts) != 1 || ts[0].Requester != "slack:UBOB" || !ts[0].Conversation.DM || ts[0].Conversation.Channel != "GMPIM1" {
		t.Fatalf("tickets: %d, %+v", len(ts), ts[0].Conversation)
	}
	_ = first
	said := false
	for _, e := range ts[0].Transcript {
		said = said || (e.Author == "slack:UALICE" && strings.Contains(e.Text, "same here"))
	}
	if !said {
		t.Fatalf("alice's message is not in the ticket: %+v", ts[0].Transcript)
	}
	for _, m := range d.fake.Posted() {
		if m.Channel == "GMPIM1" && m.ThreadTS != "" {
			t.Fatalf("a reply in a thread of the group DM, as in a channel: %+v", m)
		}
	}
}

// TestTicketEmojiOnAScreenshot: a message with a screenshot turned into a ticket by 🎫 brings its file:
// recorded on the ticket, read from the message as Slack keeps it, and copied to the card's thread
// when the ticket reaches a tier.
func TestTicketEmojiOnAScreenshot(t *testing.T) {
	d := newIntakeDesk(t)
	shot := d.fake.AddFile("UBOB", "vpn-error.png", "image/png", []byte("PNG the error dialog"))
	msg := d.wrote("UBOB", "CRANDOM", "", "my vpn will not connect, see the error", shot)
	d.react("UTOM", "CRANDOM", msg, "ticket")
	d.flush()
	answer := d.find("CRANDOM", msg, "Talk to a human")
	tk := d.ticket("T-000001")
	if len(tk.Files) != 1 || tk.Files[0].ID != shot.ID || tk.Files[0].Name != "vpn-error.png" || tk.Files[0].Type != "image/png" || tk.Files[0].Refused != "" {
		t.Fatalf("files on the ticket: %+v", tk.Files)
	}
	d.click("UBOB", answer, msg, bot.FeedbackHuman)
	d.flush()
	card := d.find("CTIER2", "", "T-000001")
	if !strings.Contains(string(card.Blocks), "vpn-error.png") {
		t.Fatalf("the card does not list the screenshot: %s", card.Blocks)
	}
	up := d.fake.WaitUploads(t, 1)
	if up[0].Channel != "CTIER2" || up[0].ThreadTS != card.TS || len(up[0].Files) != 1 || string(up[0].Files[0].Content) != "PNG the error dialog" {
		t.Fatalf("upload: %+v", up[0])
	}
}
