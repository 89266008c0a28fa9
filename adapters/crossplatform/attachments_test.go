package crossplatform_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
)

// sayFile writes a message with a file on Slack, as Slack's Events API delivers it (file_share).
func (s *slackSide) sayFile(user, channel, thread, text string, f fakeslack.File) {
	s.mu.Lock()
	s.ts++
	ts := fmt.Sprintf("1700000%03d.000100", s.ts)
	s.mu.Unlock()
	var file map[string]any
	raw, _ := json.Marshal(map[string]any{"id": f.ID, "name": f.Name, "title": f.Title, "mimetype": f.Mimetype, "size": f.Size,
		"mode": "hosted", "permalink": f.Permalink, "url_private_download": f.URLPrivateDownload})
	_ = json.Unmarshal(raw, &file)
	ev := map[string]any{"type": "message", "subtype": "file_share", "channel": channel, "channel_type": "channel", "user": user,
		"text": text, "ts": ts, "thread_ts": thread, "files": []any{file}}
	s.fake.WaitAck(s.t, s.fake.SendEnvelope(s.t, fakeslack.EventsAPI("Ev"+ts, ev, 0)))
}

// sayFile writes a message with a file on Discord, in channel (a thread's id for a thread), as a reply to
// reference when it is set.
func (d *discordSide) sayFile(who, channel, reference, text, name, typ string, content []byte) {
	id := d.id()
	m := map[string]any{"id": id, "channel_id": channel, "guild_id": fakediscord.GuildID, "content": text, "type": 0,
		"timestamp": time.Now().Format(time.RFC3339), "author": map[string]any{"id": discordID(who), "username": who},
		"member": map[string]any{"roles": []string{}}, "attachments": []any{d.fake.AddAttachment(channel, name, typ, content)}}
	if reference != "" {
		m["type"] = 19
		m["message_reference"] = map[string]any{"message_id": reference, "channel_id": channel}
	}
	d.fake.Dispatch(d.t, "MESSAGE_CREATE", m)
}

// TestAttachmentSlackToDiscord: a screenshot the requester posts on Slack is copied into the thread of the
// ticket's card on Discord, and a file the technician posts there on Discord is copied into her Slack
// thread: the bytes cross, each side's own upload (multipart files[n] on Discord, files.uploadV2 on Slack).
func TestAttachmentSlackToDiscord(t *testing.T) {
	req, tech := newPairDesk(t, "slack", "discord")
	s, d := req.(*slackSide), tech.(*discordSide)
	thread := s.ask("My VPN will not connect")
	s.find(thread, false, "")
	s.write("alice", thread, false, "!escalate")
	card := d.card("T-000001")

	shot := s.fake.AddFile("UALICE", "error 809.png", "image/png", []byte("\x89PNG error 809"))
	s.sayFile("UALICE", "CHELP", thread, "here is the error", shot)
	var up []fakediscord.Upload
	waitText(t, s.e, "the screenshot on Discord", func() (string, bool) { up = d.fake.Uploads(); return "", len(up) > 0 })
	if up[0].ChannelID != card || up[0].Filename != "error 809.png" || string(up[0].Data) != "\x89PNG error 809" || up[0].ContentType != "image/png" {
		t.Fatalf("Discord upload %+v, want the screenshot in the card's thread %s", up[0], card)
	}
	d.find(card, true, "sent **error 809.png**")

	d.sayFile("tom", dTier, card, "try this", "fix.reg", "text/plain", []byte("REGEDIT4"))
	got := s.fake.WaitUploads(t, 1)
	if m := got[0]; m.Channel != "CHELP" || m.ThreadTS != thread || len(m.Files) != 1 || string(m.Files[0].Content) != "REGEDIT4" || m.Files[0].Name != "fix.reg" {
		t.Fatalf("Slack upload %+v, want tom's file in alice's thread %s", m, thread)
	}
}

// TestAttachmentDiscordToSlack: the other way round, the requester on Discord and the tier on Slack.
func TestAttachmentDiscordToSlack(t *testing.T) {
	req, tech := newPairDesk(t, "discord", "slack")
	d, s := req.(*discordSide), tech.(*slackSide)
	thread := d.ask("My VPN will not connect")
	d.find(thread, false, "")
	d.write("alice", thread, false, "!escalate")
	card := s.card("T-000001")

	d.sayFile("alice", thread, "", "the log", "vpn.log", "text/plain", []byte("error 809 at 10:02"))
	got := s.fake.WaitUploads(t, 1)
	if m := got[0]; m.Channel != "CTIER" || m.ThreadTS != card || len(m.Files) != 1 || string(m.Files[0].Content) != "error 809 at 10:02" {
		t.Fatalf("Slack upload %+v, want alice's log in the card's thread %s", m, card)
	}
	if !strings.Contains(string(got[0].Blocks), "vpn.log") {
		t.Fatalf("the upload's message %s", got[0].Blocks)
	}

	fix := s.fake.AddFile("UTOM", "fix.png", "image/png", []byte("PNG fix"))
	s.sayFile("UTOM", "CTIER", card, "like this", fix)
	var up []fakediscord.Upload
	waitText(t, d.e, "tom's file on Discord", func() (string, bool) { up = d.fake.Uploads(); return "", len(up) > 0 })
	if up[0].ChannelID != thread || string(up[0].Data) != "PNG fix" || up[0].Filename != "fix.png" {
		t.Fatalf("Discord upload %+v, want tom's file in alice's thread %s", up[0], thread)
	}
}
