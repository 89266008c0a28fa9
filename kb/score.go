package kb

import "math"

// BM25F scoring: what a term, a clause, a group and an alternative of a query add to an article.

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
