package bottest

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/firstline-desk/firstline/kb"
)

// Library is a fake knowledge base (a bot.Library) with scripted search results, so engine tests do not
// depend on ranking.
type Library struct {
	// Articles are the articles; Put and Delete change them. Rules are not changed by them.
	Articles []kb.Article
	// Rules are tried in order: the first whose Contains appears in the lower-cased query gives the hits.
	Rules []Rule

	mu sync.Mutex
}

// Rule scripts the hits for queries containing a word.
type Rule struct {
	Contains string
	Hits     []kb.Hit
}

// Search returns the hits of the first matching rule, without the excluded articles.
func (s *Library) Search(_ context.Context, query string, limit int, exclude ...string) []kb.Hit {
	q := strings.ToLower(query)
	for _, r := range s.Rules {
		if !strings.Contains(q, r.Contains) {
			continue
		}
		var hits []kb.Hit
		for _, h := range r.Hits {
			if !slices.Contains(exclude, h.ID) && len(hits) < limit {
				hits = append(hits, h)
			}
		}
		return hits
	}
	return nil
}

// Article returns the article with id.
func (s *Library) Article(id string) (kb.Article, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.Articles {
		if a.ID == id {
			return a, true
		}
	}
	return kb.Article{}, false
}

// Put adds the article, or replaces the one with its id.
func (s *Library) Put(a kb.Article) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.Articles {
		if s.Articles[i].ID == a.ID {
			s.Articles[i] = a
			return
		}
	}
	s.Articles = append(s.Articles, a)
}

// Delete removes the article with id.
func (s *Library) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Articles = slices.DeleteFunc(s.Articles, func(a kb.Article) bool { return a.ID == id })
}
