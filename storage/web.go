package storage

// The web console's records (web.SessionStore): sessions, the marks of spent sign-in links, the key that
// signs them. The console encodes them; this file keeps each under its kind and key with its user and
// expiry, indexed by user (sign out everywhere) and by expiry (pruning), in a bucket of its own made on
// first use, so older data files need no migration.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
)

var (
	bucketWeb       = []byte("web")       // nested: one bucket per kind, and the two indexes below
	webByUser       = []byte("by_user")   // user \x00 kind \x00 key -> ""
	webByExpiry     = []byte("by_expiry") // expiry (unix nanos, 8 bytes BE) kind \x00 key -> "" (records that expire)
	webKindPrefix   = "kind:"
	maxWebKeyLength = 512
)

// webRecord is a record as stored: expiry (unix nanos, 0 = never, 8 bytes BE), the user's length (2
// bytes BE), the user, then the console's bytes.
func encodeWebRecord(user string, expires time.Time, rec []byte) []byte {
	b := make([]byte, 0, 10+len(user)+len(rec))
	b = binary.BigEndian.AppendUint64(b, expiryNanos(expires))
	b = binary.BigEndian.AppendUint16(b, uint16(len(user)))
	b = append(b, user...)
	return append(b, rec...)
}

func decodeWebRecord(v []byte) (user string, expires uint64, rec []byte, err error) {
	if len(v) < 10 {
		return "", 0, nil, bot.Errorf(bot.EINTERNAL, "web record of %s is cut short", plural.Count(len(v), "byte", "bytes"))
	}
	n := int(binary.BigEndian.Uint16(v[8:10]))
	if len(v) < 10+n {
		return "", 0, nil, bot.Errorf(bot.EINTERNAL, "web record's user is cut short")
	}
	return string(v[10 : 10+n]), binary.BigEndian.Uint64(v[:8]), append([]byte{}, v[10+n:]...), nil
}

func expiryNanos(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano())
}

func webKey(kind, key string) []byte { return compose([]byte(kind), []byte(key)) }

func checkWebKey(kind, key, user string) error {
	if kind == "" || key == "" || len(key) > maxWebKeyLength || len(user) > 0xFFFF ||
		bytes.IndexByte([]byte(kind+key+user), 0) >= 0 {
		return bot.Errorf(bot.EINVALID, "web record %q/%q: empty, too long or with a zero byte", kind, key)
	}
	return nil
}

// webBuckets are the console's buckets in a read-write transaction, made on first use.
type webBuckets struct {
	root, byUser, byExpiry *bolt.Bucket
}

func (t *tx) web() (webBuckets, error) {
	root, err := t.btx.CreateBucketIfNotExists(bucketWeb)
	if err != nil {
		return webBuckets{}, fmt.Errorf("web bucket: %w", err)
	}
	byUser, err := root.CreateBucketIfNotExists(webByUser)
	if err != nil {
		return webBuckets{}, fmt.Errorf("web bucket: %w", err)
	}
	byExpiry, err := root.CreateBucketIfNotExists(webByExpiry)
	if err != nil {
		return webBuckets{}, fmt.Errorf("web bucket: %w", err)
	}
	return webBuckets{root: root, byUser: byUser, byExpiry: byExpiry}, nil
}

func (w webBuckets) kind(kind string) (*bolt.Bucket, error) {
	b, err := w.root.CreateBucketIfNotExists([]byte(webKindPrefix + kind))
	if err != nil {
		return nil, fmt.Errorf("web bucket %s: %w", kind, err)
	}
	return b, nil
}

// put stores a record and its index entries, replacing an older one's.
func (w webBuckets) put(kind, key, user string, expires time.Time, rec []byte) error {
	b, err := w.kind(kind)
	if err != nil {
		return err
	}
	if err := w.delete(b, kind, key); err != nil {
		return err
	}
	if err := b.Put([]byte(key), encodeWebRecord(user, expires, rec)); err != nil {
		return err
	}
	if user != "" {
		if err := w.byUser.Put(compose([]byte(user), []byte(kind), []byte(key)), nil); err != nil {
			return err
		}
	}
	if e := expiryNanos(expires); e != 0 {
		if err := w.byExpiry.Put(append(u64(e), webKey(kind, key)...), nil); err != nil {
			return err
		}
	}
	return nil
}

// delete removes a record and its index entries; nothing when there is none.
func (w webBuckets) delete(b *bolt.Bucket, kind, key string) error {
	v := b.Get([]byte(key))
	if v == nil {
		return nil
	}
	user, e, _, err := decodeWebRecord(v)
	if err != nil {
		return err
	}
	if user != "" {
		if err := w.byUser.Delete(compose([]byte(user), []byte(kind), []byte(key))); err != nil {
			return err
		}
	}
	if e != 0 {
		if err := w.byExpiry.Delete(append(u64(e), webKey(kind, key)...)); err != nil {
			return err
		}
	}
	return b.Delete([]byte(key))
}

// webUpdate runs fn on the console's buckets and appends audit (when it has an action), in one
// transaction.
func (db *DB) webUpdate(ctx context.Context, audit bot.AuditEntry, fn func(webBuckets) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.update(func(btx *bolt.Tx) error {
		t := &tx{btx: btx, counts: &db.counts}
		w, err := t.web()
		if err != nil {
			return err
		}
		if err := fn(w); err != nil {
			return err
		}
		if audit.Action != "" {
			return t.Audit(audit)
		}
		return nil
	})
}

