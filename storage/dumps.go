package storage

// A desk out of and into a data file, as dump records (package dump): what `firstline migrate` copies
// between this store and PostgreSQL. Export reads every bucket in one read transaction and refuses a
// bucket it does not know, so nothing is left behind; an Importer writes into a new data file through
// the same code the desk writes with, so the indexes are built as the desk would build them.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
	"github.com/firstline-desk/firstline/storage/dump"
)

// derived are the buckets Export leaves out: indexes built again from the records, and the file's own
// bookkeeping.
var derived = map[string]bool{
	string(bucketMeta): true, string(bucketByRequester): true, string(bucketByStatus): true, string(bucketByDue): true,
	string(bucketDueOf): true, string(bucketByUpdated): true, string(bucketRows): true, string(bucketByField): true,
	string(bucketByCreated): true, string(bucketTerms): true, string(bucketBySLA): true,
}

// Export calls fn with every record of the data file, kind by kind in dump.Kinds' order, from one read
// transaction: a consistent copy even while the desk writes (though what it writes after is not in it).
func (db *DB) Export(ctx context.Context, fn func(dump.Record) error) error {
	return db.view(func(btx *bolt.Tx) error { return exportTx(ctx, btx, fn) })
}

// ExportFile exports a data file no process holds, opened read-only; a file held by a running desk is
// an EUNAVAILABLE error.
func ExportFile(ctx context.Context, path string, fn func(dump.Record) error) error {
	db, err := Open(path, Options{ReadOnly: true, LockTimeout: defaultLockTimeout})
	if err != nil {
		return stopFirstline(err, path, "copy it")
	}
	defer db.Close()
	return db.Export(ctx, fn)
}

// exported are the buckets Export reads, by kind.
var exported = map[dump.Kind][]byte{
	dump.Ticket: bucketTickets, dump.Conversation: bucketByConv, dump.Message: bucketMessages, dump.PostRef: bucketPostRefs,
	dump.Dedup: bucketDedup, dump.Effect: bucketOutbox, dump.Article: bucketArticles, dump.ArticleVersion: bucketArticleVers,
	dump.Feedback: bucketFeedback, dump.KBFile: bucketKBFiles, dump.Audit: bucketAudit, dump.AdapterValue: bucketAdapters,
	dump.Vector: bucketVectors, dump.WebRecord: bucketWeb, dump.ActionRun: bucketRuns, dump.Setting: bucketSettings,
}

