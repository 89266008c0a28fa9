package storage

// SetFindBounds makes the list search's scan budget and index cap small, so a test with a few hundred
// tickets takes every path a million-ticket desk does. It returns the function that restores them.
func SetFindBounds(scan, limit int) (restore func()) {
	s, l := scanBudget, selectiveCap
	scanBudget, selectiveCap = scan, limit
	return func() { scanBudget, selectiveCap = s, l }
}

// Queued is how many Updates wait in the commit queue for the batch under way to finish.
func (db *DB) Queued() int {
	db.queue.mu.Lock()
	defer db.queue.mu.Unlock()
	return len(db.queue.pending)
}
