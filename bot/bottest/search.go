package bottest

import (
	"slices"
	"strings"

	"github.com/firstline-desk/firstline/kb"
)

// Search is a fake knowledge base with scripted results, so engine tests do not depend on ranking.
type Search struct {
	Articles []kb.Article
	// Rules are tried in order: the first whose Contains appears in the lower-cased query gives the hits.
	Rules []Rule
}

// Rule scripts the hits for queries containing a word.
type Rule struct {
	Contains string
	Hits     []kb.Hit
}

// Search returns the hits of the first matching rule, without the excluded articles.
func (s *Search) Search(query string, limit int, exclude ...string) []kb.Hit {
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
func (s *Search) Article(id string) (kb.Article, bool) {
	for _, a := range s.Articles {
		if a.ID == id {
			return a, true
		}
	}
	return kb.Article{}, false
}
