package slack_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/bot"
)

// TestMentionTwinsAreOneMessage: Slack sends a message that mentions the bot as a message event and an
// app_mention event, with different event ids, and may redeliver either. Someone who mentions the bot in
// six messages a minute is under a flood limit of eight: each message is one ticket and one count.
func TestMentionTwinsAreOneMessage(t *testing.T) {
	cfg := deskConfig()
	cfg.Flood = bot.FloodConfig{Messages: 8, Window: time.Minute}
	d := newDeskWith(t, cfg, nil)
	for i := range 6 {
		d.ts++
		ts := tsOf(d.ts)
		text := fmt.Sprintf("<@%s> question %d: my printer is out of toner", fakeslack.BotUserID, i)
		msg := map[string]any{"type": "message", "channel": "CGEN", "user": "UALICE", "text": text, "ts": ts, "event_ts": ts, "channel_type": "channel"}
		mention := map[string]any{"type": "app_mention", "channel": "CGEN", "user": "UALICE", "text": text, "ts": ts, "event_ts": ts}
		d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.EventsAPI("EvM"+ts, msg, 0)))
		d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.EventsAPI("EvA"+ts, mention, 0)))
		d.fake.WaitAck(t, d.fake.SendEnvelope(t, fakeslack.EventsAPI("EvA"+ts, mention, 1))) // a redelivery
	}
	d.flush()
	for _, m := range d.fake.Posted() {
		if strings.Contains(m.Text, "faster than I can keep up") || strings.Contains(string(m.Blocks), "faster than I can keep up") {
			t.Fatalf("six mentions in a minute were throttled: %s", m.Text)
		}
	}
	for i := 1; i <= 6; i++ {
		if tk := d.ticket(bot.TicketID(uint64(i))); tk.Requester != "slack:UALICE" {
			t.Fatalf("ticket %d: %+v", i, tk)
		}
	}
	var tk *bot.Ticket
	_ = d.db.View(t.Context(), func(tx bot.Tx) error { tk, _ = tx.Ticket(bot.TicketID(7)); return nil })
	if tk != nil {
		t.Fatalf("a seventh ticket from six messages: %+v", tk)
	}
}
