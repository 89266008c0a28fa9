// Package storage keeps Firstline's data in one bbolt file: tickets and their indexes, the outbox,
// dedup keys, knowledge-base articles with their versions, and small state for adapters. It implements
// bot.Store; every write happens in a bbolt transaction, and nothing read from bbolt outlives one.
package storage

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/ticketindex"
)

// Bucket names. Indexes are explicit buckets kept in step by PutTicket.
var (
	bucketMeta          = []byte("meta")
	bucketTickets       = []byte("tickets")                 // seq (8 bytes BE) -> ticket JSON
	bucketByConv        = []byte("tickets_by_conversation") // conversation key -> ticket id
	bucketByRequester   = []byte("tickets_by_requester")    // requester \x00 seq -> ""
	bucketByStatus      = []byte("tickets_by_status")       // status \x00 seq -> ""
	bucketMessages      = []byte("messages")                // message ref key -> MessageLink JSON (cards, answers)
	bucketPostRefs      = []byte("ticket_messages")         // seq (8 bytes BE) message key -> MessageRef JSON
	bucketDedup         = []byte("dedup")                   // event key -> unix nanos seen
	bucketOutbox        = []byte("outbox")                  // seq -> Effect JSON
	bucketArticles      = []byte("articles")                // id -> stored article JSON (latest version)
	bucketArticleVers   = []byte("article_versions")        // id \x00 version (8 bytes BE) -> stored article JSON
	bucketAdapters      = []byte("adapters")                // name -> nested bucket of adapter state
	bucketByDue         = []byte("tickets_by_due")          // next SLA event (unix nanos, 8 bytes BE) seq -> ""
	bucketDueOf         = []byte("due_by_ticket")           // seq -> its key in tickets_by_due
	bucketByUpdated     = []byte("tickets_by_updated")      // last change (unix nanos, 8 bytes BE) seq -> ""
	bucketAudit         = []byte("audit")                   // seq (8 bytes BE) -> AuditEntry JSON, append-only
	bucketFeedback      = []byte("article_feedback")        // article id -> bot.ArticleFeedback JSON
	bucketKBFiles       = []byte("kb_files")                // article id -> bot.KBFile JSON (what kb.dir imported)
	bucketRows          = []byte("ticket_rows")             // seq -> a ticket's row for lists (ticketrows.go)
	bucketByField       = []byte("tickets_by_field")        // field byte, value \x00 seq -> "" (assignee, tier, priority, platform)
	bucketByCreated     = []byte("tickets_by_created")      // opened (unix nanos, 8 bytes BE) seq -> ""
	bucketTerms         = []byte("ticket_terms")            // word \x00 first seq -> more seqs as uvarint deltas (ticketterms.go)
	bucketBySLA         = []byte("tickets_by_sla_due")      // the nearest running SLA deadline (unix nanos) seq -> "", for lists by SLA due
	keySchema           = []byte("schema_version")
	defaultLockTimeout  = time.Second
	errDataFileInUseFmt = "the data file %s is in use by another Firstline process (stop it, or use another -data directory)"
)

// Options tune Open.
type Options struct {
	// LockTimeout is how long to wait for another process to release the file. Default 1s.
	LockTimeout time.Duration
	// NoSync skips fsync on commit: only for tests and benchmarks, never for real data.
	NoSync bool
	// ReadOnly opens the file for reading (CLI commands that only read).
	ReadOnly bool
	// SoloCommits gives every Update a transaction and a commit of its own instead of grouping
	// concurrent ones (groupcommit.go): only to measure what grouping gains.
	SoloCommits bool
}

// DB is an open data file.
type DB struct {
	bolt   *bolt.DB
	path   string
	counts counters
	// queue groups concurrent Updates into one commit, unless soloCommits (groupcommit.go).
	queue       commitQueue
	soloCommits bool
}

var _ bot.Store = (*DB)(nil)