// PutWebRecord stores a record of the web console, replacing any under the same key (web.SessionStore).
func (db *DB) PutWebRecord(ctx context.Context, kind, key, user string, expires time.Time, rec []byte, audit bot.AuditEntry) error {
	if err := checkWebKey(kind, key, user); err != nil {
		return err
	}
	err := db.webUpdate(ctx, audit, func(w webBuckets) error { return w.put(kind, key, user, expires, rec) })
	if err != nil {
		return fmt.Errorf("store web %s: %w", kind, err)
	}
	return nil
}

// AddWebRecord stores a record under a key that must be new: ECONFLICT when it is not.
func (db *DB) AddWebRecord(ctx context.Context, kind, key, user string, expires time.Time, rec []byte, audit bot.AuditEntry) error {
	if err := checkWebKey(kind, key, user); err != nil {
		return err
	}
	err := db.webUpdate(ctx, audit, func(w webBuckets) error {
		b, err := w.kind(kind)
		if err != nil {
			return err
		}
		if b.Get([]byte(key)) != nil {
			return bot.Errorf(bot.ECONFLICT, "web %s exists already", kind)
		}
		return w.put(kind, key, user, expires, rec)
	})
	if err != nil {
		return fmt.Errorf("add web %s: %w", kind, err)
	}
	return nil
}

// WebRecord returns a copy of a record of the web console, or an ENOTFOUND error.
func (db *DB) WebRecord(ctx context.Context, kind, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rec []byte
	found := false
	err := db.view(func(btx *bolt.Tx) error {
		root := btx.Bucket(bucketWeb)
		if root == nil {
			return nil
		}
		b := root.Bucket([]byte(webKindPrefix + kind))
		if b == nil {
			return nil
		}
		v := b.Get([]byte(key))
		if v == nil {
			return nil
		}
		found = true
		var err error
		_, _, rec, err = decodeWebRecord(v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read web %s: %w", kind, err)
	}
	if !found {
		return nil, bot.Errorf(bot.ENOTFOUND, "no such web %s", kind)
	}
	return rec, nil
}

// DeleteWebRecord removes a record of the web console and reports whether there was one.
func (db *DB) DeleteWebRecord(ctx context.Context, kind, key string, audit bot.AuditEntry) (bool, error) {
	found := false
	err := db.webUpdate(ctx, audit, func(w webBuckets) error {
		b, err := w.kind(kind)
		if err != nil {
			return err
		}
		found = b.Get([]byte(key)) != nil
		return w.delete(b, kind, key)
	})
	if err != nil {
		return false, fmt.Errorf("delete web %s: %w", kind, err)
	}
	return found, nil
}

// DeleteUserWebRecords removes every record of user in kind and returns how many.
func (db *DB) DeleteUserWebRecords(ctx context.Context, kind, user string, audit bot.AuditEntry) (int, error) {
	n := 0
	err := db.webUpdate(ctx, audit, func(w webBuckets) error {
		n = 0
		b, err := w.kind(kind)
		if err != nil {
			return err
		}
		prefix := compose([]byte(user), []byte(kind), nil)
		var keys []string
		c := w.byUser.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, string(k[len(prefix):]))
		}
		for _, key := range keys {
			if err := w.delete(b, kind, key); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete the web %ss of %s: %w", kind, user, err)
	}
	return n, nil
}

// PruneWebRecords removes the records of the web console that expired before now.
func (db *DB) PruneWebRecords(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := db.webUpdate(ctx, bot.AuditEntry{}, func(w webBuckets) error {
		n = 0
		var gone [][]byte
		cutoff := u64(expiryNanos(now))
		c := w.byExpiry.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, cutoff) < 0; k, _ = c.Next() {
			gone = append(gone, bytes.Clone(k))
		}
		for _, k := range gone {
			kind, key, ok := bytes.Cut(k[min(8, len(k)):], []byte{0})
			if ok {
				b, err := w.kind(string(kind))
				if err != nil {
					return err
				}
				if b.Get(key) != nil {
					n++
				}
				if err := w.delete(b, string(kind), string(key)); err != nil {
					return err
				}
			}
			// The entry itself, in case it outlived its record.
			if err := w.byExpiry.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune web records: %w", err)
	}
	return n, nil
}

// deleteUserWeb removes every record of user, of every kind: their erasure (EraseUser) signs them out.
func (t *tx) deleteUserWeb(user string) (int, error) {
	if t.btx.Bucket(bucketWeb) == nil {
		return 0, nil
	}
	w, err := t.web()
	if err != nil {
		return 0, err
	}
	prefix := compose([]byte(user), nil)
	type rec struct{ kind, key string }
	var gone []rec
	c := w.byUser.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		kind, key, ok := bytes.Cut(k[len(prefix):], []byte{0})
		if !ok {
			return 0, bot.Errorf(bot.EINTERNAL, "web user index entry %q has no kind", k)
		}
		gone = append(gone, rec{string(kind), string(key)})
	}
	for _, g := range gone {
		b, err := w.kind(g.kind)
		if err != nil {
			return 0, err
		}
		if err := w.delete(b, g.kind, g.key); err != nil {
			return 0, err
		}
	}
	return len(gone), nil
}
