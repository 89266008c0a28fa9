package bot

// An action run: one request for an action, a ticket-like record moved by events (requested,
// confirmed, approved, started, finished), stored through Tx (CreateActionRun, PutActionRun).

import (
	"fmt"
	"time"
)

// RunState is where a run is in its life.
type RunState string

// The states of a run. Requested → (confirming) → pending approval → approved → running → succeeded,
// failed, timed out or unknown; or denied, expired or cancelled before it started.
const (
	RunConfirming RunState = "confirming" // waits for the requester to confirm (a request made with a button)
	RunPending    RunState = "pending"    // waits for its approvals
	RunApproved   RunState = "approved"   // approved, or confirmed when it needs no approval: queued to run
	RunRunning    RunState = "running"    // started: the call is, or was, under way
	RunSucceeded  RunState = "succeeded"
	RunFailed     RunState = "failed"    // the call surely did not happen, or the target refused it
	RunTimedOut   RunState = "timed_out" // no answer within the timeout: it may have happened
	// RunUnknown: the run started and its result was never recorded (the desk stopped during the call,
	// or the call was cut off). It is never run again by itself: a technician checks, and may retry it
	// with the same idempotency key.
	RunUnknown   RunState = "unknown"
	RunDenied    RunState = "denied"
	RunExpired   RunState = "expired"   // nobody decided in time
	RunCancelled RunState = "cancelled" // the requester changed their mind, or actions were turned off
)

// Done reports whether the run has ended for good (a retry starts it again from unknown, failed or
// timed out).
func (s RunState) Done() bool {
	switch s {
	case RunConfirming, RunPending, RunApproved, RunRunning:
		return false
	}
	return true
}

// retryable reports whether a technician may run it again.
func (s RunState) retryable() bool { return s == RunFailed || s == RunTimedOut || s == RunUnknown }

// RunID formats a run's sequence number as its human id.
func RunID(seq uint64) string { return fmt.Sprintf("A-%06d", seq) }

// ActionRun is one request for an action and what became of it. It is stored as JSON; every string
// field is text, redacted when it is written, unless it is tagged `redact:"-"` (see Ticket).
type ActionRun struct {
	ID     string   `json:"id" redact:"-"`
	Action string   `json:"action" redact:"-"` // the action's id
	Title  string   `json:"title"`
	State  RunState `json:"state" redact:"-"`
	// Ticket is the ticket the run is recorded on; OpenedTicket: the desk opened it for this run (a
	// request made outside a ticket), and resolves it when the run succeeds.
	Ticket       string `json:"ticket" redact:"-"`
	OpenedTicket bool   `json:"opened_ticket,omitempty"`
	// RequestedBy is who asked; For is who it is for (the ticket's requester: a technician asks on their
	// behalf from the card's thread).
	RequestedBy     string `json:"requested_by" redact:"-"`
	RequestedByName string `json:"requested_by_name,omitempty"`
	For             string `json:"for" redact:"-"`
	ForName         string `json:"for_name,omitempty"`
	// Via says how it was asked for: "command", "article:ID", "card", "suggestion".
	Via string `json:"via,omitempty" redact:"-"`
	// Params are the values given, checked and normalized, by parameter name.
	Params map[string]string `json:"params,omitempty"`
	// IdempotencyKey is sent with every attempt, the same each time.
	IdempotencyKey string `json:"idempotency_key" redact:"-"`
	// Approvals are the approvals given so far; Decision is the decision that ended the wait (an
	// approval that made the quorum, a denial), nil while pending.
	Approvals []RunDecision `json:"approvals,omitempty"`
	Decision  *RunDecision  `json:"decision,omitempty"`
	// Preview is the output of the action's dry run, shown to approvers.
	Preview *RunOutput `json:"preview,omitempty"`
	// Attempts counts the starts; Instance is the process that made the last one, so a run left
	// running by another process (one that crashed) is known to have an unknown outcome.
	Attempts int    `json:"attempts,omitempty"`
	Instance string `json:"instance,omitempty" redact:"-"`
	// Result is the last attempt's, once it finished.
	Result *RunOutput `json:"result,omitempty"`
	// History is every step of the run, in order.
	History   []RunStep `json:"history"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when a run waiting for a confirmation or approvals expires.
	ExpiresAt  time.Time  `json:"expires_at,omitzero"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// RunDecision is an approver's approval or denial.
type RunDecision struct {
	By      string    `json:"by" redact:"-"`
	Name    string    `json:"name,omitempty"`
	Approve bool      `json:"approve"`
	At      time.Time `json:"at"`
}

// RunOutput is what a call answered, redacted and cut to the action's max_output.
type RunOutput struct {
	Outcome   Outcome `json:"outcome" redact:"-"`
	Detail    string  `json:"detail,omitempty"`
	Output    string  `json:"output,omitempty"`
	Truncated bool    `json:"truncated,omitempty"`
}

// RunStep is one step of a run.
type RunStep struct {
	At     time.Time `json:"at"`
	State  RunState  `json:"state" redact:"-"`
	By     string    `json:"by,omitempty" redact:"-"`
	Detail string    `json:"detail,omitempty"`
}

// step moves the run to state and records it.
func (r *ActionRun) step(at time.Time, state RunState, by, detail string) {
	r.State = state
	r.History = append(r.History, RunStep{At: at, State: state, By: by, Detail: detail})
}

// ActionRunFilter selects runs. Zero fields match everything; the fields that are set must all match.
type ActionRunFilter struct {
	States []RunState
	Ticket string
	For    string // who the runs are for
	// Since keeps the runs created at or after it.
	Since time.Time
	Limit int // 0 = no limit
}

// Settings the desk keeps in its data file (Tx.Setting).
const (
	// SettingActionsOff is "true" while an admin has turned actions off (`!actions off`).
	SettingActionsOff = "actions.off"
)
