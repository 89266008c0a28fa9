package web

import (
	"context"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// SessionStore keeps the console's records in the data file: sessions, the marks of spent sign-in links
// and the key that signs the links. storage.DB implements it. Records are the console's own encoding;
// the store keeps each under a key within its kind, with the user it belongs to (so every session of a
// person can be ended at once) and the time it expires (so PruneWebRecords can drop it). A write and its
// audit entry are one transaction: nobody is signed in or out without a line in the audit log.
//
// Errors: "not found" is a *bot.Error with ENOTFOUND, a key added twice ECONFLICT. Safe for concurrent
// use; the console calls it from every request.
type SessionStore interface {
	// PutWebRecord stores rec under kind and key, for user, until expires (zero: never), replacing what
	// was there, and appends audit when its Action is set.
	PutWebRecord(ctx context.Context, kind, key, user string, expires time.Time, rec []byte, audit bot.AuditEntry) error
	// AddWebRecord is PutWebRecord for a key that must be new: when kind holds key already, nothing is
	// written and the error is ECONFLICT. Of two adds of one key, exactly one succeeds.
	AddWebRecord(ctx context.Context, kind, key, user string, expires time.Time, rec []byte, audit bot.AuditEntry) error
	// WebRecord returns a copy of the record under kind and key, or an ENOTFOUND error. A record past its
	// expiry is returned until PruneWebRecords removes it: the caller checks the time.
	WebRecord(ctx context.Context, kind, key string) ([]byte, error)
	// DeleteWebRecord removes the record under kind and key, and appends audit when its Action is set.
	// It reports whether there was one.
	DeleteWebRecord(ctx context.Context, kind, key string, audit bot.AuditEntry) (bool, error)
	// DeleteUserWebRecords removes every record of user in kind, appends audit when its Action is set,
	// and returns how many it removed.
	DeleteUserWebRecords(ctx context.Context, kind, user string, audit bot.AuditEntry) (int, error)
	// PruneWebRecords removes every record that expired before now, and returns how many.
	PruneWebRecords(ctx context.Context, now time.Time) (int, error)
}

// The kinds of records the console keeps.
const (
	kindSession = "session" // a signed-in browser, by the hash of its cookie
	kindSpent   = "spent"   // a sign-in link that was used, by its nonce, until it would have expired
	kindKey     = "key"     // the key that signs sign-in links
)
