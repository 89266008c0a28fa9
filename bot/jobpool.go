package bot

import "sync"

// maxJobs bounds the jobs running at once: each may hold a model call for seconds.
const maxJobs = 16

// jobPool runs the outbox's jobs (searches, model calls, summaries, reports) on goroutines of their own,
// so one slow model call does not hold up every other conversation's replies, with at most limit at once
// and each job (by outbox sequence) at most once at a time.
//
// It remembers the jobs that ended since the dispatcher last read the outbox (forgetEnded): that read
// may still list them, and they must not run twice.
type jobPool struct {
	limit int
	// onEnd is called after each job has ended and been counted, to wake the dispatcher for what the
	// job caused.
	onEnd func()

	mu    sync.Mutex
	live  map[uint64]bool // outbox seq of the jobs running
	ended map[uint64]bool // jobs that ended since forgetEnded
	wg    sync.WaitGroup
	done  chan struct{} // a job ended (buffered: one signal stands for any number)
}

func newJobPool(limit int, onEnd func()) *jobPool {
	return &jobPool{limit: limit, onEnd: onEnd, live: map[uint64]bool{}, ended: map[uint64]bool{}, done: make(chan struct{}, 1)}
}

// start runs fn on its own goroutine as the job seq, unless that job is running already, ended since
// the outbox was last read, or limit jobs are running. It reports whether the job was started.
func (p *jobPool) start(seq uint64, fn func()) bool {
	p.mu.Lock()
	if p.live[seq] || p.ended[seq] || len(p.live) >= p.limit {
		p.mu.Unlock()
		return false
	}
	p.live[seq] = true
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		fn()
		p.mu.Lock()
		delete(p.live, seq)
		p.ended[seq] = true
		p.mu.Unlock()
		select {
		case p.done <- struct{}{}:
		default:
		}
		p.onEnd()
	}()
	return true
}

// counts returns how many jobs are running and how many ended since the outbox was last read.
func (p *jobPool) counts() (running, ended int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.live), len(p.ended)
}

// forgetEnded is called just before the outbox is read: jobs that ended before that read have committed
// the removal of their effect, so the read cannot list them.
func (p *jobPool) forgetEnded() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.ended)
}

// endedSignal is ready when a job has ended since it was last received from.
func (p *jobPool) endedSignal() <-chan struct{} { return p.done }

// wait returns once every job started has ended.
func (p *jobPool) wait() { p.wg.Wait() }
