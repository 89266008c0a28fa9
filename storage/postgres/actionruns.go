package postgres

// Action runs (bot.ActionRun) and the desk's settings: a run is its JSON beside the columns its lookups
// need (state, ticket, the person it is for, when it was asked for), numbered by action_run_seq.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
)

// runSeq parses "A-000123" into 123.
func runSeq(id string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "A-"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "A-") || n <= 0 {
		return 0, bot.Errorf(bot.ENOTFOUND, "no action run %q (run ids look like A-000123)", id)
	}
	return n, nil
}

func (t *tx) CreateActionRun(r *bot.ActionRun) error {
	seq, err := t.nextval("action_run_seq")
	if err != nil {
		return err
	}
	r.ID = bot.RunID(uint64(seq))
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode action run %s: %w", r.ID, err)
	}
	if _, err := t.exec("INSERT INTO action_runs (seq, state, ticket, for_user, created, data) VALUES ($1, $2, $3, $4, $5, $6)",
		seq, string(r.State), r.Ticket, r.For, nanos(r.CreatedAt), string(data)); err != nil {
		return fmt.Errorf("store action run %s: %w", r.ID, err)
	}
	return nil
}

func (t *tx) PutActionRun(r *bot.ActionRun) error {
	seq, err := runSeq(r.ID)
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode action run %s: %w", r.ID, err)
	}
	tag, err := t.exec("UPDATE action_runs SET state = $2, ticket = $3, for_user = $4, created = $5, data = $6 WHERE seq = $1",
		seq, string(r.State), r.Ticket, r.For, nanos(r.CreatedAt), string(data))
	if err != nil {
		return fmt.Errorf("store action run %s: %w", r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return bot.Errorf(bot.ENOTFOUND, "no action run %s to update", r.ID)
	}
	return nil
}

// ActionRun reads a run; in an Update it locks the run's row until the commit, so two approvers
// pressing at once take turns rather than one of them being failed at the commit and run again.
func (t *tx) ActionRun(id string) (*bot.ActionRun, error) {
	seq, err := runSeq(id)
	if err != nil {
		return nil, err
	}
	q := "SELECT data FROM action_runs WHERE seq = $1"
	if t.write {
		q += " FOR UPDATE"
	}
	var data string
	found, err := t.scanOne(q, []any{seq}, &data)
	if err != nil {
		return nil, fmt.Errorf("read action run %s: %w", id, err)
	}
	if !found {
		return nil, bot.Errorf(bot.ENOTFOUND, "no action run %s", id)
	}
	r := new(bot.ActionRun)
	if err := json.Unmarshal([]byte(data), r); err != nil {
		return nil, fmt.Errorf("decode action run %s: %w", id, err)
	}
	return r, nil
}

func (t *tx) FindActionRuns(f bot.ActionRunFilter) ([]*bot.ActionRun, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, s := range f.States {
			states[i] = string(s)
		}
		where = append(where, "state = ANY("+arg(states)+")")
	}
	if f.Ticket != "" {
		where = append(where, "ticket = "+arg(f.Ticket))
	}
	if f.For != "" {
		where = append(where, "for_user = "+arg(f.For))
	}
	if !f.Since.IsZero() {
		where = append(where, "created >= "+arg(nanos(f.Since)))
	}
	q := "SELECT seq, data FROM action_runs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	var out []*bot.ActionRun
	err := t.each(q, args, func(rows pgx.Rows) error {
		var seq int64
		var data string
		if err := rows.Scan(&seq, &data); err != nil {
			return err
		}
		r := new(bot.ActionRun)
		if err := json.Unmarshal([]byte(data), r); err != nil {
			return fmt.Errorf("decode action run %s: %w", bot.RunID(uint64(seq)), err)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find action runs: %w", err)
	}
	return out, nil
}

func (t *tx) Setting(name string) (string, error) {
	var v string
	if _, err := t.scanOne("SELECT value FROM settings WHERE name = $1", []any{name}, &v); err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}

func (t *tx) PutSetting(name, value string) error {
	var err error
	if value == "" {
		_, err = t.exec("DELETE FROM settings WHERE name = $1", name)
	} else {
		_, err = t.exec("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value", name, value)
	}
	if err != nil {
		return fmt.Errorf("store setting %s: %w", name, err)
	}
	return nil
}
