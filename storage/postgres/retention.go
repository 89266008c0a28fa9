package postgres

// Deleting tickets: the retention purge, and the clean-up erasure shares (the ticket with its words,
// where its messages went and their links, its conversation's link, its effects, its action runs).

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
)

// Purge is what PurgeResolved removed (the fields of storage.Purge).
type Purge struct {
	Tickets int
	// Links are the conversation and message links to the deleted tickets.
	Links   int
	Effects int
}

// doomed is a ticket about to be deleted: what its links are found by.
type doomed struct {
	seq          int64
	id           string
	requester    string
	conversation []byte
	dm           bool
}

// deleteTickets deletes tickets with their words, where their messages went, the links to them (a
// conversation's link moves to the newest remaining ticket of the same requester in it, for a DM, which
// holds one ticket after another), their pending effects and their action runs. It returns the links
// and effects removed.
func (t *tx) deleteTickets(gone []doomed) (links, effects int, err error) {
	if len(gone) == 0 {
		return 0, 0, nil
	}
	seqs := make([]int64, len(gone))
	ids := make([]string, len(gone))
	for i, d := range gone {
		seqs[i], ids[i] = d.seq, d.id
	}
	for _, stmt := range []string{
		"DELETE FROM tickets WHERE seq = ANY($1)",
		"DELETE FROM ticket_terms WHERE seq = ANY($1)",
		"DELETE FROM ticket_messages WHERE seq = ANY($1)",
	} {
		if _, err := t.exec(stmt, seqs); err != nil {
			return 0, 0, fmt.Errorf("delete tickets: %w", err)
		}
	}
	// The action runs recorded on them go with them: a run names who it was for and what they asked.
	if _, err := t.exec("DELETE FROM action_runs WHERE ticket = ANY($1)", ids); err != nil {
		return 0, 0, fmt.Errorf("delete the action runs of deleted tickets: %w", err)
	}
	tag, err := t.exec("DELETE FROM messages WHERE ticket = ANY($1)", ids)
	if err != nil {
		return 0, 0, fmt.Errorf("delete the message links of deleted tickets: %w", err)
	}
	links = int(tag.RowsAffected())
	for _, d := range gone {
		var linked string
		found, err := t.scanOne("SELECT ticket FROM conversations WHERE key = $1", []any{d.conversation}, &linked)
		if err != nil {
			return 0, 0, err
		}
		if !found || linked != d.id {
			continue
		}
		var next int64
		found = false
		if d.dm {
			if found, err = t.scanOne("SELECT seq FROM tickets WHERE conversation = $1 AND requester = $2 ORDER BY seq DESC LIMIT 1",
				[]any{d.conversation, d.requester}, &next); err != nil {
				return 0, 0, err
			}
		}
		if found {
			_, err = t.exec("UPDATE conversations SET ticket = $2 WHERE key = $1", d.conversation, bot.TicketID(uint64(next)))
		} else {
			_, err = t.exec("DELETE FROM conversations WHERE key = $1", d.conversation)
			links++
		}
		if err != nil {
			return 0, 0, fmt.Errorf("relink the conversation of %s: %w", d.id, err)
		}
	}
	// Other conversations joined to them (a thread joined to a ticket) have nowhere to point.
	if tag, err = t.exec("DELETE FROM conversations WHERE ticket = ANY($1)", ids); err != nil {
		return 0, 0, fmt.Errorf("delete the conversation links of deleted tickets: %w", err)
	}
	links += int(tag.RowsAffected())
	if tag, err = t.exec("DELETE FROM outbox WHERE ticket = ANY($1)", ids); err != nil {
		return 0, 0, fmt.Errorf("delete the effects of deleted tickets: %w", err)
	}
	return links, int(tag.RowsAffected()), nil
}

// scanDoomed reads the rows of a query selecting seq, requester, conversation, data.
func (t *tx) scanDoomed(sql string, args ...any) ([]doomed, []*bot.Ticket, error) {
	var out []doomed
	var tks []*bot.Ticket
	err := t.each(sql, args, func(r pgx.Rows) error {
		var d doomed
		var data []byte
		if err := r.Scan(&d.seq, &d.requester, &d.conversation, &data); err != nil {
			return err
		}
		tk, err := decodeTickets([][]byte{data}, []int64{d.seq})
		if err != nil {
			return err
		}
		d.id, d.dm = tk[0].ID, tk[0].Conversation.DM
		out, tks = append(out, d), append(tks, tk[0])
		return nil
	})
	return out, tks, err
}

// PurgeResolved deletes the tickets resolved before cutoff whose last change is before cutoff too, with
// their words, message and conversation links and pending effects, in transactions of at most batch
// tickets; audit entries and articles' feedback counts are kept. It returns what it removed, also when
// ctx ends it early.
func (db *DB) PurgeResolved(ctx context.Context, cutoff time.Time, batch int) (Purge, error) {
	if batch <= 0 {
		batch = 500
	}
	var res Purge
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var done Purge
		err := db.Update(ctx, func(btx bot.Tx) error {
			done = Purge{}
			t := btx.(*tx)
			c := cutoff.UnixNano()
			gone, _, err := t.scanDoomed(`SELECT seq, requester, conversation, data FROM tickets
				WHERE changed < $1 AND status = $2 AND resolved <> 0 AND resolved < $1 ORDER BY changed, seq LIMIT $3 FOR UPDATE`,
				c, string(bot.StatusResolved), batch)
			if err != nil {
				return err
			}
			done.Tickets = len(gone)
			done.Links, done.Effects, err = t.deleteTickets(gone)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("purge resolved tickets: %w", err)
		}
		res.Tickets, res.Links, res.Effects = res.Tickets+done.Tickets, res.Links+done.Links, res.Effects+done.Effects
		if done.Tickets < batch {
			return res, nil
		}
	}
}
