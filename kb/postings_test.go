package kb

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPostingListSet checks the encoded list against a plain map through a
// long random series of appends, inserts, replaces and removes, including
// frequencies past what the short fields hold and gaps of every varint size.
func TestPostingListSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var (
		p     postingList
		model = map[uint32]termFreqs{}
	)
	randomTF := func() termFreqs {
		var tf termFreqs
		tf[fieldBody] = uint16(rng.IntN(300))
		if rng.IntN(3) == 0 {
			tf[fieldTitle] = uint16(rng.IntN(20))
			tf[fieldAliases] = uint16(rng.IntN(3))
			tf[fieldTags] = uint16(rng.IntN(18))
		}
		if tf == (termFreqs{}) {
			tf[fieldBody] = 1
		}
		return tf
	}
	capped := func(tf termFreqs) termFreqs {
		for f := range fieldBody {
			tf[f] = min(tf[f], maxShortTF)
		}
		tf[fieldBody] = min(tf[fieldBody], maxBodyTF)
		return tf
	}
	for step := range 20000 {
		var num uint32
		switch rng.IntN(4) {
		case 0:
			num = uint32(rng.IntN(50))
		case 1:
			num = uint32(rng.IntN(5000))
		default:
			num = uint32(rng.IntN(3_000_000))
		}
		if rng.IntN(3) == 0 {
			p.set(num, nil)
			delete(model, num)
		} else {
			tf := randomTF()
			p.set(num, &tf)
			model[num] = capped(tf)
		}

		if step%97 != 0 {
			continue
		}
		want := slices.Sorted(maps.Keys(model))
		var got []uint32
		var tf termFreqs
		for it := p.iter(); ; {
			n, _, ok := it.next(&tf)
			if !ok {
				break
			}
			if tf != model[n] {
				t.Fatalf("step %d: entry %d = %v, want %v", step, n, tf, model[n])
			}
			got = append(got, n)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: entries %v, want %v", step, got, want)
		}
		if int(p.df) != len(want) {
			t.Fatalf("step %d: df %d, want %d", step, p.df, len(want))
		}
		if len(want) > 0 && p.last != want[len(want)-1] {
			t.Fatalf("step %d: last %d, want %d", step, p.last, want[len(want)-1])
		}
	}
}
