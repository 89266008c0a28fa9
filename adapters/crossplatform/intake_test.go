package crossplatform_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
)

// sayFiles posts a message with files as user on Slack (subtype file_share), as Slack sends it.
func (s *slackSide) sayFiles(user, channel, thread, text string, files ...fakeslack.File) string {
	s.mu.Lock()
	s.ts++
	ts := fmt.Sprintf("1700000%03d.000100", s.ts)
	s.mu.Unlock()
	var fs []any
	for _, f := range files {
		var j map[string]any
		raw, _ := json.Marshal(map[string]any{"id": f.ID, "name": f.Name, "mimetype": f.Mimetype, "size": f.Size, "mode": "hosted",
			"permalink": f.Permalink, "url_private_download": f.URLPrivateDownload})
		_ = json.Unmarshal(raw, &j)
		fs = append(fs, j)
	}
	s.fake.AddMessage(fakeslack.Message{Channel: channel, ThreadTS: thread, TS: ts, User: user, Text: text, Files: files})
	ev := map[string]any{"type": "message", "subtype": "file_share", "channel": channel, "channel_type": "channel", "user": user,
		"text": text, "ts": ts, "files": fs}
	if thread != "" {
		ev["thread_ts"] = thread
	}
	s.fake.WaitAck(s.t, s.fake.SendEnvelope(s.t, fakeslack.EventsAPI("Ev"+ts, ev, 0)))
	return ts
}

// TestFileSlackToConsole: a screenshot sent with a question on Slack reaches the card's thread of a tier
// that works from the console, read from Slack and copied there.
func TestFileSlackToConsole(t *testing.T) {
	req, tech := newPairDesk(t, "slack", "console")
	s, c := req.(*slackSide), tech.(*consoleSide)
	shot := s.fake.AddFile("UALICE", "screen.png", "image/png", []byte("the pixels"))
	s.sayFiles("UALICE", "CHELP", "", "the printer on floor 3 is on fire", shot)
	card := c.card("T-000001")
	got := c.find(card, true, "[file: screen.png")
	if !strings.Contains(got, "alice (requester) sent screen.png (image/png, 10 bytes)") || !strings.Contains(got, "[file: screen.png (image/png, 10 bytes)]") {
		t.Fatalf("the file on the console: %s", got)
	}
}

// TestConsoleForm: "/form access" asks each question in turn; an answer the desk refuses is asked again;
// the ticket goes to its tier with the answers on its card, and the receipt is in the requester's DM.
func TestConsoleForm(t *testing.T) {
	req, _ := newPairDesk(t, "console", "console", func(cfg *bot.Config) {
		cfg.Forms = []bot.Form{{ID: "access", Title: "Access request", Tier: "tier2", Fields: []bot.FormField{
			{ID: "system", Label: "Which system?", Type: bot.FieldSelect, Options: []string{"VPN", "Jira"}, Required: true},
			{ID: "by", Label: "Needed by", Type: bot.FieldDate},
			{ID: "approver", Label: "Who approves?", Type: bot.FieldUser},
		}}}
	})
	c := req.(*consoleSide)
	c.lines("/form", "/form access", "Payroll", "/skip", "tom")
	out := c.out.String()
	for _, want := range []string{"access       Access request", "? Which system? (one of: VPN, Jira; required)", "? Needed by (YYYY-MM-DD; optional: /skip)",
		"! Some answers need another look: Which system?.", "! Which system?: Please choose one of: VPN, Jira."} {
		if !strings.Contains(out, want) {
			t.Fatalf("the console lacks %q:\n%s", want, out)
		}
	}
	c.lines("vpn")
	card := c.card("T-000001")
	_ = card
	var cardText, receipt string
	for _, m := range c.messages() {
		if m.place == "#tier2" && m.id == card {
			cardText = m.text
		}
		if m.place == "@alice" && strings.Contains(m.text, "your Access request") {
			receipt = m.text
		}
	}
	if !strings.Contains(cardText, "Which system?: VPN") || !strings.Contains(cardText, "Who approves?: tom") || strings.Contains(cardText, "console:tom") {
		t.Fatalf("card: %s", cardText)
	}
	if receipt == "" {
		t.Fatalf("no receipt in alice's DM:\n%s", c.out.String())
	}
}
