package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

// loadKB brings the data file's articles up to date (the configured folder, or the demo KB when the file
// has none and no config is given) and indexes them.
func (m *Main) loadKB(ctx context.Context, cfg Config, db *store, logger *slog.Logger) (*kb.Library, error) {
	switch {
	case cfg.KB.Dir != "":
		files, err := kb.ReadFolder(ctx, cfg.KB.Dir)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("read knowledge base %s: %w", cfg.KB.Dir, err)
		}
		if err := m.syncKBDir(ctx, cfg.KB.Dir, files, db, logger); err != nil {
			return nil, err
		}
	case m.configFile == "":
		have, err := bot.LiveKBArticles(ctx, db)
		if err != nil {
			return nil, err
		}
		if len(have) == 0 {
			sub, err := fs.Sub(demoFS, "demo/kb")
			if err != nil {
				return nil, err
			}
			articles, err := kb.ReadDir(sub, ".")
			if err != nil {
				return nil, fmt.Errorf("read the demo knowledge base: %w", err)
			}
			if err := putArticles(ctx, db, articles, "demo"); err != nil {
				return nil, err
			}
			logger.Info("imported the demo knowledge base", "articles", len(articles))
		}
	}
	articles, err := bot.LiveKBArticles(ctx, db)
	if err != nil {
		return nil, err
	}
	index := kb.NewLibrary(articles, kb.Options{Synonyms: cfg.KB.Synonyms})
	logger.Info("knowledge base indexed", "articles", index.Len())
	if index.Len() == 0 {
		logger.Warn(emptyKBNotice)
	}
	return index, nil
}

// emptyKBNotice is what the desk says at start when it has no article: a desk that escalates every
// question is working as configured, but hardly as meant.
const emptyKBNotice = "The knowledge base is empty, so every question goes to a technician: add articles with `firstline kb import DIR` (desk stopped), or set kb.dir in the config."

// syncKBDir brings kb.dir's files into the data file without undoing chat's edits (bot.SyncKBFolder says
// which source wins), and logs what it did and every conflict.
func (m *Main) syncKBDir(ctx context.Context, dir string, files []kb.File, db *store, logger *slog.Logger) error {
	res, err := bot.SyncKBFolder(ctx, db, files, kbDirAuthor, time.Now())
	if err != nil {
		return err
	}
	if len(res.Added)+len(res.Changed)+len(res.Deleted) > 0 {
		logger.Info("imported the knowledge base folder", "dir", dir, "added", len(res.Added), "changed", len(res.Changed), "deleted", len(res.Deleted))
	}
	if res.KeptEmpty {
		logger.Warn("the knowledge base folder has no articles: the articles imported from it earlier are kept", "dir", dir)
	}
	for _, c := range res.Conflicts {
		what := "changed"
		if c.Conflict.Removed {
			what = "removed"
		}
		logger.Warn("knowledge base conflict: the file "+what+" while the article was changed in Firstline; the article's version is kept (see !kb, or run kb export or kb import)",
			"article_id", c.ID, "file", c.File, "version", c.Conflict.Version)
	}
	return nil
}

// kbDirAuthor is the author of the versions kb.dir writes; SyncKBFolder also reads it back to tell the
// folder's versions from chat's in a data file from before it kept records.
const kbDirAuthor = "config:kb.dir"

func putArticles(ctx context.Context, db *store, articles []kb.Article, author string) error {
	_, err := bot.ImportKBArticles(ctx, db, articles, author, time.Now())
	return err
}
