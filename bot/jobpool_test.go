package bot

import (
	"sync/atomic"
	"testing"
)

// TestJobPool: at most limit jobs at once; a job runs once while it runs and until the outbox is read
// again after it ended; wait returns when all have ended, each having woken the dispatcher.
func TestJobPool(t *testing.T) {
	var woken atomic.Int32
	p := newJobPool(2, func() { woken.Add(1) })
	release := make(chan struct{})
	started := make(chan uint64, 8)
	job := func(seq uint64) func() {
		return func() {
			started <- seq
			<-release
		}
	}
	if !p.start(1, job(1)) || !p.start(2, job(2)) {
		t.Fatal("two jobs under a limit of two were not started")
	}
	<-started
	<-started
	if p.start(3, job(3)) {
		t.Fatal("a third job started with a limit of two")
	}
	if p.start(1, job(1)) {
		t.Fatal("a running job started again")
	}
	if running, ended := p.counts(); running != 2 || ended != 0 {
		t.Fatalf("counts %d running, %d ended; want 2, 0", running, ended)
	}
	close(release)
	p.wait()
	<-p.endedSignal()
	if running, ended := p.counts(); running != 0 || ended != 2 {
		t.Fatalf("counts %d running, %d ended; want 0, 2", running, ended)
	}
	if p.start(1, job(1)) {
		t.Fatal("an ended job started again before the outbox was read")
	}
	p.forgetEnded()
	if !p.start(1, job(1)) {
		t.Fatal("a job whose effect is still in the outbox (it failed) did not start again after the read")
	}
	<-started
	p.wait()
	if n := woken.Load(); n != 3 {
		t.Fatalf("the dispatcher was woken %d times for 3 jobs", n)
	}
}
