package kb

import (
	"math"
	"slices"
	"strings"
)

// Hit is one ranked search result.
type Hit struct {
	// ID is the article's id, for Index.Article and feedback.
	ID string
	// Title is the article's title, so a list of hits can be shown without
	// fetching each article.
	Title string
	// Score is the raw BM25F ranking score, only comparable within one query.
	Score float64
	// Confidence is in 0..1 and comparable across queries: how sure the
	// engine is that this article answers the query. The engine compares it
	// with a threshold such as DefaultMinConfidence to answer or escalate.
	Confidence float64
}

// DefaultMinConfidence is the Confidence at which the engine answers with the
// top article instead of offering choices or escalating. It was measured on
// the StackFAQ dev questions (625 paraphrased questions against 100 articles,
// 125 of them about threads left out of the knowledge base): at 0.65 the
// engine answers 57% of the questions it could answer, 93% of those with the
// right article, and wrongly answers 18% of those it could not. Between 0.6
// and 0.75 the trade-off is flat (right answers minus wrong answers to
// unanswerable questions); 0.65 is its middle, while still answering most
// answerable questions.
const DefaultMinConfidence = 0.65

// A query is a list of groups, one per word (or compound) of the query. A
// group is satisfied by any of its alternatives: the word itself and its
// synonyms. An alternative is a list of clauses that must all match (a
// synonym of several words); a clause matches any of its terms (the forms of
// one compound: "wi-fi", "wifi", "wi", "fi").
type (
	clause      []string
	alternative []clause
	group       []alternative
)

func analyzeAlternative(text string) alternative {
	var alt alternative
	scanCompounds(text, func(forms []string) { alt = append(alt, clause(slices.Clone(forms))) })
	return alt
}

// maxQueryGroups bounds the words of a query that are searched. Chat
// questions are short; someone pasting a whole log into the chat should not
// make every search walk most of the index.
const maxQueryGroups = 64

func (ix *Index) parseQuery(query string) []group {
	var (
		groups []group
		seen   = make(map[string]bool)
	)
	scanCompounds(query, func(forms []string) {
		// "printer printer" asks for the printer once.
		if seen[forms[0]] || len(groups) == maxQueryGroups {
			return
		}
		seen[forms[0]] = true
		g := group{alternative{clause(slices.Clone(forms))}}
		for _, f := range forms {
			g = append(g, ix.synonyms[f]...)
		}
		groups = append(groups, g)
	})
	return groups
}

// scratch holds one search's per-article accumulators, indexed by article
// number. Searches borrow one from a pool instead of allocating three arrays
// of the index's size each time; every entry they touch is zeroed again
// before the scratch goes back.
type scratch struct {
	score   []float64 // summed over the query's groups
	covered []float64 // weight of the groups matched
	best    []float64 // the current group's score
	touched []uint32  // articles with score > 0
	inGroup []uint32  // articles with best > 0
}

func (ix *Index) getScratch(n int) *scratch {
	sc, _ := ix.scratch.Get().(*scratch)
	if sc == nil || len(sc.score) < n {
		size := max(n, 64) * 5 / 4 // room for a few more articles
		sc = &scratch{score: make([]float64, size), covered: make([]float64, size), best: make([]float64, size)}
	}
	return sc
}

func (ix *Index) putScratch(sc *scratch) {
	for _, num := range sc.touched {
		sc.score[num], sc.covered[num] = 0, 0
	}
	for _, num := range sc.inGroup {
		sc.best[num] = 0
	}
	sc.touched, sc.inGroup = sc.touched[:0], sc.inGroup[:0]
	ix.scratch.Put(sc)
}

// Search returns up to limit articles for query, best first; limit <= 0
// returns every match. A query with nothing to search for (empty, or only
// stop words) returns nil, as does a query that matches no article.
//
// Articles named in exclude are left out as if the index did not hold them
// for ranking, so confidences (margins especially) are among the rest: that
// is how the next best article after an unhelpful one can still be a
// confident answer.
func (ix *Index) Search(query string, limit int, exclude ...string) []Hit {
	hits, features := ix.rank(query, limit, exclude)
	for i := range hits {
		hits[i].Confidence = confidence(features[i])
	}
	return hits
}

