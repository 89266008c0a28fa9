package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
)

// Audit appends e under the bucket's next sequence number. Keys come only from NextSequence, so an entry is
// never overwritten, and nothing else in this package writes to the bucket.
func (t *tx) Audit(e bot.AuditEntry) error {
	if e.Action == "" {
		return bot.Errorf(bot.EINVALID, "an audit entry needs an action")
	}
	b := t.bucket(bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("next audit sequence: %w", err)
	}
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry %s: %w", e.Action, err)
	}
	if err := b.Put(u64(seq), v); err != nil {
		return fmt.Errorf("append audit entry %s: %w", e.Action, err)
	}
	return nil
}

// AuditEntries returns the entries at or after since, oldest first, at most limit of them (the most recent
// ones; 0 = all). Entries are appended as things happen, so the scan starts at the newest and stops at the
// first one older than since: reading last week's entries does not cost the whole history.
func (db *DB) AuditEntries(ctx context.Context, since time.Time, limit int) ([]bot.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []bot.AuditEntry
	err := db.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var e bot.AuditEntry
			if err := decode(v, &e, "audit entry"); err != nil {
				return err
			}
			if e.At.Before(since) {
				break
			}
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// Bounds of FindAudit.
const (
	defaultAuditLimit  = 50
	defaultAuditBudget = 20000
)

// FindAudit reads the log from the newest entry (or from f.Before) back, keeping the entries that match,
// until it has f.Limit of them, has read f.Budget entries, or reaches an entry older than f.From. An entry
// that cannot hold what a filter asks for (its actor's or target's JSON is not in its bytes) is skipped
// without being decoded.
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
	c := t.bucket(bucketAudit).Cursor()
	var k, v []byte
	if f.Before > 0 {
		k, v = c.Seek(u64(f.Before))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	} else {
		k, v = c.Last()
	}
	for read := 0; k != nil; k, v = c.Prev() {
		seq := binary.BigEndian.Uint64(k)
		if len(page.Entries) == limit || read == budget {
			page.Next = seq + 1
			return page, nil
		}
		read++
		if !containsAll(v, needles) {
			continue
		}
		var e bot.AuditEntry
		if err := decode(v, &e, "audit entry"); err != nil {
			return page, err
		}
		page.Through = e.At
		if !f.From.IsZero() && e.At.Before(f.From) {
			return page, nil
		}
		if !f.Match(e) {
			continue
		}
		page.Entries = append(page.Entries, e)
	}
	return page, nil
}

func containsAll(v []byte, needles [][]byte) bool {
	for _, n := range needles {
		if !bytes.Contains(v, n) {
			return false
		}
	}
	return true
}
