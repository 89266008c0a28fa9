package storage

import (
	"context"
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
