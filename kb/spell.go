package kb

// This file corrects typos in query words. People type questions into a chat
// quickly ("downlad", "colaborator", "retreived"), and a misspelt word is
// unknown to the index, so it not only fails to match: as the rarest possible
// word it also drags the confidence down. A word the index does not know is
// replaced by the most common indexed term one edit away (a letter deleted,
// inserted, changed, or two swapped), the usual model of a typo. Candidates
// are generated and looked up in the postings, so this needs no extra index
// and costs a few hundred map lookups per unknown word.

// minCorrectLength is the shortest word that is corrected: short words have
// many neighbours one edit away ("vpn" -> "vpc"), and an unknown short word
// is as likely a name or code as a typo.
const minCorrectLength = 5

// correctLocked adds to each group whose words the index does not know a
// correction one edit away, if one exists. The caller holds ix.mu.
func (ix *Index) correctLocked(groups []group) {
	for gi, g := range groups {
		if len(g) != 1 || len(g[0]) != 1 || len(g[0][0]) != 1 {
			continue // compounds and words with synonyms are left alone
		}
		w := g[0][0][0]
		if ix.postings(w) != nil || len(w) < minCorrectLength || !isPlainWord(w) {
			continue
		}
		if fix := ix.nearestTerm(w); fix != "" {
			groups[gi] = append(g, alternative{clause{fix}})
		}
	}
}

// nearestTerm returns the indexed term one edit from w with the most
// articles, ties broken alphabetically so results are stable.
func (ix *Index) nearestTerm(w string) string {
	var (
		best   string
		bestDF int
		buf    = make([]byte, 0, len(w)+1)
	)
	try := func(c []byte) {
		p := ix.postings(string(c))
		if p == nil {
			return
		}
		if df := int(p.df); df > bestDF || df == bestDF && string(c) < best {
			best, bestDF = string(c), df
		}
	}
	for i := 0; i <= len(w); i++ {
		if i < len(w) {
			buf = append(append(buf[:0], w[:i]...), w[i+1:]...) // deletion
			try(buf)
			if i+1 < len(w) && w[i] != w[i+1] { // transposition
				buf = append(append(append(append(buf[:0], w[:i]...), w[i+1]), w[i]), w[i+2:]...)
				try(buf)
			}
		}
		for c := byte('a'); c <= 'z'; c++ {
			buf = append(append(append(buf[:0], w[:i]...), c), w[i:]...) // insertion
			try(buf)
			if i < len(w) && c != w[i] { // substitution
				buf = append(append(append(buf[:0], w[:i]...), c), w[i+1:]...)
				try(buf)
			}
		}
	}
	return best
}
