package kb_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/kb"
)

const benchArticles = 10_000

// syntheticArticles makes n articles whose words follow a Zipf distribution
// over a 20,000-word vocabulary, like real text: a few words everywhere, most
// words rare. The seed is fixed so runs compare.
func syntheticArticles(n int) []kb.Article {
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.1, 2, 20_000-1)
	word := func() string { return fmt.Sprintf("w%dx", zipf.Uint64()) }
	text := func(words int) string {
		var b strings.Builder
		for i := range words {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(word())
		}
		return b.String()
	}
	out := make([]kb.Article, n)
	for i := range out {
		out[i] = kb.Article{
			ID:      fmt.Sprintf("a%05d", i),
			Title:   text(6),
			Tags:    []string{word(), word()},
			Aliases: []string{text(5), text(5)},
			Body:    text(150 + rng.IntN(300)),
		}
	}
	return out
}

func benchIndex(b *testing.B, articles []kb.Article) *kb.Index {
	b.Helper()
	ix := kb.NewIndex(kb.Options{})
	for _, a := range articles {
		ix.Put(a)
	}
	return ix
}

// BenchmarkSearch measures one query of four words (one common, three of
// middling frequency) against 10k articles.
func BenchmarkSearch(b *testing.B) {
	ix := benchIndex(b, syntheticArticles(benchArticles))
	queries := make([]string, 64)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range queries {
		queries[i] = fmt.Sprintf("how do I w%dx w%dx w%dx w%dx", rng.IntN(10), 10+rng.IntN(200), 10+rng.IntN(2000), 10+rng.IntN(2000))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ix.Search(queries[i%len(queries)], 10)
		i++
	}
}

// BenchmarkPut measures an edit in an index of 10k articles: adding a new
// article, and replacing an existing one with new text.
func BenchmarkPut(b *testing.B) {
	articles := syntheticArticles(2 * benchArticles)
	b.Run("new", func(b *testing.B) {
		ix := benchIndex(b, articles[:benchArticles])
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			a := articles[benchArticles+i%benchArticles]
			a.ID = fmt.Sprintf("new%d", i)
			ix.Put(a)
			i++
		}
	})
	b.Run("replace", func(b *testing.B) {
		ix := benchIndex(b, articles[:benchArticles])
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			a := articles[benchArticles+i%benchArticles]
			a.ID = articles[i%benchArticles].ID
			ix.Put(a)
			i++
		}
	})
}

// BenchmarkBuild measures indexing 10k articles at once, the start-up of a
// desk with a large knowledge base.
func BenchmarkBuild(b *testing.B) {
	articles := syntheticArticles(benchArticles)
	b.ReportAllocs()
	for b.Loop() {
		kb.Build(articles, kb.Options{})
	}
}
