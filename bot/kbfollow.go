package bot

// Following the knowledge base across replicas: an article written through any replica reaches every
// replica's library (its search index), told by the store (Watcher, TopicKB), and a replica that may
// have missed a notification (it was not listening, or its connection dropped) reloads every article.

import (
	"context"
	"reflect"
)

// followKB keeps the library in step with the store's articles until ctx is done; Run starts it when
// the store is shared (Leaser and Watcher).
func (e *Engine) followKB(ctx context.Context, w Watcher) {
	w.Watch(ctx, TopicKB, func(n Notification) {
		var err error
		if n.Missed {
			err = e.reloadKB(ctx)
		} else {
			err = e.reloadArticle(ctx, n.Payload)
		}
		if err != nil && ctx.Err() == nil {
			e.log.Warn("follow the knowledge base", "article", n.Payload, "reload_all", n.Missed, "err", err)
		}
	})
}

// reloadArticle reads one article from the store into the library.
func (e *Engine) reloadArticle(ctx context.Context, id string) error {
	var a KBArticle
	err := e.store.View(ctx, func(tx Tx) error {
		var err error
		a, err = tx.KBArticle(id)
		return err
	})
	switch {
	case IsNotFound(err):
		e.library.Delete(id)
		return nil
	case err != nil:
		return err
	}
	e.toLibrary(a)
	return nil
}

// reloadKB reads every article from the store into the library.
func (e *Engine) reloadKB(ctx context.Context) error {
	var all []KBArticle
	if err := e.store.View(ctx, func(tx Tx) error {
		var err error
		all, err = tx.KBArticles()
		return err
	}); err != nil {
		return err
	}
	for _, a := range all {
		e.toLibrary(a)
	}
	return nil
}

// toLibrary puts an article as stored in the library, or takes it out when it was deleted. One the
// library has already, as it is, is left alone: putting it again may embed it again.
func (e *Engine) toLibrary(a KBArticle) {
	if a.Deleted {
		if _, ok := e.library.Article(a.Article.ID); ok {
			e.library.Delete(a.Article.ID)
		}
		return
	}
	if have, ok := e.library.Article(a.Article.ID); ok && reflect.DeepEqual(have, a.Article) {
		return
	}
	e.library.Put(a.Article)
}
