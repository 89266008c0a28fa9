package postgres

// The audit log: append-only, numbered by audit_seq. FindAudit reads it as the bbolt store does, newest
// first in chunks, counting the entries it reads against the filter's budget, so a search cut short goes
// on from the same cursor on either store.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
)

func (t *tx) Audit(e bot.AuditEntry) error {
	if e.Action == "" {
		return bot.Errorf(bot.EINVALID, "an audit entry needs an action")
	}
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry %s: %w", e.Action, err)
	}
	if _, err := t.exec("INSERT INTO audit (seq, at, data) VALUES (nextval('audit_seq'), $1, $2)", nanos(e.At), string(v)); err != nil {
		return fmt.Errorf("append audit entry %s: %w", e.Action, err)
	}
	return nil
}

// Bounds of FindAudit, as in the bbolt store.
const (
	defaultAuditLimit  = 50
	defaultAuditBudget = 20000
	auditChunk         = 500
)

func (t *tx) FindAudit(f bot.AuditFilter) (bot.AuditPage, error) {
	var page bot.AuditPage
	limit, budget := f.Limit, f.Budget
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	if budget <= 0 {
		budget = defaultAuditBudget
	}
	var needles [][]byte
	for _, s := range []string{f.Actor, f.Target} {
		if s != "" {
			needles = append(needles, jsonText(s))
		}
	}
	before := int64(-1) // no bound
	if f.Before > 0 {
		before = int64(f.Before)
	}
	read := 0
	for {
		type row struct {
			seq  int64
			data []byte
		}
		var rows []row
		err := t.each("SELECT seq, data FROM audit WHERE ($1 < 0 OR seq < $1) ORDER BY seq DESC LIMIT $2", []any{before, auditChunk},
			func(r pgx.Rows) error {
				var x row
				var data string
				if err := r.Scan(&x.seq, &data); err != nil {
					return err
				}
				x.data = []byte(data)
				rows = append(rows, x)
				return nil
			})
		if err != nil {
			return page, fmt.Errorf("read the audit log: %w", err)
		}
		for _, x := range rows {
			if len(page.Entries) == limit || read == budget {
				page.Next = uint64(x.seq) + 1
				return page, nil
			}
			read++
			if !containsAll(x.data, needles) {
				continue
			}
			var e bot.AuditEntry
			if err := json.Unmarshal(x.data, &e); err != nil {
				return page, fmt.Errorf("decode audit entry: %w", err)
			}
			page.Through = e.At
			if !f.From.IsZero() && e.At.Before(f.From) {
				return page, nil
			}
			if f.Match(e) {
				page.Entries = append(page.Entries, e)
			}
		}
		if len(rows) < auditChunk {
			return page, nil
		}
		before = rows[len(rows)-1].seq
	}
}

// AuditEntries returns the entries at or after since, oldest first, at most limit of them (the most
// recent ones; 0 = all), reading back from the newest and stopping at the first older than since.
func (db *DB) AuditEntries(ctx context.Context, since time.Time, limit int) ([]bot.AuditEntry, error) {
	var out []bot.AuditEntry
	err := db.View(ctx, func(btx bot.Tx) error {
		out = nil
		t := btx.(*tx)
		before := int64(-1)
		for {
			n := 0
			stop := false
			err := t.each("SELECT seq, data FROM audit WHERE ($1 < 0 OR seq < $1) ORDER BY seq DESC LIMIT $2", []any{before, auditChunk},
				func(r pgx.Rows) error {
					n++
					var seq int64
					var data string
					if err := r.Scan(&seq, &data); err != nil {
						return err
					}
					before = seq
					if stop {
						return nil
					}
					var e bot.AuditEntry
					if err := json.Unmarshal([]byte(data), &e); err != nil {
						return fmt.Errorf("decode audit entry: %w", err)
					}
					if e.At.Before(since) {
						stop = true
						return nil
					}
					out = append(out, e)
					if limit > 0 && len(out) == limit {
						stop = true
					}
					return nil
				})
			if err != nil {
				return err
			}
			if stop || n < auditChunk {
				return nil
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

func containsAll(v []byte, needles [][]byte) bool {
	for _, n := range needles {
		if !bytes.Contains(v, n) {
			return false
		}
	}
	return true
}

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) []byte {
	b, _ := json.Marshal(s)
	return b[1 : len(b)-1]
}
