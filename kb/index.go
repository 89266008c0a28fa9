package kb

import (
	"hash/maphash"
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
// per field a weight and a length normalization b.
//
// Both k1 and the title weight are well above the textbook values (k1
// 1.2-2.0, title 2-3), and both were measured: on the StackFAQ dev questions
// (paraphrased questions against articles whose body is several answers),
// MRR goes from 0.796 at k1 2, title 3 to 0.843 at k1 6, title 8, and is
// flat from k1 5 to 8 and title 8 to 12. Field weights multiply term
// frequencies before saturation, so with a small k1 one title match already
// saturates and a title that is the question counts no more than a body that
// mentions its words in passing. Aliases are other titles, so they weigh the
// same; tags, which no evaluation set has, keep their place between title
// and body.
type rankParams struct {
	k1     float64
	weight [numFields]float64
	b      [numFields]float64
}

func defaultRankParams() rankParams {
	return rankParams{
		k1:     6,
		weight: [numFields]float64{fieldTitle: 8, fieldAliases: 8, fieldTags: 3, fieldBody: 1},
		b:      [numFields]float64{fieldTitle: 0.75, fieldAliases: 0.75, fieldTags: 0.75, fieldBody: 0.75},
	}
}

// termFreqs are a term's occurrences in each field of one article.
type termFreqs [numFields]uint16

// Index is an in-memory search index over articles, updated one article at a
// time so an edit does not rebuild it. It is safe for concurrent use:
// searches run in parallel with each other and wait for a Put or Delete.
//
// It keeps what ranking needs and no article text: the text lives in the
// store (and in a Library, for the bot), and keeping a second copy would make
// the index of a large knowledge base several times its size. To take an
// article out of the postings it remembers which posting lists the article
// is in.
type Index struct {
	params   rankParams
	synonyms map[string][]alternative // immutable after NewIndex
	scratch  sync.Pool                // of *scratch, per-search buffers

	mu sync.RWMutex
	// Articles are numbered in the order they were added. A deleted
	// article leaves a hole rather than a reused number, so that new
	// articles always append to the posting lists.
	docs     []docInfo
	lengths  [][numFields]uint32 // field lengths in terms, apart for locality
	bodyLens []uint32            // lengths[num][fieldBody] again, denser for the common case
	byID     map[string]uint32
	shards   [numShards]termShard
	totalLen [numFields]uint64
}

// docInfo is what the index keeps of an article.
type docInfo struct {
	id, title string
	// refs are the posting lists the article is in, as listRef values.
	refs []uint32
}

// The vocabulary is split into shards by a hash of the term so that Build
// can add postings on every core, each shard owned by one goroutine.
const (
	shardBits = 4
	numShards = 1 << shardBits
)

type termShard struct {
	terms map[string]uint32 // term -> index in lists
	lists []postingList
	names []string // lists index -> term, to drop the term when its list empties
	free  []uint32 // indexes of emptied lists, for reuse
}

var shardSeed = maphash.MakeSeed()

func shardOf(term string) int { return int(maphash.String(shardSeed, term) & (numShards - 1)) }

// A listRef names a posting list: its shard in the top bits, its index in
// the shard below.
func listRef(shard int, i uint32) uint32 { return uint32(shard)<<(32-shardBits) | i }

func splitRef(ref uint32) (shard int, i uint32) {
	return int(ref >> (32 - shardBits)), ref & (1<<(32-shardBits) - 1)
}

// NewIndex returns an empty index.
func NewIndex(opts Options) *Index {
	ix := &Index{
		params:   defaultRankParams(),
		synonyms: make(map[string][]alternative),
		byID:     make(map[string]uint32),
	}
	for i := range ix.shards {
		ix.shards[i].terms = make(map[string]uint32)
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

// docTerms is an analyzed article: its distinct terms with their
// frequencies, and the length of each field. They are pooled: analysis is
// most of the work of indexing, and reusing them keeps a bulk load from
// making garbage the size of the index. The map gives each term's place in
// the slices, so counting an occurrence is one map lookup.
type docTerms struct {
	index  map[string]int32
	terms  []string
	tfs    []termFreqs
	length [numFields]uint32
}

var docTermsPool = sync.Pool{New: func() any { return &docTerms{index: make(map[string]int32)} }}

func getDocTerms() *docTerms { return docTermsPool.Get().(*docTerms) }

func putDocTerms(d *docTerms) {
	d.reset()
	docTermsPool.Put(d)
}

func (d *docTerms) reset() {
	if len(d.terms) > 4096 {
		// A huge article should not pin huge buffers.
		*d = docTerms{index: make(map[string]int32)}
		return
	}
	clear(d.index)
	clear(d.terms) // drop the references to the article's text
	d.terms, d.tfs = d.terms[:0], d.tfs[:0]
	d.length = [numFields]uint32{}
}

// analyzeArticle fills d with the terms of each field of a.
func (an *analyzer) analyzeArticle(a *Article, d *docTerms) {
	count := func(field int, text string) {
		an.scan(text, func(forms []string) {
			for _, t := range forms {
				i, ok := d.index[t]
				if !ok {
					i = int32(len(d.terms))
					d.index[t] = i
					d.terms = append(d.terms, t)
					d.tfs = append(d.tfs, termFreqs{})
				}
				if f := &d.tfs[i]; f[field] < math.MaxUint16 {
					f[field]++
				}
				d.length[field]++
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
}

// Put adds the article, or replaces the one with the same id. It does not
// validate: callers validate at the edge (Parse, the store), and an index
// that refused an article would silently lose it from search.
func (ix *Index) Put(a Article) {
	// Analysis happens before taking the lock, so searches are held up only
	// by the postings update.
	an := getAnalyzer()
	d := getDocTerms()
	an.analyzeArticle(&a, d)
	putAnalyzer(an)

	ix.mu.Lock()
	ix.putLocked(a.ID, a.Title, d)
	ix.mu.Unlock()
	putDocTerms(d)
}

// putLocked indexes the article analyzed as d.
func (ix *Index) putLocked(id, title string, d *docTerms) {
	num, exists := ix.byID[id]
	if !exists {
		num = uint32(len(ix.docs))
		ix.docs = append(ix.docs, docInfo{id: id, title: title})
		ix.lengths = append(ix.lengths, [numFields]uint32{})
		ix.bodyLens = append(ix.bodyLens, 0)
		ix.byID[id] = num
	}
	doc := &ix.docs[num]
	doc.title = title

	refs := make([]uint32, 0, len(d.terms))
	for j, t := range d.terms {
		tf := d.tfs[j]
		s := shardOf(t)
		i := ix.shards[s].list(t)
		// set appends when num is the list's newest article, which it
		// always is for a new article.
		ix.shards[s].lists[i].set(num, &tf)
		refs = append(refs, listRef(s, i))
	}
	if exists {
		// Lists the new text no longer has lose the article. set above
		// has already replaced the entries of the terms it kept.
		slices.Sort(refs)
		for _, ref := range doc.refs {
			if _, found := slices.BinarySearch(refs, ref); !found {
				ix.removePosting(ref, num)
			}
		}
		ix.addLengths(ix.lengths[num], -1)
	}
	doc.refs = refs
	ix.lengths[num], ix.bodyLens[num] = d.length, d.length[fieldBody]
	ix.addLengths(d.length, 1)
}

// list returns the index of term's posting list in the shard, creating
// the list.
func (sh *termShard) list(term string) uint32 {
	if i, ok := sh.terms[term]; ok {
		return i
	}
	// The term may be a slice of an article's text or the analyzer's
	// cache; the vocabulary keeps its own copy.
	term = strings.Clone(term)
	var i uint32
	if n := len(sh.free); n > 0 {
		i, sh.free = sh.free[n-1], sh.free[:n-1]
		sh.names[i] = term
	} else {
		i = uint32(len(sh.lists))
		sh.lists = append(sh.lists, postingList{})
		sh.names = append(sh.names, term)
	}
	sh.terms[term] = i
	return i
}

// removePosting takes article num out of the list ref, dropping the term
// when no article has it any more.
func (ix *Index) removePosting(ref uint32, num uint32) {
	s, i := splitRef(ref)
	sh := &ix.shards[s]
	p := &sh.lists[i]
	p.set(num, nil)
	if p.df == 0 {
		*p = postingList{}
		delete(sh.terms, sh.names[i])
		sh.names[i] = ""
		sh.free = append(sh.free, i)
	}
}

func (ix *Index) addLengths(l [numFields]uint32, sign int64) {
	for f := range numFields {
		ix.totalLen[f] = uint64(int64(ix.totalLen[f]) + sign*int64(l[f]))
	}
}

// postings returns the list of term, or nil.
func (ix *Index) postings(term string) *postingList {
	sh := &ix.shards[shardOf(term)]
	if i, ok := sh.terms[term]; ok {
		return &sh.lists[i]
	}
	return nil
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
	for _, ref := range ix.docs[num].refs {
		ix.removePosting(ref, num)
	}
	ix.addLengths(ix.lengths[num], -1)
	delete(ix.byID, id)
	ix.docs[num], ix.lengths[num], ix.bodyLens[num] = docInfo{}, [numFields]uint32{}, 0
}

// Has reports whether an article with id is indexed.
func (ix *Index) Has(id string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	_, ok := ix.byID[id]
	return ok
}

// Len returns the number of indexed articles.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// cloneArticle copies the slices so neither the caller nor the library can
// change the other's article.
func cloneArticle(a Article) Article {
	a.Tags = slices.Clone(a.Tags)
	a.Aliases = slices.Clone(a.Aliases)
	a.Actions = slices.Clone(a.Actions)
	return a
}
