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

// scorer holds what one search needs to score terms: the collection
// statistics at the time of the search, folded into BM25F's length
// normalization 1 - b + b*length/avgLength = base + slope*length.
type scorer struct {
	ix     *Index
	n      float64
	k1     float64
	weight [numFields]float64
	base   [numFields]float64
	slope  [numFields]float64
}

func (ix *Index) newScorer() *scorer {
	p := &ix.params
	s := &scorer{ix: ix, n: float64(len(ix.byID)), k1: p.k1, weight: p.weight}
	for f := range numFields {
		s.base[f], s.slope[f] = 1, 0
		if avg := float64(ix.totalLen[f]) / s.n; avg > 0 {
			s.base[f], s.slope[f] = 1-p.b[f], p.b[f]/avg
		}
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
	if p := s.ix.postings(term); p != nil {
		return int(p.df)
	}
	return 0
}

// contribution is BM25F's score for one term in one article: field
// frequencies are weighted and length-normalized per field, summed, then
// saturated once. It lies in (0, idf) for a term the article contains.
// Most postings are in the body only (other false); they take a short way,
// x/(k1+x) folded into one division, which is most of the time a search
// takes.
func (s *scorer) contribution(idf float64, num uint32, tf *termFreqs, other bool) float64 {
	if !other {
		wtf := s.weight[fieldBody] * float64(tf[fieldBody])
		return idf * wtf / (wtf + s.k1*(s.base[fieldBody]+s.slope[fieldBody]*float64(s.ix.bodyLens[num])))
	}
	length := &s.ix.lengths[num]
	var x float64
	for f := range numFields {
		if tf[f] > 0 {
			x += s.weight[f] * float64(tf[f]) / (s.base[f] + s.slope[f]*float64(length[f]))
		}
	}
	return idf * x / (s.k1 + x)
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

// scoreTerm adds a group of one term to the articles' scores.
func (s *scorer) scoreTerm(t string, sc *scratch, bit uint64) {
	p := s.ix.postings(t)
	if p == nil {
		return
	}
	idf := s.idf(int(p.df))
	var tf termFreqs
	for it := p.iter(); ; {
		num, other, ok := it.next(&tf)
		if !ok {
			return
		}
		if sc.score[num] == 0 {
			sc.touched = append(sc.touched, num)
		}
		sc.score[num] += s.contribution(idf, num, &tf, other)
		sc.matched[num] |= bit
		if other && inTitleTF(&tf) {
			sc.inTitle[num] |= bit
		}
	}
}

func inTitleTF(tf *termFreqs) bool { return tf[fieldTitle] > 0 || tf[fieldAliases] > 0 }

// scoreAlternative raises sc.best to the alternative's score in each article
// it matches, listing newly matched articles in sc.inGroup and marking bit in
// sc.inTitle where the match is in the title or aliases. An alternative of
// several clauses matches only articles containing all of them ("network"
// alone is not "virtual private network") and scores their mean, so a
// three-word synonym weighs like one word.
func (s *scorer) scoreAlternative(alt alternative, sc *scratch, bit uint64) {
	raise := func(num uint32, v float64, title bool) {
		if sc.best[num] == 0 {
			sc.inGroup = append(sc.inGroup, num)
		}
		if v > sc.best[num] {
			sc.best[num] = v
		}
		if title {
			sc.inTitle[num] |= bit
		}
	}
	var tf termFreqs
	if len(alt) == 1 {
		for _, t := range alt[0] {
			p := s.ix.postings(t)
			if p == nil {
				continue
			}
			idf := s.idf(int(p.df))
			for it := p.iter(); ; {
				num, other, ok := it.next(&tf)
				if !ok {
					break
				}
				v := s.contribution(idf, num, &tf, other)
				if sc.best[num] == 0 {
					sc.inGroup = append(sc.inGroup, num)
				}
				if v > sc.best[num] {
					sc.best[num] = v
				}
				if other && inTitleTF(&tf) {
					sc.inTitle[num] |= bit
				}
			}
		}
		return
	}
	// Synonyms of several words are rare: maps are fine here.
	type acc struct {
		sum     float64
		clauses int
		titles  int
	}
	accs := make(map[uint32]*acc)
	type best struct {
		v     float64
		title bool
	}
	clauseBest := make(map[uint32]best)
	for _, c := range alt {
		clear(clauseBest)
		for _, t := range c {
			p := s.ix.postings(t)
			if p == nil {
				continue
			}
			idf := s.idf(int(p.df))
			for it := p.iter(); ; {
				num, other, ok := it.next(&tf)
				if !ok {
					break
				}
				b := clauseBest[num]
				b.v = max(b.v, s.contribution(idf, num, &tf, other))
				b.title = b.title || inTitleTF(&tf)
				clauseBest[num] = b
			}
		}
		for num, b := range clauseBest {
			a := accs[num]
			if a == nil {
				a = new(acc)
				accs[num] = a
			}
			a.sum += b.v
			a.clauses++
			if b.title {
				a.titles++
			}
		}
	}
	for num, a := range accs {
		if a.clauses == len(alt) {
			raise(num, a.sum/float64(len(alt)), a.titles == len(alt))
		}
	}
}

// titleUsed is the share of an article's title, weighted by idf, that the
// query's words account for. An article whose title is mostly about other
// things ("What happens to your account when you die?" for "delete my
// account") is less likely the answer than one whose title is the question.
func (s *scorer) titleUsed(groups []group, title string) float64 {
	var total, used float64
	scanCompounds(title, func(forms []string) {
		w := s.idf(s.df(forms[0]))
		total += w
		for _, g := range groups {
			for _, alt := range g {
				for _, c := range alt {
					for _, t := range c {
						for _, f := range forms {
							if t == f {
								used += w
								return
							}
						}
					}
				}
			}
		}
	})
	if total == 0 {
		return 0
	}
	return used / total
}
