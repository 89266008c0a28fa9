package kb

import (
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// Build returns an index of articles. It is the fast way to index a whole
// knowledge base; Put is for the edits that follow. A later article with the
// id of an earlier one replaces it, as Put would.
func Build(articles []Article, opts Options) *Index {
	i := 0
	ix, _ := BuildFrom(func() (Article, error) {
		if i == len(articles) {
			return Article{}, io.EOF
		}
		i++
		return articles[i-1], nil
	}, opts)
	return ix
}

// buildBatch is how many articles a Build worker analyzes at a time.
const buildBatch = 128

// entry is one posting on its way from a Build worker to a shard.
type entry struct {
	k, j uint32 // the article's place in its batch, the term's in its refs
	tf   termFreqs
	term string
}

// buildBatch is a run of consecutive articles going through BuildFrom.
type batch struct {
	first   uint32    // number of the first article
	arts    []Article // until analyzed
	docs    []docInfo
	lengths [][numFields]uint32
	buckets [numShards][]entry
	ready   chan struct{} // closed when analyzed
	pending atomic.Int32  // shards still to add the batch's postings
}

// BuildFrom indexes the articles next returns until it returns io.EOF;
// another error stops the build and is returned. Articles are analyzed on
// every core as they are read, and their postings added by one goroutine per
// vocabulary shard, in article order, so every posting list is built by
// appending. Nothing holds on to an article's text once it is analyzed, so a
// corpus read from a file is never in memory whole.
func BuildFrom(next func() (Article, error), opts Options) (*Index, error) {
	ix := NewIndex(opts)
	workers := max(1, runtime.GOMAXPROCS(0))
	// Bounded look-ahead: the reader may run this many batches ahead of the
	// slowest shard, so a fast reader cannot pile up the corpus in memory.
	slots := make(chan struct{}, 4*workers)
	work := make(chan *batch, 4*workers)
	var toShard [numShards]chan *batch
	for s := range toShard {
		toShard[s] = make(chan *batch, 4*workers+1)
	}
	var bucketPool sync.Pool // of []entry, so the batches' buffers are reused

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			an := getAnalyzer()
			defer putAnalyzer(an)
			d := getDocTerms()
			defer putDocTerms(d)
			for bt := range work {
				for k := range bt.arts {
					a := &bt.arts[k]
					an.analyzeArticle(a, d)
					bt.lengths[k] = d.length
					bt.docs[k] = docInfo{id: a.ID, title: a.Title, refs: make([]uint32, len(d.terms))}
					for j, t := range d.terms {
						s := shardOf(t)
						if bt.buckets[s] == nil {
							bt.buckets[s], _ = bucketPool.Get().([]entry)
						}
						bt.buckets[s] = append(bt.buckets[s], entry{uint32(k), uint32(j), d.tfs[j], t})
					}
					d.reset()
				}
				bt.arts = nil
				close(bt.ready)
			}
		})
	}
	for s := range numShards {
		wg.Go(func() {
			sh := &ix.shards[s]
			for bt := range toShard[s] {
				<-bt.ready
				for n := range bt.buckets[s] {
					e := &bt.buckets[s][n]
					i := sh.list(e.term)
					sh.lists[i].appendEntry(bt.first+e.k, &e.tf)
					bt.docs[e.k].refs[e.j] = listRef(s, i)
				}
				if bt.buckets[s] != nil {
					bucketPool.Put(bt.buckets[s][:0])
					bt.buckets[s] = nil
				}
				if bt.pending.Add(-1) == 0 {
					<-slots
				}
			}
		})
	}

	// Read, number and dispatch. An id already seen is put after the build,
	// as a replacement; that is rare, so those few articles are kept.
	var (
		batches []*batch
		cur     *batch
		later   []Article
		readErr error
		count   uint32
	)
	send := func() {
		if cur == nil {
			return
		}
		cur.docs = make([]docInfo, len(cur.arts))
		cur.lengths = make([][numFields]uint32, len(cur.arts))
		cur.pending.Store(numShards)
		slots <- struct{}{}
		work <- cur
		for s := range toShard {
			toShard[s] <- cur
		}
		batches = append(batches, cur)
		cur = nil
	}
	for {
		a, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		a = cloneArticle(a)
		if _, seen := ix.byID[a.ID]; seen {
			later = append(later, a)
			continue
		}
		ix.byID[a.ID] = count
		if cur == nil {
			cur = &batch{first: count, arts: make([]Article, 0, buildBatch), ready: make(chan struct{})}
		}
		cur.arts = append(cur.arts, a)
		count++
		if len(cur.arts) == buildBatch {
			send()
		}
	}
	send()
	close(work)
	for s := range toShard {
		close(toShard[s])
	}
	wg.Wait()
	if readErr != nil {
		return nil, readErr
	}

	ix.docs = make([]docInfo, 0, count)
	ix.lengths = make([][numFields]uint32, 0, count)
	for _, bt := range batches {
		ix.docs = append(ix.docs, bt.docs...)
		ix.lengths = append(ix.lengths, bt.lengths...)
	}
	ix.bodyLens = make([]uint32, len(ix.lengths))
	for num, l := range ix.lengths {
		ix.bodyLens[num] = l[fieldBody]
		ix.addLengths(l, 1)
	}
	for _, a := range later {
		ix.Put(a)
	}
	return ix, nil
}