// candidate is an article that matched, before it becomes a Hit.
type candidate struct {
	num   uint32
	score float64
}

// rank returns the hits of Search without confidences, and the features
// their confidences are computed from.
func (ix *Index) rank(query string, limit int, exclude []string) ([]Hit, []confidenceFeatures) {
	groups := ix.parseQuery(query)
	if len(groups) == 0 {
		return nil, nil
	}

	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if len(ix.byID) == 0 {
		return nil, nil
	}
	s := ix.newScorer()
	sc := ix.getScratch(len(ix.docs))
	defer ix.putScratch(sc)

	var totalWeight float64
	for _, g := range groups {
		w := s.groupWeight(g)
		totalWeight += w
		for _, alt := range g {
			s.scoreAlternative(alt, sc)
		}
		for _, num := range sc.inGroup {
			if sc.score[num] == 0 {
				sc.touched = append(sc.touched, num)
			}
			sc.score[num] += sc.best[num]
			sc.covered[num] += w
			sc.best[num] = 0
		}
		sc.inGroup = sc.inGroup[:0]
	}
	matched := sc.touched
	if len(exclude) > 0 {
		// A copy: sc.touched is also the list of scores to reset afterwards.
		skip := make(map[uint32]bool, len(exclude))
		for _, id := range exclude {
			if num, ok := ix.byID[id]; ok {
				skip[num] = true
			}
		}
		matched = make([]uint32, 0, len(sc.touched))
		for _, num := range sc.touched {
			if !skip[num] {
				matched = append(matched, num)
			}
		}
	}
	if len(matched) == 0 {
		return nil, nil
	}

	// The top hit's margin is over the runner-up even when limit is 1.
	var first, second float64
	for _, num := range matched {
		switch v := sc.score[num]; {
		case v > first:
			first, second = v, first
		case v > second:
			second = v
		}
	}

	top := ix.topCandidates(sc, matched, limit)
	hits := make([]Hit, len(top))
	features := make([]confidenceFeatures, len(top))
	for i, c := range top {
		art := &ix.docs[c.num].article
		hits[i] = Hit{ID: art.ID, Title: art.Title, Score: c.score}
		// The margin of a hit is over the best other article: positive
		// only for the top one, which is what makes it an answer rather
		// than one of several candidates.
		other := second
		if i > 0 {
			other = first
		}
		features[i] = confidenceFeatures{
			coverage: sc.covered[c.num] / totalWeight,
			norm:     min(c.score/totalWeight, 1),
			margin:   max((c.score-other)/c.score, 0),
		}
	}
	return hits, features
}

// topCandidates returns the limit best matches, best first, ties broken by
// id so results are stable. For the usual small limit it keeps a short
// sorted list instead of sorting every match.
func (ix *Index) topCandidates(sc *scratch, matched []uint32, limit int) []candidate {
	better := func(a, b candidate) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return strings.Compare(ix.docs[a.num].article.ID, ix.docs[b.num].article.ID)
	}
	n := len(matched)
	if limit <= 0 || limit > n {
		limit = n
	}
	if limit > 64 {
		all := make([]candidate, n)
		for i, num := range matched {
			all[i] = candidate{num, sc.score[num]}
		}
		slices.SortFunc(all, better)
		return all[:limit]
	}
	top := make([]candidate, 0, limit+1)
	for _, num := range matched {
		c := candidate{num, sc.score[num]}
		if len(top) == limit && better(c, top[limit-1]) >= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, c, better)
		top = slices.Insert(top, i, c)
		if len(top) > limit {
			top = top[:limit]
		}
	}
	return top
}

// scorer holds what one search needs to score terms: the collection
// statistics at the time of the search.
type scorer struct {
	ix     *Index
	n      float64
	avgLen [numFields]float64
}