func exportTx(ctx context.Context, btx *bolt.Tx, fn func(dump.Record) error) error {
	known := map[string]bool{}
	for _, b := range exported {
		known[string(b)] = true
	}
	if err := btx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !known[string(name)] && !derived[string(name)] {
			return bot.Errorf(bot.EINVALID, "the data file holds %q, which this Firstline cannot copy: use the Firstline that wrote it", name)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, kind := range dump.Kinds {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		switch kind {
		case dump.AdapterValue:
			err = exportAdapters(btx, fn)
		case dump.AdapterSequence:
			// With AdapterValue: one walk of the adapters' buckets gives both.
		case dump.WebRecord:
			err = exportWeb(btx, fn)
		case dump.ActionRun:
			err = exportRuns(btx, fn)
		case dump.Setting:
			if b := btx.Bucket(bucketSettings); b != nil {
				err = b.ForEach(func(k, v []byte) error {
					return fn(dump.Record{Kind: dump.Setting, Name: string(k), Data: bytes.Clone(v)})
				})
			}
		case dump.Sequence:
			for name, b := range map[string][]byte{dump.SeqTickets: bucketTickets, dump.SeqOutbox: bucketOutbox, dump.SeqAudit: bucketAudit} {
				if err = fn(dump.Record{Kind: dump.Sequence, Name: name, Seq: btx.Bucket(b).Sequence()}); err != nil {
					break
				}
			}
			// Every sequence, 0 for one whose bucket was never made: PostgreSQL has all of them, and the
			// dumps of one desk in either store must be the same.
			if err == nil {
				var n uint64
				if rb, _ := (&tx{btx: btx}).runs(false); rb.data != nil {
					n = rb.data.Sequence()
				}
				err = fn(dump.Record{Kind: dump.Sequence, Name: dump.SeqActionRuns, Seq: n})
			}
		default:
			b := btx.Bucket(exported[kind])
			if b == nil {
				continue // a file from before the bucket
			}
			err = b.ForEach(func(k, v []byte) error {
				r, err := exportRecord(kind, k, v)
				if err != nil {
					return fmt.Errorf("%s %q: %w", kind, k, err)
				}
				return fn(r)
			})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// exportRecord is the record of one key of a plain bucket.
func exportRecord(kind dump.Kind, k, v []byte) (dump.Record, error) {
	r := dump.Record{Kind: kind, Data: bytes.Clone(v)}
	switch kind {
	case dump.Ticket, dump.Effect, dump.Audit:
		if len(k) != 8 {
			return r, fmt.Errorf("a key of %s", plural.Count(len(k), "byte", "bytes"))
		}
		r.Seq = binary.BigEndian.Uint64(k)
	case dump.Conversation:
		r.Key, r.ID, r.Data = bytes.Clone(k), string(v), nil
	case dump.Message:
		var link bot.MessageLink
		if err := json.Unmarshal(v, &link); err != nil {
			return r, err
		}
		r.Key, r.ID = bytes.Clone(k), link.Ticket
	case dump.PostRef:
		if len(k) < 8 {
			return r, fmt.Errorf("a key of %s", plural.Count(len(k), "byte", "bytes"))
		}
		r.Seq, r.Name = binary.BigEndian.Uint64(k), string(k[8:])
	case dump.Dedup:
		if len(v) != 8 {
			return r, fmt.Errorf("a time of %s", plural.Count(len(v), "byte", "bytes"))
		}
		r.Key, r.At, r.Data = bytes.Clone(k), int64(binary.BigEndian.Uint64(v)), nil
	case dump.ArticleVersion:
		i := len(k) - 9 // id \x00 version (8 bytes, which may hold zero bytes themselves)
		if i < 1 || k[i] != 0 {
			return r, fmt.Errorf("not an article's version")
		}
		r.ID, r.Seq = string(k[:i]), binary.BigEndian.Uint64(k[i+1:])
	default: // Article, Feedback, KBFile, Vector
		r.ID = string(k)
	}
	return r, nil
}

func exportAdapters(btx *bolt.Tx, fn func(dump.Record) error) error {
	root := btx.Bucket(bucketAdapters)
	return root.ForEachBucket(func(name []byte) error {
		b := root.Bucket(name)
		if err := b.ForEach(func(k, v []byte) error {
			if v == nil {
				return bot.Errorf(bot.EINVALID, "adapter %s holds a bucket %q, which this Firstline cannot copy", name, k)
			}
			return fn(dump.Record{Kind: dump.AdapterValue, Name: string(name), Key: bytes.Clone(k), Data: bytes.Clone(v)})
		}); err != nil {
			return err
		}
		if seq := b.Sequence(); seq > 0 {
			return fn(dump.Record{Kind: dump.AdapterSequence, Name: string(name), Seq: seq})
		}
		return nil
	})
}

func exportWeb(btx *bolt.Tx, fn func(dump.Record) error) error {
	root := btx.Bucket(bucketWeb)
	if root == nil {
		return nil
	}
	return root.ForEachBucket(func(name []byte) error {
		kind, ok := strings.CutPrefix(string(name), webKindPrefix)
		if !ok {
			return nil // the indexes, by user and by expiry
		}
		return root.Bucket(name).ForEach(func(k, v []byte) error {
			user, expires, rec, err := decodeWebRecord(v)
			if err != nil {
				return err
			}
			return fn(dump.Record{Kind: dump.WebRecord, Name: kind, ID: string(k), User: user, At: int64(expires), Data: rec})
		})
	})
}

// exportRuns exports the action runs, without their indexes (an import builds them again); a bucket
// among them that is neither the runs nor an index is refused, as at the top.
func exportRuns(btx *bolt.Tx, fn func(dump.Record) error) error {
	rb, _ := (&tx{btx: btx}).runs(false)
	if rb.root == nil {
		return nil
	}
	if err := rb.root.ForEach(func(k, v []byte) error {
		switch {
		case v != nil:
			return bot.Errorf(bot.EINVALID, "action_runs holds a key %q, which this Firstline cannot copy", k)
		case !bytes.Equal(k, runsData) && !bytes.Equal(k, runsByState) && !bytes.Equal(k, runsByTicket) && !bytes.Equal(k, runsByFor):
			return bot.Errorf(bot.EINVALID, "action_runs holds %q, which this Firstline cannot copy: use the Firstline that wrote it", k)
		}
		return nil
	}); err != nil {
		return err
	}
	if rb.data == nil {
		return nil
	}
	return rb.data.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("action run %q: a key of %s", k, plural.Count(len(k), "byte", "bytes"))
		}
		return fn(dump.Record{Kind: dump.ActionRun, Seq: binary.BigEndian.Uint64(k), Data: bytes.Clone(v)})
	})
}

// Importer writes dump records into a new data file, in transactions of importBatch records.
type Importer struct {
	db  *DB
	buf []dump.Record
}

const importBatch = 5000

// NewImporter creates the data file at path to import into; a file there already is refused, so that
// nothing is ever imported over a desk.
func NewImporter(path string) (*Importer, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, bot.Errorf(bot.EINVALID, "%s exists: a desk is copied only into a new data file (move it away first)", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := Open(path, Options{})
	if err != nil {
		return nil, err
	}
	return &Importer{db: db}, nil
}

// Put adds a record; records come in dump.Kinds' order.
func (im *Importer) Put(r dump.Record) error {
	im.buf = append(im.buf, r)
	if len(im.buf) >= importBatch {
		return im.flush()
	}
	return nil
}

// Close writes what is left and closes the file.
func (im *Importer) Close() error {
	err := im.flush()
	if cerr := im.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// DB is the data file being imported into, to read it back before it is closed.
func (im *Importer) DB() *DB { return im.db }

func (im *Importer) flush() error {
	if len(im.buf) == 0 {
		return nil
	}
	err := im.db.update(func(btx *bolt.Tx) error {
		t := &tx{btx: btx}
		for _, r := range im.buf {
			if err := t.importRecord(r); err != nil {
				return fmt.Errorf("import %s %s%q: %w", r.Kind, r.ID, r.Key, err)
			}
		}
		return nil
	})
	im.buf = im.buf[:0]
	return err
}

func (t *tx) importRecord(r dump.Record) error {
	switch r.Kind {
	case dump.Ticket:
		tk := new(bot.Ticket)
		if err := json.Unmarshal(r.Data, tk); err != nil {
			return err
		}
		if tk.ID != bot.TicketID(r.Seq) {
			return fmt.Errorf("ticket %d says it is %s", r.Seq, tk.ID)
		}
		if err := t.putTicket(tk, nil); err != nil {
			return err
		}
		return t.bucket(bucketTickets).Put(u64(r.Seq), r.Data) // as it was written, byte for byte
	case dump.Conversation:
		return t.bucket(bucketByConv).Put(r.Key, []byte(r.ID))
	case dump.Message:
		return t.bucket(bucketMessages).Put(r.Key, r.Data)
	case dump.PostRef:
		return t.bucket(bucketPostRefs).Put(postRefKey(r.Seq, r.Name), r.Data)
	case dump.Dedup:
		return t.bucket(bucketDedup).Put(r.Key, u64(uint64(r.At)))
	case dump.Effect, dump.Audit:
		return t.bucket(exported[r.Kind]).Put(u64(r.Seq), r.Data)
	case dump.Article, dump.Feedback, dump.KBFile, dump.Vector:
		return t.bucket(exported[r.Kind]).Put([]byte(r.ID), r.Data)
	case dump.ArticleVersion:
		return t.bucket(bucketArticleVers).Put(compose([]byte(r.ID), u64(r.Seq)), r.Data)
	case dump.AdapterValue, dump.AdapterSequence:
		b, err := t.bucket(bucketAdapters).CreateBucketIfNotExists([]byte(r.Name))
		if err != nil {
			return err
		}
		if r.Kind == dump.AdapterSequence {
			return b.SetSequence(r.Seq)
		}
		return b.Put(r.Key, r.Data)
	case dump.WebRecord:
		w, err := t.web()
		if err != nil {
			return err
		}
		return w.put(r.Name, r.ID, r.User, fromNanos(r.At), r.Data)
	case dump.ActionRun:
		run := new(bot.ActionRun)
		if err := json.Unmarshal(r.Data, run); err != nil {
			return err
		}
		if run.ID != bot.RunID(r.Seq) {
			return fmt.Errorf("action run %d says it is %s", r.Seq, run.ID)
		}
		rb, err := t.runs(true)
		if err != nil {
			return err
		}
		if err := rb.put(run, nil, r.Seq); err != nil {
			return err
		}
		return rb.data.Put(u64(r.Seq), r.Data) // as it was written, byte for byte
	case dump.Setting:
		return t.PutSetting(r.Name, string(r.Data))
	case dump.Sequence:
		if r.Name == dump.SeqActionRuns {
			if r.Seq == 0 {
				return nil // no run yet: the buckets are made with the first
			}
			rb, err := t.runs(true)
			if err != nil {
				return err
			}
			return rb.data.SetSequence(r.Seq)
		}
		b := map[string][]byte{dump.SeqTickets: bucketTickets, dump.SeqOutbox: bucketOutbox, dump.SeqAudit: bucketAudit}[r.Name]
		if b == nil {
			return fmt.Errorf("no sequence %q", r.Name)
		}
		return t.bucket(b).SetSequence(r.Seq)
	}
	return fmt.Errorf("unknown kind %q", r.Kind)
}
