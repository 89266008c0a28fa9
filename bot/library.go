package bot

import (
	"context"

	"github.com/firstline-desk/firstline/kb"
)

// Library is the knowledge base as the engine sees it: a search over the articles, the articles
// themselves, and the updates that keep it in step with the articles stored. *kb.Library (lexical) and
// *kb.Hybrid (lexical and embeddings) implement it; cmd/firstline builds it from the stored articles at
// start.
//
// The engine calls it from any goroutine, so implementations must be safe for concurrent use, and never
// inside a storage transaction: a job reads the articles it needs before it takes the writer, Put and
// Delete follow a commit. Search may be slow; Article, Put and Delete should not be.
type Library interface {
	// Search returns up to limit articles for query, best first, with confidences between 0 and 1 that
	// are comparable across queries. Articles in exclude (already offered) are ranked as if absent, so
	// the confidence of the next best is among what is left. It may call out over the network (to
	// embed the query) within ctx, so the engine calls it only from jobs, never inside a storage
	// transaction, and only with redacted text. It never fails: what cannot be searched in time is
	// searched without the slow part, or not found.
	Search(ctx context.Context, query string, limit int, exclude ...string) []kb.Hit
	// Article returns the article with id; ok is false when there is none (a search that raced a
	// Delete may name an article that is gone).
	Article(id string) (a kb.Article, ok bool)
	// Put adds an article, or replaces the one with its id. The engine calls it once a change made from
	// chat has committed, so the next question finds the article as stored.
	Put(a kb.Article)
	// Delete removes the article with id; an unknown id is not an error. Called like Put.
	Delete(id string)
}
