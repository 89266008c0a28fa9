package bot

import "time"

// SLAState is where a ticket stands against its running SLA clocks: what a list of tickets shows and
// sorts by, and what the web console's queue counts as at risk or breached. It is read from the clocks
// SLAPolicy.Sync and the SLA loop keep on the ticket, never worked out again from its history.
type SLAState struct {
	// Clock is the running clock with the nearest deadline, "response" or "resolution"; "" when no
	// clock runs (none configured, all met, or the ticket is resolved).
	Clock string
	// Due is that clock's deadline. While the ticket waits on the requester it is the deadline as it
	// stood when the wait began: resuming moves it later by the time waited.
	Due time.Time
	// Warned and Breached say the SLA loop announced a warning or a breach on a running clock.
	Warned, Breached bool
	// Paused says the ticket waits on the requester, and its clocks are stopped.
	Paused bool
}

// Running reports whether a clock runs, so that Due means something.
func (s SLAState) Running() bool { return s.Clock != "" }

// SLAState returns the ticket's standing against its running SLA clocks (see SLAState).
func (t *Ticket) SLAState() SLAState {
	var st SLAState
	if t.SLA == nil || !t.Status.Active() {
		return st
	}
	st.Paused = t.SLA.WaitingSince != nil
	for _, c := range []struct {
		name  string
		clock SLAClock
	}{{"response", t.SLA.Response}, {"resolution", t.SLA.Resolution}} {
		if c.clock.Start == nil || c.clock.Met != nil || c.clock.Due == nil {
			continue
		}
		st.Warned = st.Warned || c.clock.Warned
		st.Breached = st.Breached || c.clock.Breached
		if st.Clock == "" || c.clock.Due.Before(st.Due) {
			st.Clock, st.Due = c.name, *c.clock.Due
		}
	}
	if st.Clock == "" {
		st.Paused = false
	}
	return st
}
