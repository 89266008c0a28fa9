package kb

import (
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
// top article instead of offering choices or escalating. Confidence estimates
// the chance that the top article is right, so the threshold reads as "answer
// when about six in ten such answers are right"; below it the bot offers a
// short list (see the desk's suggest_confidence) rather than an answer. It was
// measured on the StackFAQ dev questions against a knowledge base missing a
// fifth of their threads (500 answerable questions, 125 not): at 0.60 the
// engine answers 71% of the answerable ones, 92% of those with the right
// article, and wrongly answers 17% of the unanswerable ones; at 0.65 it is
// 68%, 94% and 15%. 0.60 keeps most answerable questions answered, where a
// desk saves the most work.
const DefaultMinConfidence = 0.60

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
// number. Searches borrow one from a pool instead of allocating arrays of
// the index's size each time; every entry they touch is zeroed again before
// the scratch goes back.
type scratch struct {
	score   []float64 // summed over the query's groups
	best    []float64 // the current group's score
	matched []uint64  // bit g set: the article matches group g
	inTitle []uint64  // bit g set: it matches group g in its title or aliases
	touched []uint32  // articles with score > 0
	inGroup []uint32  // articles with best > 0
}

func (ix *Index) getScratch(n int) *scratch {
	sc, _ := ix.scratch.Get().(*scratch)
	if sc == nil || len(sc.score) < n {
		size := max(n, 64) * 5 / 4 // room for a few more articles
		sc = &scratch{
			score: make([]float64, size), best: make([]float64, size),
			matched: make([]uint64, size), inTitle: make([]uint64, size),
		}
	}
	return sc
}

func (ix *Index) putScratch(sc *scratch) {
	for _, num := range sc.touched {
		sc.score[num], sc.matched[num], sc.inTitle[num] = 0, 0, 0
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
	shareTies(hits, features)
	return hits
}

// shareTies splits the top hit's confidence among the articles that score
// within a few per cent of it. When articles match alike (two versions of
// one article, a question answered twice), the model's estimate, with the
// margin taken over the best article outside the tie, is the chance that
// one of them is right, and which one is a coin toss. So neither is an
// answer, and each is as likely as its share.
func shareTies(hits []Hit, features []confidenceFeatures) {
	if len(hits) == 0 || features[0].ties == 0 {
		return
	}
	p := hits[0].Confidence
	total := 1 + features[0].ties
	hits[0].Confidence = p / total
	for i := 1; i < len(hits); i++ {
		if share := tieShare(hits[0].Score, hits[i].Score); share > 0 {
			hits[i].Confidence = p * share / total
		}
	}
}

// Two scores within tieLow of each other (relatively) tie fully; the tie
// fades out by tieHigh.
const (
	tieLow  = 0.02
	tieHigh = 0.08
)

// tieShare is how much an article scoring score ties with the top one: 1
// for a dead heat, 0 from tieHigh behind.
func tieShare(top, score float64) float64 {
	if top <= 0 {
		return 0
	}
	return 1 - smoothstep(tieLow, tieHigh, (top-score)/top)
}

// QueryTerms returns the index terms a search for query looks up: its
// words as analyzed, their synonyms, and the corrections of misspelt words,
// so a caller can show why an article matched (see SnippetTerms).
func (ix *Index) QueryTerms(query string) []string {
	groups := ix.parseQuery(query)
	ix.mu.RLock()
	ix.correctLocked(groups)
	ix.mu.RUnlock()
	var (
		out  []string
		seen = map[string]bool{}
	)
	for _, g := range groups {
		for _, alt := range g {
			for _, c := range alt {
				for _, t := range c {
					if !seen[t] {
						seen[t] = true
						out = append(out, t)
					}
				}
			}
		}
	}
	return out
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
	ix.correctLocked(groups)
	s := ix.newScorer()
	sc := ix.getScratch(len(ix.docs))
	defer ix.putScratch(sc)

	weights := make([]float64, len(groups))
	var totalWeight float64
	for gi, g := range groups {
		weights[gi] = s.groupWeight(g)
		totalWeight += weights[gi]
		bit := uint64(1) << gi
		if len(g) == 1 && len(g[0]) == 1 && len(g[0][0]) == 1 {
			// One plain word, the usual case: its score goes straight
			// into the sums, without the pass that picks the best
			// alternative.
			s.scoreTerm(g[0][0][0], sc, bit)
			continue
		}
		for _, alt := range g {
			s.scoreAlternative(alt, sc, bit)
		}
		for _, num := range sc.inGroup {
			if sc.score[num] == 0 {
				sc.touched = append(sc.touched, num)
			}
			sc.score[num] += sc.best[num]
			sc.matched[num] |= bit
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
	// Articles within tieHigh of the top one tie with it (see shareTies):
	// count them, over every match so that a limit of 1 still sees them,
	// and measure the top's margin over the best article outside the tie.
	var ties, outside float64
	if second >= first*(1-tieHigh) {
		skipped := false
		for _, num := range matched {
			v := sc.score[num]
			switch share := tieShare(first, v); {
			case v == first && !skipped:
				skipped = true // the top article itself
			case share > 0:
				ties += share
			default:
				outside = max(outside, v)
			}
		}
		second = outside
	}

	sumBits := func(mask uint64) float64 {
		var w float64
		for gi := range groups {
			if mask&(1<<gi) != 0 {
				w += weights[gi]
			}
		}
		return w / totalWeight
	}
	top := ix.topCandidates(sc, matched, limit)
	hits := make([]Hit, len(top))
	features := make([]confidenceFeatures, len(top))
	for i, c := range top {
		doc := &ix.docs[c.num]
		hits[i] = Hit{ID: doc.id, Title: doc.title, Score: c.score}
		// The margin of a hit is over the best other article: positive
		// only for the top one, which is what makes it an answer rather
		// than one of several candidates.
		other := second
		if i > 0 {
			other = first
		}
		features[i] = confidenceFeatures{
			coverage:  sumBits(sc.matched[c.num]),
			norm:      min(c.score/totalWeight, 1),
			margin:    max((c.score-other)/c.score, 0),
			title:     sumBits(sc.inTitle[c.num]),
			titleUsed: s.titleUsed(groups, doc.title),
			words:     len(groups),
		}
	}
	if len(features) > 0 {
		features[0].ties = ties
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
		return strings.Compare(ix.docs[a.num].id, ix.docs[b.num].id)
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