func (ix *Index) newScorer() *scorer {
	s := &scorer{ix: ix, n: float64(len(ix.byID))}
	for f := range numFields {
		s.avgLen[f] = float64(ix.totalLen[f]) / s.n
	}
	return s
}

// idf is BM25's inverse document frequency, always positive. A term no
// article contains (df 0) gets the highest value: a query word the
// knowledge base has never seen is strong evidence that it cannot answer.
func (s *scorer) idf(df int) float64 {
	return math.Log(1 + (s.n-float64(df)+0.5)/(float64(df)+0.5))
}

func (s *scorer) df(term string) int {
	if p := s.ix.postings[term]; p != nil {
		return len(p.docs)
	}
	return 0
}

// contribution is BM25F's score for one term in one article: field
// frequencies are weighted and length-normalized per field, summed, then
// saturated once. It lies in (0, idf) for a term the article contains.
func (s *scorer) contribution(idf float64, num uint32, tf *termFreqs) float64 {
	p := &s.ix.params
	length := &s.ix.docs[num].length
	var x float64
	for f := range numFields {
		if tf[f] == 0 {
			continue
		}
		norm := 1.0
		if s.avgLen[f] > 0 {
			norm = 1 - p.b[f] + p.b[f]*float64(length[f])/s.avgLen[f]
		}
		x += p.weight[f] * float64(tf[f]) / norm
	}
	return idf * x / (p.k1 + x)
}

// clauseWeight is the most a clause can contribute: the idf of its rarest
// known form, or the unknown-term idf when the index knows none of them.
func (s *scorer) clauseWeight(c clause) (float64, bool) {
	w, known := 0.0, false
	for _, t := range c {
		if df := s.df(t); df > 0 {
			w = max(w, s.idf(df))
			known = true
		}
	}
	if !known {
		return s.idf(0), false
	}
	return w, true
}

// groupWeight is the weight of a query group in coverage and in the
// normalized score: that of its best alternative the index knows, so a
// synonym the knowledge base uses can stand in for a word it does not.
func (s *scorer) groupWeight(g group) float64 {
	best, known := 0.0, false
	for _, alt := range g {
		var sum float64
		altKnown := true
		for _, c := range alt {
			w, ok := s.clauseWeight(c)
			sum += w
			altKnown = altKnown && ok
		}
		if altKnown {
			best = max(best, sum/float64(len(alt)))
			known = true
		}
	}
	if !known {
		return s.idf(0)
	}
	return best
}

// scoreAlternative raises sc.best to the alternative's score in each article
// it matches, listing newly matched articles in sc.inGroup. An alternative of
// several clauses matches only articles containing all of them ("network"
// alone is not "virtual private network") and scores their mean, so a
// three-word synonym weighs like one word.
func (s *scorer) scoreAlternative(alt alternative, sc *scratch) {
	raise := func(num uint32, v float64) {
		if sc.best[num] == 0 {
			sc.inGroup = append(sc.inGroup, num)
		}
		if v > sc.best[num] {
			sc.best[num] = v
		}
	}
	if len(alt) == 1 {
		for _, t := range alt[0] {
			p := s.ix.postings[t]
			if p == nil {
				continue
			}
			idf := s.idf(len(p.docs))
			for i, num := range p.docs {
				raise(num, s.contribution(idf, num, &p.tfs[i]))
			}
		}
		return
	}
	// Synonyms of several words are rare: maps are fine here.
	sum := make(map[uint32]float64)
	matched := make(map[uint32]int)
	clauseBest := make(map[uint32]float64)
	for _, c := range alt {
		clear(clauseBest)
		for _, t := range c {
			p := s.ix.postings[t]
			if p == nil {
				continue
			}
			idf := s.idf(len(p.docs))
			for i, num := range p.docs {
				if v := s.contribution(idf, num, &p.tfs[i]); v > clauseBest[num] {
					clauseBest[num] = v
				}
			}
		}
		for num, v := range clauseBest {
			sum[num] += v
			matched[num]++
		}
	}
	for num, v := range sum {
		if matched[num] == len(alt) {
			raise(num, v/float64(len(alt)))
		}
	}
}
