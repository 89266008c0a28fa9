package kb

import (
	"math"
	"slices"
	"strings"
	"sync"
)

// Options tune an Index. The zero value is usable.
type Options struct {
	// Synonyms expand query words: "pw" -> ["password"] makes a query for
	// "pw" also find articles that say "password". Keys and values are
	// analyzed like any text, so "Passwords" and "password" are the same key;
	// a key must be a single word or compound ("wi-fi"), keys of several
	// words are ignored. A value of several words ("virtual private
	// network") counts only where all its words appear. Articles' aliases
	// need no entry here: they are indexed as a field of their own.
	Synonyms map[string][]string
}

// Fields of an article, in the order of rankParams. The title and the
// aliases say what an article is about, tags less precisely, the body least
// (it mentions many things in passing).
const (
	fieldTitle = iota
	fieldAliases
	fieldTags
	fieldBody
	numFields
)

// rankParams are BM25F's parameters: k1 (term frequency saturation), and
// per field a weight and a length normalization b. k1 is at the top of the
// textbook range 1.2-2.0: field weights multiply term frequencies before
// saturation, so with 1.2 a single title match already saturates, and on the
// StackFAQ dev questions 2.0 ranked better (MRR 0.792 against 0.772).
type rankParams struct {
	k1     float64
	weight [numFields]float64
	b      [numFields]float64
}

func defaultRankParams() rankParams {
	return rankParams{
		k1:     2.0,
		weight: [numFields]float64{fieldTitle: 3, fieldAliases: 3, fieldTags: 2, fieldBody: 1},
		b:      [numFields]float64{fieldTitle: 0.75, fieldAliases: 0.75, fieldTags: 0.75, fieldBody: 0.75},
	}
}

// termFreqs are a term's occurrences in each field of one article.
type termFreqs [numFields]uint16

// postingList holds the articles containing one term, sorted by article
// number so Delete finds an entry by binary search. Parallel slices rather
// than a map: a search walks whole lists, and slices walk several times
// faster.
type postingList struct {
	docs []uint32
	tfs  []termFreqs
}

type docEntry struct {
	article Article
	length  [numFields]uint32
	terms   []string // distinct terms, to take the article out of postings
}

// Index is an in-memory search index over articles, updated one article at a
// time so an edit does not rebuild it. It is safe for concurrent use:
// searches run in parallel with each other and wait for a Put or Delete.
type Index struct {
	params   rankParams
	synonyms map[string][]alternative // immutable after NewIndex
	scratch  sync.Pool                // of *scratch, per-search buffers

	mu       sync.RWMutex
	docs     []docEntry
	free     []uint32 // slots of deleted articles, reused by Put
	byID     map[string]uint32
	postings map[string]*postingList
	totalLen [numFields]uint64
}

// NewIndex returns an empty index.
func NewIndex(opts Options) *Index {
	ix := &Index{
		params:   defaultRankParams(),
		synonyms: make(map[string][]alternative),
		byID:     make(map[string]uint32),
		postings: make(map[string]*postingList),
	}
	for key, values := range opts.Synonyms {
		var keyForms [][]string
		scanCompounds(key, func(forms []string) { keyForms = append(keyForms, slices.Clone(forms)) })
		if len(keyForms) != 1 {
			continue
		}
		k := keyForms[0][0]
		for _, v := range values {
			if alt := analyzeAlternative(v); len(alt) > 0 {
				ix.synonyms[k] = append(ix.synonyms[k], alt)
			}
		}
	}
	return ix
}

