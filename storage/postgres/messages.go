package postgres

// Where the bot's messages went: messages (the message → its ticket and key) and ticket_messages (the
// ticket and key → the message), written together by RecordPost; neither holds a ticket.

import (
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
)

func (t *tx) RecordPost(ref bot.MessageRef, link bot.MessageLink) error {
	seq, err := ticketSeq(link.Ticket)
	if err != nil {
		return err
	}
	var one int
	found, err := t.scanOne("SELECT 1 FROM tickets WHERE seq = $1", []any{seq}, &one)
	if err != nil {
		return fmt.Errorf("record the message %s of %s: %w", link.Key, link.Ticket, err)
	}
	if !found {
		return bot.Errorf(bot.ENOTFOUND, "no ticket %s to record its message %q under", link.Ticket, link.Key)
	}
	if link.Key != "" {
		data, err := json.Marshal(ref)
		if err != nil {
			return fmt.Errorf("encode the message %s of %s: %w", link.Key, link.Ticket, err)
		}
		if _, err := t.exec(`INSERT INTO ticket_messages (seq, key, data) VALUES ($1, $2, $3)
			ON CONFLICT (seq, key) DO UPDATE SET data = EXCLUDED.data`, seq, link.Key, string(data)); err != nil {
			return fmt.Errorf("record the message %s of %s: %w", link.Key, link.Ticket, err)
		}
	}
	return t.LinkMessage(ref, link)
}

func (t *tx) PostRef(ticket, key string) (bot.MessageRef, error) {
	var ref bot.MessageRef
	seq, err := ticketSeq(ticket)
	if err != nil {
		return ref, err
	}
	var data string
	found, err := t.scanOne("SELECT data FROM ticket_messages WHERE seq = $1 AND key = $2", []any{seq, key}, &data)
	if err != nil {
		return ref, fmt.Errorf("read the message %s of %s: %w", key, ticket, err)
	}
	if !found {
		return ref, bot.Errorf(bot.ENOTFOUND, "ticket %s has no message %q", ticket, key)
	}
	if err := json.Unmarshal([]byte(data), &ref); err != nil {
		return ref, fmt.Errorf("decode message %s of %s: %w", key, ticket, err)
	}
	return ref, nil
}

func (t *tx) PostRefs(ticket string) (map[string]bot.MessageRef, error) {
	seq, err := ticketSeq(ticket)
	if err != nil {
		return nil, err
	}
	out := map[string]bot.MessageRef{}
	err = t.each("SELECT key, data FROM ticket_messages WHERE seq = $1", []any{seq}, func(r pgx.Rows) error {
		var key, data string
		if err := r.Scan(&key, &data); err != nil {
			return err
		}
		var ref bot.MessageRef
		if err := json.Unmarshal([]byte(data), &ref); err != nil {
			return fmt.Errorf("decode message %s of %s: %w", key, ticket, err)
		}
		out[key] = ref
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the messages of %s: %w", ticket, err)
	}
	return out, nil
}

func (t *tx) LinkMessage(ref bot.MessageRef, link bot.MessageLink) error {
	data, err := json.Marshal(link)
	if err != nil {
		return fmt.Errorf("encode message link: %w", err)
	}
	if _, err := t.exec(`INSERT INTO messages (key, ticket, data) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET ticket = EXCLUDED.ticket, data = EXCLUDED.data`, []byte(ref.Key()), link.Ticket, string(data)); err != nil {
		return fmt.Errorf("link message to %s: %w", link.Ticket, err)
	}
	return nil
}

func (t *tx) MessageLink(ref bot.MessageRef) (bot.MessageLink, error) {
	var link bot.MessageLink
	var data string
	found, err := t.scanOne("SELECT data FROM messages WHERE key = $1", []any{[]byte(ref.Key())}, &data)
	if err != nil {
		return link, fmt.Errorf("read message link: %w", err)
	}
	if !found {
		return link, bot.Errorf(bot.ENOTFOUND, "message %s is not linked to a ticket", ref.ID)
	}
	if err := json.Unmarshal([]byte(data), &link); err != nil {
		return link, fmt.Errorf("decode message link: %w", err)
	}
	return link, nil
}
