package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

// PruneDedupKeys forgets dedup keys recorded before cutoff; platforms stop redelivering long before.
func (db *DB) PruneDedupKeys(ctx context.Context, cutoff time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := db.update(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketDedup).Cursor()
		for k, v := c.First(); k != nil; {
			if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < cutoff.UnixNano() {
				k = append([]byte{}, k...) // the key's memory belongs to the page being changed
				if err := c.Delete(); err != nil {
					return err
				}
				n++
				k, v = c.Seek(k) // Delete moves the cursor: re-seek to the next key
				continue
			}
			k, v = c.Next()
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("prune dedup keys: %w", err)
	}
	return n, nil
}

// AdapterState is a small key-value store an adapter keeps in the data file (the console's message
// ids, a platform's cursors), in a bucket of its own.
type AdapterState struct {
	db   *DB
	name []byte
}

// Adapter returns the state store of the named adapter.
func (db *DB) Adapter(name string) *AdapterState { return &AdapterState{db: db, name: []byte(name)} }

func (s *AdapterState) update(ctx context.Context, fn func(*bolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.update(func(btx *bolt.Tx) error {
		b, err := btx.Bucket(bucketAdapters).CreateBucketIfNotExists(s.name)
		if err != nil {
			return fmt.Errorf("adapter bucket %s: %w", s.name, err)
		}
		return fn(b)
	})
}

// NextID returns the next number of a sequence that survives restarts: 1, 2, 3, ...
func (s *AdapterState) NextID(ctx context.Context) (uint64, error) {
	var id uint64
	err := s.update(ctx, func(b *bolt.Bucket) error {
		var err error
		id, err = b.NextSequence()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("next %s id: %w", s.name, err)
	}
	return id, nil
}

// Put stores a value under key.
func (s *AdapterState) Put(ctx context.Context, key string, value []byte) error {
	err := s.update(ctx, func(b *bolt.Bucket) error { return b.Put([]byte(key), value) })
	if err != nil {
		return fmt.Errorf("store %s %q: %w", s.name, key, err)
	}
	return nil
}

// Get returns a copy of the value under key, or an ENOTFOUND error.
func (s *AdapterState) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err := s.db.view(func(btx *bolt.Tx) error {
		if b := btx.Bucket(bucketAdapters).Bucket(s.name); b != nil {
			if v := b.Get([]byte(key)); v != nil {
				out = append([]byte{}, v...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s %q: %w", s.name, key, err)
	}
	if out == nil {
		return nil, bot.Errorf(bot.ENOTFOUND, "%s has no %q", s.name, key)
	}
	return out, nil
}

// The knowledge base (bot.Tx): the newest version of each article in articles, every version in
// article_versions, each a storedArticle. There is no other way in or out: the engine's chat edits,
// `kb import`, `kb export`, kb.dir and the demo's articles all go through bot.Tx.

// storedArticle is one version of an article as stored: who wrote it, when, what it said, and whether it
// marks the article deleted.
type storedArticle struct {
	Version int        `json:"version"`
	Author  string     `json:"author"`
	At      time.Time  `json:"at"`
	Article kb.Article `json:"article"`
	Deleted bool       `json:"deleted,omitempty"`
}

func (s storedArticle) kb() bot.KBArticle {
	return bot.KBArticle{Article: s.Article, Version: s.Version, Deleted: s.Deleted, Author: s.Author, At: s.At}
}

func (t *tx) KBArticle(id string) (bot.KBArticle, error) {
	v := t.bucket(bucketArticles).Get([]byte(id))
	if v == nil {
		return bot.KBArticle{}, bot.Errorf(bot.ENOTFOUND, "no article %q", id)
	}
	var rec storedArticle
	if err := decode(v, &rec, "article "+id); err != nil {
		return bot.KBArticle{}, err
	}
	return rec.kb(), nil
}

func (t *tx) KBVersions(id string) ([]bot.KBArticle, error) {
	var out []bot.KBArticle
	prefix := compose([]byte(id), nil)
	c := t.bucket(bucketArticleVers).Cursor()
	for k, v := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
		var rec storedArticle
		if err := decode(v, &rec, "article "+id); err != nil {
			return nil, err
		}
		out = append(out, rec.kb())
	}
	return out, nil
}

func (t *tx) KBArticles() ([]bot.KBArticle, error) {
	var out []bot.KBArticle
	err := t.bucket(bucketArticles).ForEach(func(k, v []byte) error {
		var rec storedArticle
		if err := decode(v, &rec, "article "+string(k)); err != nil {
			return err
		}
		out = append(out, rec.kb())
		return nil
	})
	return out, err
}

func (t *tx) PutKBArticle(a kb.Article, deleted bool, author string, at time.Time, base int) (int, error) {
	if err := a.Validate(); err != nil {
		return 0, bot.WrapError(err, bot.EINVALID, "article %q: %v", a.ID, err)
	}
	latest := t.bucket(bucketArticles)
	current := 0
	if v := latest.Get([]byte(a.ID)); v != nil {
		var cur storedArticle
		if err := decode(v, &cur, "article "+a.ID); err != nil {
			return 0, err
		}
		current = cur.Version
	}
	if current != base {
		return 0, bot.Errorf(bot.ECONFLICT, "article %s is at version %d, not %d", a.ID, current, base)
	}
	rec := storedArticle{Version: current + 1, Author: author, At: at.UTC(), Article: a, Deleted: deleted}
	data, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("encode article %s: %w", a.ID, err)
	}
	if err := latest.Put([]byte(a.ID), data); err != nil {
		return 0, fmt.Errorf("store article %s: %w", a.ID, err)
	}
	if err := t.bucket(bucketArticleVers).Put(compose([]byte(a.ID), u64(uint64(rec.Version))), data); err != nil {
		return 0, fmt.Errorf("store article %s version %d: %w", a.ID, rec.Version, err)
	}
	return rec.Version, nil
}

// PurgeKBArticle removes the old versions of an article and keeps its newest; a deleted article goes
// entirely (every version, and its feedback counts), so nothing of it can be read or restored.
func (t *tx) PurgeKBArticle(id string) (int, error) {
	latest := t.bucket(bucketArticles)
	v := latest.Get([]byte(id))
	if v == nil {
		return 0, bot.Errorf(bot.ENOTFOUND, "no article %q", id)
	}
	var cur storedArticle
	if err := decode(v, &cur, "article "+id); err != nil {
		return 0, err
	}
	vers := t.bucket(bucketArticleVers)
	prefix := compose([]byte(id), nil)
	var old [][]byte
	c := vers.Cursor()
	for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if !cur.Deleted && binary.BigEndian.Uint64(k[len(prefix):]) == uint64(cur.Version) {
			continue // the newest of a live article stays
		}
		old = append(old, bytes.Clone(k)) // keys belong to the page; deleting under a cursor moves it
	}
	for _, k := range old {
		if err := vers.Delete(k); err != nil {
			return 0, fmt.Errorf("purge article %s: %w", id, err)
		}
	}
	if cur.Deleted {
		if err := latest.Delete([]byte(id)); err != nil {
			return 0, fmt.Errorf("purge article %s: %w", id, err)
		}
		if err := t.bucket(bucketFeedback).Delete([]byte(id)); err != nil {
			return 0, fmt.Errorf("purge the feedback of article %s: %w", id, err)
		}
	}
	return len(old), nil
}

// CountFeedback adds one to an article's offers (kind "") or to the outcome kind of an answer.
func (t *tx) CountFeedback(article, kind string) error {
	b := t.bucket(bucketFeedback)
	var f bot.ArticleFeedback
	if v := b.Get([]byte(article)); v != nil {
		if err := decode(v, &f, "feedback of "+article); err != nil {
			return err
		}
	}
	switch kind {
	case "":
		f.Offered++
	case bot.FeedbackSolved:
		f.Solved++
	case bot.FeedbackNotHelpful:
		f.NotHelpful++
	case bot.FeedbackHuman:
		f.Human++
	default:
		return bot.Errorf(bot.EINVALID, "unknown feedback %q", kind)
	}
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return b.Put([]byte(article), data)
}

// Feedback returns the counted outcomes of every article that was offered.
func (t *tx) Feedback() (map[string]bot.ArticleFeedback, error) {
	out := map[string]bot.ArticleFeedback{}
	err := t.bucket(bucketFeedback).ForEach(func(k, v []byte) error {
		var f bot.ArticleFeedback
		if err := decode(v, &f, "feedback of "+string(k)); err != nil {
			return err
		}
		out[string(k)] = f
		return nil
	})
	return out, err
}