// Put adds the article, or replaces the one with the same id. It does not
// validate: callers validate at the edge (Parse, the store), and an index
// that refused an article would silently lose it from search.
func (ix *Index) Put(a Article) {
	// Analysis happens before taking the lock, so searches are held up only
	// by the postings update.
	a = cloneArticle(a)
	var (
		tfs    = make(map[string]*termFreqs)
		length [numFields]uint32
	)
	count := func(field int, text string) {
		scanCompounds(text, func(forms []string) {
			for _, t := range forms {
				f := tfs[t]
				if f == nil {
					f = new(termFreqs)
					tfs[strings.Clone(t)] = f
				}
				if f[field] < math.MaxUint16 {
					f[field]++
				}
				length[field]++
			}
		})
	}
	count(fieldTitle, a.Title)
	for _, s := range a.Aliases {
		count(fieldAliases, s)
	}
	for _, s := range a.Tags {
		count(fieldTags, s)
	}
	count(fieldTags, a.Category)
	count(fieldBody, a.Body)

	terms := make([]string, 0, len(tfs))
	for t := range tfs {
		terms = append(terms, t)
	}

	ix.mu.Lock()
	defer ix.mu.Unlock()
	num, exists := ix.byID[a.ID]
	switch {
	case exists:
		// Terms the new version still has are updated in place below;
		// deleting and reinserting them would shift the long posting
		// lists of common words on every edit.
		ix.removeLocked(num, func(t string) bool { return tfs[t] != nil })
	case len(ix.free) > 0:
		num = ix.free[len(ix.free)-1]
		ix.free = ix.free[:len(ix.free)-1]
	default:
		num = uint32(len(ix.docs))
		ix.docs = append(ix.docs, docEntry{})
	}
	ix.docs[num] = docEntry{article: a, length: length, terms: terms}
	ix.byID[a.ID] = num
	for t, f := range tfs {
		p := ix.postings[t]
		if p == nil {
			p = new(postingList)
			ix.postings[t] = p
		}
		// New articles get the highest number, so this is usually an
		// append; a reused slot shifts the tail.
		if n := len(p.docs); n == 0 || p.docs[n-1] < num {
			p.docs = append(p.docs, num)
			p.tfs = append(p.tfs, *f)
			continue
		}
		i, found := slices.BinarySearch(p.docs, num)
		if found {
			p.tfs[i] = *f
			continue
		}
		p.docs = slices.Insert(p.docs, i, num)
		p.tfs = slices.Insert(p.tfs, i, *f)
	}
	for f := range numFields {
		ix.totalLen[f] += uint64(length[f])
	}
}

// Delete removes the article with id; an unknown id is not an error, so a
// delete can be replayed.
func (ix *Index) Delete(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	num, ok := ix.byID[id]
	if !ok {
		return
	}
	ix.removeLocked(num, func(string) bool { return false })
	delete(ix.byID, id)
	ix.docs[num] = docEntry{}
	ix.free = append(ix.free, num)
}

// removeLocked takes article num out of the postings, except for the terms
// keep reports, and out of the field length totals; the caller reuses or
// frees the slot.
func (ix *Index) removeLocked(num uint32, keep func(term string) bool) {
	d := &ix.docs[num]
	for _, t := range d.terms {
		if keep(t) {
			continue
		}
		p := ix.postings[t]
		if p == nil {
			continue
		}
		if i, found := slices.BinarySearch(p.docs, num); found {
			p.docs = slices.Delete(p.docs, i, i+1)
			p.tfs = slices.Delete(p.tfs, i, i+1)
		}
		if len(p.docs) == 0 {
			delete(ix.postings, t)
		}
	}
	for f := range numFields {
		ix.totalLen[f] -= uint64(d.length[f])
	}
}

// Article returns the article with id, if indexed.
func (ix *Index) Article(id string) (Article, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	num, ok := ix.byID[id]
	if !ok {
		return Article{}, false
	}
	return cloneArticle(ix.docs[num].article), true
}

// Articles returns every indexed article, sorted by id.
func (ix *Index) Articles() []Article {
	ix.mu.RLock()
	out := make([]Article, 0, len(ix.byID))
	for _, num := range ix.byID {
		out = append(out, cloneArticle(ix.docs[num].article))
	}
	ix.mu.RUnlock()
	sortByID(out)
	return out
}

// Len returns the number of indexed articles.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// cloneArticle copies the slices so neither the caller nor the index can
// change the other's article after Put or Article.
func cloneArticle(a Article) Article {
	a.Tags = slices.Clone(a.Tags)
	a.Aliases = slices.Clone(a.Aliases)
	return a
}
