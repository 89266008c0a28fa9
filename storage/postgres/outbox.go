package postgres

// The outbox and dedup keys.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
)

// Enqueue takes the effect's number and stores it in one statement: the stored JSON leaves Seq out
// (the seq column is the effect's number, and Effects sets it from there).
func (t *tx) Enqueue(e *bot.Effect) error {
	e.Seq = 0
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode effect: %w", err)
	}
	var seq int64
	if _, err := t.scanOne("INSERT INTO outbox (seq, lane, ticket, created, data) VALUES (nextval('outbox_seq'), $1, $2, $3, $4) RETURNING seq",
		[]any{e.Lane, e.Ticket, nanos(e.CreatedAt), string(data)}, &seq); err != nil {
		return fmt.Errorf("enqueue effect: %w", err)
	}
	e.Seq = uint64(seq)
	return nil
}

func (t *tx) Effects(after uint64, limit int) ([]bot.Effect, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	var out []bot.Effect
	err := t.each("SELECT seq, data FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2", []any{int64(after), lim}, func(r pgx.Rows) error {
		var seq int64
		var data string
		if err := r.Scan(&seq, &data); err != nil {
			return err
		}
		var e bot.Effect
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return fmt.Errorf("decode outbox effect %d: %w", seq, err)
		}
		e.Seq = uint64(seq)
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return out, nil
}

// PutEffect rewrites an effect, or stores it again under its number when it is gone, as the bbolt store
// does.
func (t *tx) PutEffect(e bot.Effect) error {
	seq := e.Seq
	e.Seq = 0
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode effect: %w", err)
	}
	if _, err := t.exec(`INSERT INTO outbox (seq, lane, ticket, created, data) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (seq) DO UPDATE SET lane = EXCLUDED.lane, ticket = EXCLUDED.ticket, created = EXCLUDED.created, data = EXCLUDED.data`,
		int64(seq), e.Lane, e.Ticket, nanos(e.CreatedAt), string(data)); err != nil {
		return fmt.Errorf("store effect %d: %w", seq, err)
	}
	return nil
}

func (t *tx) DeleteEffect(seq uint64) error {
	if _, err := t.exec("DELETE FROM outbox WHERE seq = $1", int64(seq)); err != nil {
		return fmt.Errorf("delete effect %d: %w", seq, err)
	}
	return nil
}

// PruneDedupKeys forgets dedup keys recorded before cutoff; platforms stop redelivering long before.
func (db *DB) PruneDedupKeys(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	err := db.Update(ctx, func(btx bot.Tx) error {
		tag, err := btx.(*tx).exec("DELETE FROM dedup WHERE at < $1", cutoff.UnixNano())
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune dedup keys: %w", err)
	}
	return n, nil
}