// Open opens (creating if needed) the data file at path and brings its schema up to date. A file held by
// another process fails after the lock timeout with an EUNAVAILABLE error that says so; a file that is
// empty, damaged (cut short, a flipped byte in a page bbolt reads) or another program's is refused, with
// a sentence that says so and what to do, and left as it is (see openBolt).
func Open(path string, opts Options) (*DB, error) {
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	b, _, err := openBolt(path, roleData, bolt.Options{Timeout: opts.LockTimeout, NoSync: opts.NoSync, ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, err
	}
	db := &DB{bolt: b, path: path, soloCommits: opts.SoloCommits}
	if err := db.migrate(opts.ReadOnly); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// Close releases the file.
func (db *DB) Close() error { return db.bolt.Close() }

// Path is the data file's path.
func (db *DB) Path() string { return db.path }

// Check verifies the file's B+tree pages and returns every problem found.
func (db *DB) Check() error {
	return db.view(func(btx *bolt.Tx) error {
		var errs []error
		for err := range btx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// migrations bring the file from schema version i to i+1. Append; never edit one that has been released.
var migrations = []func(*bolt.Tx) error{
	// 1: the buckets of the first release.
	func(btx *bolt.Tx) error {
		for _, name := range [][]byte{bucketTickets, bucketByConv, bucketByRequester, bucketByStatus, bucketMessages,
			bucketDedup, bucketOutbox, bucketArticles, bucketArticleVers, bucketAdapters} {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
	// 2: SLA deadlines and the time of the last change as indexes, filled from the tickets already there.
	// (Before any release this built tickets_by_created instead; no file with that schema 2 was ever
	// shipped, so it was changed in place rather than followed by a third migration.)
	func(btx *bolt.Tx) error {
		for _, name := range [][]byte{bucketByDue, bucketDueOf, bucketByUpdated} {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		t := &tx{btx: btx}
		return btx.Bucket(bucketTickets).ForEach(func(k, v []byte) error {
			var tk bot.Ticket
			if err := decode(v, &tk, "ticket"); err != nil {
				return err
			}
			if err := t.indexUpdated(tk.ID, ticketindex.LastChange(&tk), nil, k); err != nil {
				return err
			}
			return t.indexDue(&tk, k)
		})
	},
	// 3: the audit log. Nothing before it was audited, so it starts empty.
	func(btx *bolt.Tx) error {
		if _, err := btx.CreateBucketIfNotExists(bucketAudit); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketAudit, err)
		}
		return nil
	},
	// 4: answers' outcomes counted per article, filled from the tickets already there.
	func(btx *bolt.Tx) error {
		if _, err := btx.CreateBucketIfNotExists(bucketFeedback); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketFeedback, err)
		}
		t := &tx{btx: btx}
		return btx.Bucket(bucketTickets).ForEach(func(_, v []byte) error {
			var tk bot.Ticket
			if err := decode(v, &tk, "ticket"); err != nil {
				return err
			}
			for _, o := range tk.Offers {
				if err := t.CountFeedback(o.Article, ""); err != nil {
					return err
				}
				if o.Feedback != "" {
					if err := t.CountFeedback(o.Article, o.Feedback); err != nil {
						return err
					}
				}
			}
			return nil
		})
	},
	// 5: article vectors for hybrid search, by content key; the first sync after it fills them.
	func(btx *bolt.Tx) error {
		if _, err := btx.CreateBucketIfNotExists(bucketVectors); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketVectors, err)
		}
		return nil
	},
	// 6: what kb.dir imported, per article, so a restart re-imports only files that changed. A data file
	// from before has no records: the first start compares each file with its article (see
	// bot.SyncKBFolder).
	func(btx *bolt.Tx) error {
		if _, err := btx.CreateBucketIfNotExists(bucketKBFiles); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketKBFiles, err)
		}
		return nil
	},
	// 7: the list indexes (a row per ticket, its fields, its opening time) and the text index of the
	// tickets, filled from the tickets already there: on a million tickets this reads each once, a few
	// minutes on the first start of this version.
	func(btx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRows, bucketByField, bucketByCreated, bucketTerms} {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		t := &tx{btx: btx}
		return btx.Bucket(bucketTickets).ForEach(func(k, v []byte) error {
			var tk bot.Ticket
			if err := decode(v, &tk, "ticket"); err != nil {
				return err
			}
			if err := t.indexRow(&tk, nil, k); err != nil {
				return err
			}
			return t.indexTerms(&tk, nil, binary.BigEndian.Uint64(k))
		})
	},
	// 8: where the bot's messages went moves out of the tickets ("messages", by key) into
	// ticket_messages, so that posting reads and writes no ticket (see messages.go). The tickets are not
	// rewritten (a file of a million would be rewritten whole in one transaction): their stored
	// "messages" is no longer read, and goes the next time each is written.
	migrateMessageRefs,
	// 9: the running SLA deadlines as an index, so a list by SLA due reads its first page from it instead
	// of every active ticket; filled from the rows of migration 7, without reading the tickets.
	func(btx *bolt.Tx) error {
		b, err := btx.CreateBucketIfNotExists(bucketBySLA)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketBySLA, err)
		}
		return btx.Bucket(bucketRows).ForEach(func(k, v []byte) error {
			r, err := parseRow(v)
			if err != nil {
				return fmt.Errorf("%s: %w", bot.TicketID(binary.BigEndian.Uint64(k)), err)
			}
			if !r.running() {
				return nil
			}
			return b.Put(timeKey(fromNanos(r.due), k), nil)
		})
	},
}

// SchemaVersion is the schema this build writes.
func SchemaVersion() int { return len(migrations) }

func (db *DB) migrate(readOnly bool) error {
	var have int
	if err := db.view(func(btx *bolt.Tx) error {
		if m := btx.Bucket(bucketMeta); m != nil {
			if v := m.Get(keySchema); len(v) == 8 {
				have = int(binary.BigEndian.Uint64(v))
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return bot.Errorf(bot.EINVALID, "the data file %s has schema version %d, newer than this Firstline understands (%d): upgrade Firstline", db.path, have, len(migrations))
	}
	if have == len(migrations) {
		return nil
	}
	if readOnly {
		return bot.Errorf(bot.EINVALID, "the data file %s needs an upgrade (schema %d to %d): run any Firstline command that writes first", db.path, have, len(migrations))
	}
	for v := have; v < len(migrations); v++ {
		if err := db.update(func(btx *bolt.Tx) error {
			if err := migrations[v](btx); err != nil {
				return err
			}
			m, err := btx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			return m.Put(keySchema, u64(uint64(v+1)))
		}); err != nil {
			return fmt.Errorf("migrate data file to schema %d: %w", v+1, err)
		}
	}
	return nil
}

// View runs fn in one read-only transaction.
func (db *DB) View(ctx context.Context, fn func(bot.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.view(func(btx *bolt.Tx) error { return fn(&tx{btx: btx, counts: &db.counts}) })
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// compose joins key parts with a zero byte, which no id contains.
func compose(parts ...[]byte) []byte {
	var k []byte
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}

func decode(data []byte, v any, what string) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}
