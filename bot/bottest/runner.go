package bottest

import (
	"context"
	"fmt"
	"sync"

	"github.com/firstline-desk/firstline/bot"
)

// Runner is a fake action runner (bot.Runner): it records every call and answers with Result, or with
// what Answer returns when it is set (which may block, to hold a call in flight).
type Runner struct {
	// Result is the answer to every call when Answer is nil.
	Result bot.ActionResult
	// Answer, when set, answers a call instead of Result.
	Answer func(ctx context.Context, call bot.ActionCall) bot.ActionResult

	mu    sync.Mutex
	calls []bot.ActionCall
}

var _ bot.Runner = (*Runner)(nil)

// Succeeding returns a runner whose every call succeeds with output.
func Succeeding(output string) *Runner {
	return &Runner{Result: bot.ActionResult{Outcome: bot.OutcomeSucceeded, Output: output, Detail: "done"}}
}

// Run records the call and answers it.
func (r *Runner) Run(ctx context.Context, call bot.ActionCall) bot.ActionResult {
	r.mu.Lock()
	r.calls = append(r.calls, call)
	answer, res := r.Answer, r.Result
	r.mu.Unlock()
	if answer != nil {
		return answer(ctx, call)
	}
	return res
}

// Describe says what the call would be.
func (r *Runner) Describe(call bot.ActionCall) string {
	return fmt.Sprintf("fake %s with %v", call.Action, call.Params)
}

// Calls returns the calls made so far, oldest first.
func (r *Runner) Calls() []bot.ActionCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.ActionCall(nil), r.calls...)
}
