package kb

import (
	"runtime"
	"sync"
)

// Build returns an index of articles, analyzing them on every core. It is
// the fast way to load a whole knowledge base at start-up; Put is for the
// edits that follow.
func Build(articles []Article, opts Options) *Index {
	ix := NewIndex(opts)
	workers := min(runtime.GOMAXPROCS(0), len(articles))
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for range workers {
		wg.Go(func() {
			for i := range next {
				ix.Put(articles[i])
			}
		})
	}
	for i := range articles {
		next <- i
	}
	close(next)
	wg.Wait()
	return ix
}
