package postgres

// The web console's records (web.SessionStore): sessions, the marks of spent sign-in links, the key that
// signs them, each under its kind and key with its user and expiry.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

const maxWebKeyLength = 512

func checkWebKey(kind, key, user string) error {
	if kind == "" || key == "" || len(key) > maxWebKeyLength || len(user) > 0xFFFF || strings.ContainsRune(kind+key+user, 0) {
		return bot.Errorf(bot.EINVALID, "web record %q/%q: empty, too long or with a zero byte", kind, key)
	}
	return nil
}

// webUpdate runs fn and appends audit (when it has an action), in one transaction.
func (db *DB) webUpdate(ctx context.Context, audit bot.AuditEntry, fn func(t *tx) error) error {
	return db.Update(ctx, func(btx bot.Tx) error {
		t := btx.(*tx)
		if err := fn(t); err != nil {
			return err
		}
		if audit.Action != "" {
			return t.Audit(audit)
		}
		return nil
	})
}

func (t *tx) putWeb(kind, key, user string, expires time.Time, rec []byte) error {
	if rec == nil {
		rec = []byte{}
	}
	_, err := t.exec(`INSERT INTO web_records (kind, key, "user", expires, rec) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (kind, key) DO UPDATE SET "user" = EXCLUDED."user", expires = EXCLUDED.expires, rec = EXCLUDED.rec`,
		kind, key, user, nanos(expires), rec)
	return err
}

// PutWebRecord stores a record of the web console, replacing any under the same key.
func (db *DB) PutWebRecord(ctx context.Context, kind, key, user string, expires time.Time, rec []byte, audit bot.AuditEntry) error {
	if err := checkWebKey(kind, key, user); err != nil {
		return err
	}
	if err := db.webUpdate(ctx, audit, func(t *tx) error { return t.putWeb(kind, key, user, expires, rec) }); err != nil {
		return fmt.Errorf("store web %s: %w", kind, err)
	}
	return nil
}

// AddWebRecord stores a record under a key that must be new: ECONFLICT when it is not. Of two adds of
// one key, on one replica or two, exactly one succeeds.
func (db *DB) AddWebRecord(ctx context.Context, kind, key, user string, expires time.Time, rec []byte, audit bot.AuditEntry) error {
	if err := checkWebKey(kind, key, user); err != nil {
		return err
	}
	if rec == nil {
		rec = []byte{}
	}
	err := db.webUpdate(ctx, audit, func(t *tx) error {
		tag, err := t.exec(`INSERT INTO web_records (kind, key, "user", expires, rec) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (kind, key) DO NOTHING`, kind, key, user, nanos(expires), rec)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return bot.Errorf(bot.ECONFLICT, "web %s exists already", kind)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add web %s: %w", kind, err)
	}
	return nil
}

// WebRecord returns a copy of a record of the web console, or an ENOTFOUND error.
func (db *DB) WebRecord(ctx context.Context, kind, key string) ([]byte, error) {
	var rec []byte
	found := false
	err := db.View(ctx, func(btx bot.Tx) error {
		var err error
		found, err = btx.(*tx).scanOne("SELECT rec FROM web_records WHERE kind = $1 AND key = $2", []any{kind, key}, &rec)
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
	err := db.webUpdate(ctx, audit, func(t *tx) error {
		tag, err := t.exec("DELETE FROM web_records WHERE kind = $1 AND key = $2", kind, key)
		found = tag.RowsAffected() > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("delete web %s: %w", kind, err)
	}
	return found, nil
}

// DeleteUserWebRecords removes every record of user in kind and returns how many.
func (db *DB) DeleteUserWebRecords(ctx context.Context, kind, user string, audit bot.AuditEntry) (int, error) {
	n := 0
	err := db.webUpdate(ctx, audit, func(t *tx) error {
		tag, err := t.exec(`DELETE FROM web_records WHERE "user" = $1 AND kind = $2 AND "user" <> ''`, user, kind)
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete the web %ss of %s: %w", kind, user, err)
	}
	return n, nil
}

// PruneWebRecords removes the records of the web console that expired before now.
func (db *DB) PruneWebRecords(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := db.webUpdate(ctx, bot.AuditEntry{}, func(t *tx) error {
		tag, err := t.exec("DELETE FROM web_records WHERE expires <> 0 AND expires < $1", nanos(now))
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune web records: %w", err)
	}
	return n, nil
}
