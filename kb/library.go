package kb

import (
	"context"
	"sync"
)

// Library is a knowledge base held in memory: the articles, and an Index to
// search them. The Index keeps no article text (see Index); the Library is
// for callers that also show articles, like the bot, whose knowledge bases
// are hundreds or thousands of articles rather than the hundred thousand an
// index alone is built for.
type Library struct {
	*Index

	mu       sync.RWMutex // orders writers; the Index has its own lock
	articles map[string]Article
}

// NewLibrary returns a library of articles, indexed with Build.
func NewLibrary(articles []Article, opts Options) *Library {
	l := &Library{Index: Build(articles, opts), articles: make(map[string]Article, len(articles))}
	for _, a := range articles {
		l.articles[a.ID] = cloneArticle(a)
	}
	return l
}

// Search returns up to limit articles for query, best first (see Index.Search). The search is in
// memory and makes no call out, so ctx is not used: it is there for the engine, which searches a
// Library and a Hybrid through one interface.
func (l *Library) Search(_ context.Context, query string, limit int, exclude ...string) []Hit {
	return l.Index.Search(query, limit, exclude...)
}

// Put adds the article, or replaces the one with the same id, and indexes it.
func (l *Library) Put(a Article) {
	a = cloneArticle(a)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Index.Put(a)
	l.articles[a.ID] = a
}

// Delete removes the article with id; an unknown id is not an error.
func (l *Library) Delete(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Index.Delete(id)
	delete(l.articles, id)
}

// Article returns the article with id. A search that raced a Delete may name
// an article that is gone: ok is false then.
func (l *Library) Article(id string) (Article, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	a, ok := l.articles[id]
	if !ok {
		return Article{}, false
	}
	return cloneArticle(a), true
}

// Articles returns every article, sorted by id.
func (l *Library) Articles() []Article {
	l.mu.RLock()
	out := make([]Article, 0, len(l.articles))
	for _, a := range l.articles {
		out = append(out, cloneArticle(a))
	}
	l.mu.RUnlock()
	sortByID(out)
	return out
}
