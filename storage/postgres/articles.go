package postgres

// The knowledge base: the newest version of each article in articles, every version in
// article_versions, each the same JSON the bbolt file keeps (storedArticle); feedback counts; what
// kb.dir imported.

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

// storedArticle is one version of an article as stored (as in package storage).
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

func decodeArticle(data, id string) (bot.KBArticle, error) {
	var rec storedArticle
	if err := json.Unmarshal([]byte(data), &rec); err != nil {
		return bot.KBArticle{}, fmt.Errorf("decode article %s: %w", id, err)
	}
	return rec.kb(), nil
}

func (t *tx) KBArticle(id string) (bot.KBArticle, error) {
	var data string
	found, err := t.scanOne("SELECT data FROM articles WHERE id = $1", []any{id}, &data)
	if err != nil {
		return bot.KBArticle{}, fmt.Errorf("read article %s: %w", id, err)
	}
	if !found {
		return bot.KBArticle{}, bot.Errorf(bot.ENOTFOUND, "no article %q", id)
	}
	return decodeArticle(data, id)
}

func (t *tx) KBVersions(id string) ([]bot.KBArticle, error) {
	var out []bot.KBArticle
	err := t.each("SELECT data FROM article_versions WHERE id = $1 ORDER BY version", []any{id}, func(r pgx.Rows) error {
		var data string
		if err := r.Scan(&data); err != nil {
			return err
		}
		a, err := decodeArticle(data, id)
		out = append(out, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the versions of article %s: %w", id, err)
	}
	return out, nil
}

func (t *tx) KBArticles() ([]bot.KBArticle, error) {
	var out []bot.KBArticle
	// By id as bytes, as the bbolt file sorts them, whatever the database's collation.
	err := t.each(`SELECT id, data FROM articles ORDER BY id COLLATE "C"`, nil, func(r pgx.Rows) error {
		var id, data string
		if err := r.Scan(&id, &data); err != nil {
			return err
		}
		a, err := decodeArticle(data, id)
		out = append(out, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read articles: %w", err)
	}
	return out, nil
}

func (t *tx) PutKBArticle(a kb.Article, deleted bool, author string, at time.Time, base int) (int, error) {
	if err := a.Validate(); err != nil {
		return 0, bot.WrapError(err, bot.EINVALID, "article %q: %v", a.ID, err)
	}
	current := 0
	// Locked: a concurrent edit of the same article waits, then finds the version this one wrote.
	q := "SELECT version FROM articles WHERE id = $1"
	if t.write {
		q += " FOR UPDATE"
	}
	if _, err := t.scanOne(q, []any{a.ID}, &current); err != nil {
		return 0, fmt.Errorf("read article %s: %w", a.ID, err)
	}
	if current != base {
		return 0, bot.Errorf(bot.ECONFLICT, "article %s is at version %d, not %d", a.ID, current, base)
	}
	rec := storedArticle{Version: current + 1, Author: author, At: at.UTC(), Article: a, Deleted: deleted}
	data, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("encode article %s: %w", a.ID, err)
	}
	if _, err := t.exec(`INSERT INTO articles (id, version, data) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, data = EXCLUDED.data`, a.ID, rec.Version, string(data)); err != nil {
		return 0, fmt.Errorf("store article %s: %w", a.ID, err)
	}
	if _, err := t.exec("INSERT INTO article_versions (id, version, data) VALUES ($1, $2, $3)", a.ID, rec.Version, string(data)); err != nil {
		return 0, fmt.Errorf("store article %s version %d: %w", a.ID, rec.Version, err)
	}
	return rec.Version, nil
}

func (t *tx) PurgeKBArticle(id string) (int, error) {
	var data string
	found, err := t.scanOne("SELECT data FROM articles WHERE id = $1", []any{id}, &data)
	if err != nil {
		return 0, fmt.Errorf("read article %s: %w", id, err)
	}
	if !found {
		return 0, bot.Errorf(bot.ENOTFOUND, "no article %q", id)
	}
	cur, err := decodeArticle(data, id)
	if err != nil {
		return 0, err
	}
	keep := cur.Version
	if cur.Deleted {
		keep = -1
	}
	tag, err := t.exec("DELETE FROM article_versions WHERE id = $1 AND version <> $2", id, keep)
	if err != nil {
		return 0, fmt.Errorf("purge article %s: %w", id, err)
	}
	if cur.Deleted {
		if _, err := t.exec("DELETE FROM articles WHERE id = $1", id); err != nil {
			return 0, fmt.Errorf("purge article %s: %w", id, err)
		}
		if _, err := t.exec("DELETE FROM article_feedback WHERE id = $1", id); err != nil {
			return 0, fmt.Errorf("purge the feedback of article %s: %w", id, err)
		}
	}
	return int(tag.RowsAffected()), nil
}

func (t *tx) CountFeedback(article, kind string) error {
	column := ""
	switch kind {
	case "":
		column = "offered"
	case bot.FeedbackSolved:
		column = "solved"
	case bot.FeedbackNotHelpful:
		column = "not_helpful"
	case bot.FeedbackHuman:
		column = "human"
	default:
		return bot.Errorf(bot.EINVALID, "unknown feedback %q", kind)
	}
	if _, err := t.exec("INSERT INTO article_feedback (id, "+column+") VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET "+
		column+" = article_feedback."+column+" + 1", article); err != nil {
		return fmt.Errorf("count the feedback of %s: %w", article, err)
	}
	return nil
}

func (t *tx) Feedback() (map[string]bot.ArticleFeedback, error) {
	out := map[string]bot.ArticleFeedback{}
	err := t.each("SELECT id, offered, solved, not_helpful, human FROM article_feedback", nil, func(r pgx.Rows) error {
		var id string
		var f bot.ArticleFeedback
		if err := r.Scan(&id, &f.Offered, &f.Solved, &f.NotHelpful, &f.Human); err != nil {
			return err
		}
		out[id] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read feedback: %w", err)
	}
	return out, nil
}

func (t *tx) KBFiles() (map[string]bot.KBFile, error) {
	out := map[string]bot.KBFile{}
	err := t.each("SELECT id, data FROM kb_files", nil, func(r pgx.Rows) error {
		var id, data string
		if err := r.Scan(&id, &data); err != nil {
			return err
		}
		var f bot.KBFile
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			return fmt.Errorf("decode kb file of %s: %w", id, err)
		}
		out[id] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read kb files: %w", err)
	}
	return out, nil
}

func (t *tx) PutKBFile(f bot.KBFile) error {
	if f.ID == "" {
		return bot.Errorf(bot.EINVALID, "a kb file record needs an article id")
	}
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode kb file of %s: %w", f.ID, err)
	}
	if _, err := t.exec("INSERT INTO kb_files (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data", f.ID, string(data)); err != nil {
		return fmt.Errorf("store kb file of %s: %w", f.ID, err)
	}
	return nil
}

func (t *tx) DeleteKBFile(id string) error {
	if _, err := t.exec("DELETE FROM kb_files WHERE id = $1", id); err != nil {
		return fmt.Errorf("forget kb file of %s: %w", id, err)
	}
	return nil
}
