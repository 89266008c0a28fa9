package storage

import "sync/atomic"

// Counts are what a DB has done since Open. They cost an atomic add each, and exist so that the work of
// one request can be measured where it happens: bot's BenchmarkAnsweredQuestion divides them by the
// questions answered (commits and ticket decodes per answer).
type Counts struct {
	// Commits counts the read-write transactions committed (maintenance and migrations included).
	Commits uint64
	// TicketDecodes counts the tickets decoded from their stored JSON, by any read.
	TicketDecodes uint64
}

// counters are a DB's Counts as they grow.
type counters struct {
	commits, ticketDecodes atomic.Uint64
}

// Counts returns what the DB has done since Open. Safe to call from any goroutine.
func (db *DB) Counts() Counts {
	return Counts{Commits: db.counts.commits.Load(), TicketDecodes: db.counts.ticketDecodes.Load()}
}

// decodedTickets counts n tickets decoded; t.counts is nil in migrations, which run before Open returns.
func (t *tx) decodedTickets(n int) {
	if t.counts != nil {
		t.counts.ticketDecodes.Add(uint64(n))
	}
}
