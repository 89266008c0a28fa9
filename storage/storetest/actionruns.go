package storetest

// Action runs and the desk's settings.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

func runIDs(runs []*bot.ActionRun) string {
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return strings.Join(ids, " ")
}

// testActionRuns: ids from a sequence, a run read back whole, each filter (state, ticket, the person it
// is for, since, limit) and their combinations, a state change that moves the run between states, and
// ENOTFOUND for a run that is not there (a store that never had one included).
func testActionRuns(t *testing.T, h Harness) {
	s := h.Open(t)
	view(t, s, func(tx bot.Tx) error {
		_, err := tx.ActionRun("A-000001")
		wantCode(t, "a run on an empty store", err, bot.ENOTFOUND)
		runs, err := tx.FindActionRuns(bot.ActionRunFilter{})
		if err != nil || len(runs) != 0 {
			t.Fatalf("runs on an empty store: %v %v", runs, err)
		}
		return nil
	})
	var tickets []string
	for i, who := range []string{"slack:UALICE", "slack:UBOB", "slack:UALICE"} {
		tickets = append(tickets, createTicket(t, s, newTicket(who, fmt.Sprintf("m%d", i))))
	}
	update(t, s, func(tx bot.Tx) error {
		for i, who := range []string{"slack:UALICE", "slack:UBOB", "slack:UALICE"} {
			r := &bot.ActionRun{Action: "unlock", Title: "Unlock", Ticket: tickets[i], For: who, RequestedBy: who, State: bot.RunPending,
				CreatedAt: base.Add(time.Duration(i) * time.Hour), Params: map[string]string{"group": "hr"}, IdempotencyKey: fmt.Sprintf("fl-%d", i),
				History: []bot.RunStep{{At: base, State: bot.RunPending, By: who, Detail: "asked"}}}
			if err := tx.CreateActionRun(r); err != nil {
				return err
			}
			if want := bot.RunID(uint64(i + 1)); r.ID != want {
				t.Errorf("run id %s, want %s", r.ID, want)
			}
		}
		return nil
	})
	update(t, s, func(tx bot.Tx) error {
		r, err := tx.ActionRun("A-000002")
		if err != nil {
			return err
		}
		r.State = bot.RunSucceeded
		r.Result = &bot.RunOutput{Outcome: bot.OutcomeSucceeded, Detail: "HTTP 200", Output: "ok"}
		if err := tx.PutActionRun(r); err != nil {
			return err
		}
		wantCode(t, "put of a run that is not there", tx.PutActionRun(&bot.ActionRun{ID: "A-000009"}), bot.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx bot.Tx) error {
		for _, c := range []struct {
			name string
			f    bot.ActionRunFilter
			want string
		}{
			{"all", bot.ActionRunFilter{}, "A-000001 A-000002 A-000003"},
			{"pending", bot.ActionRunFilter{States: []bot.RunState{bot.RunPending}}, "A-000001 A-000003"},
			{"two states", bot.ActionRunFilter{States: []bot.RunState{bot.RunSucceeded, bot.RunPending}}, "A-000001 A-000002 A-000003"},
			{"succeeded", bot.ActionRunFilter{States: []bot.RunState{bot.RunSucceeded}}, "A-000002"},
			{"for alice", bot.ActionRunFilter{For: "slack:UALICE"}, "A-000001 A-000003"},
			{"ticket", bot.ActionRunFilter{Ticket: tickets[2]}, "A-000003"},
			{"since", bot.ActionRunFilter{For: "slack:UALICE", Since: base.Add(time.Minute)}, "A-000003"},
			{"limit", bot.ActionRunFilter{Limit: 2}, "A-000001 A-000002"},
			{"none", bot.ActionRunFilter{For: "slack:UALICE", States: []bot.RunState{bot.RunSucceeded}}, ""},
		} {
			runs, err := tx.FindActionRuns(c.f)
			if err != nil {
				return err
			}
			if got := runIDs(runs); got != c.want {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
		}
		r, err := tx.ActionRun("A-000002")
		if err != nil {
			return err
		}
		if r.State != bot.RunSucceeded || r.Result == nil || r.Result.Output != "ok" || r.Params["group"] != "hr" || r.IdempotencyKey != "fl-1" ||
			len(r.History) != 1 || !r.CreatedAt.Equal(base.Add(time.Hour)) {
			t.Errorf("run read back: %+v", r)
		}
		return nil
	})
}

// testSettings: a setting reads "" until it is set, what was set, and "" again once set to "".
func testSettings(t *testing.T, h Harness) {
	s := h.Open(t)
	read := func() string {
		var v string
		view(t, s, func(tx bot.Tx) error {
			var err error
			v, err = tx.Setting(bot.SettingActionsOff)
			return err
		})
		return v
	}
	if v := read(); v != "" {
		t.Fatalf("a setting never set = %q", v)
	}
	update(t, s, func(tx bot.Tx) error { return tx.PutSetting(bot.SettingActionsOff, "true") })
	update(t, s, func(tx bot.Tx) error { return tx.PutSetting(bot.SettingActionsOff, "true") })
	if v := read(); v != "true" {
		t.Fatalf("setting = %q, want true", v)
	}
	update(t, s, func(tx bot.Tx) error { return tx.PutSetting(bot.SettingActionsOff, "") })
	if v := read(); v != "" {
		t.Fatalf("setting after removal = %q", v)
	}
}

// testOneDecisionWins: approvers decide on one pending run at once; exactly one decision is made, as
// the engine's (read the run, decide only while it is pending, write it) in one Update.
func testOneDecisionWins(t *testing.T, h Harness) {
	s := h.Open(t)
	id := createTicket(t, s, newTicket("slack:UALICE", "m1"))
	update(t, s, func(tx bot.Tx) error {
		return tx.CreateActionRun(&bot.ActionRun{Action: "add", Ticket: id, For: "slack:UALICE", State: bot.RunPending, CreatedAt: base})
	})
	won := make([]bool, racers)
	errs := make([]error, racers)
	race(func(i int) {
		me := fmt.Sprintf("slack:UAPPROVER%d", i)
		errs[i] = s.Update(ctx, func(tx bot.Tx) error {
			won[i] = false
			r, err := tx.ActionRun("A-000001")
			if err != nil {
				return err
			}
			if r.State != bot.RunPending {
				return nil // "already approved by ..."
			}
			r.State = bot.RunApproved
			if i%2 == 1 {
				r.State = bot.RunDenied
			}
			r.Decision = &bot.RunDecision{By: me, Approve: i%2 == 0, At: base}
			won[i] = true
			return tx.PutActionRun(r)
		})
	})
	winner := ""
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("decision %d: %v", i, errs[i])
		}
		if won[i] {
			if winner != "" {
				t.Fatalf("two decisions were made: %s and %d", winner, i)
			}
			winner = fmt.Sprintf("slack:UAPPROVER%d", i)
		}
	}
	var r *bot.ActionRun
	view(t, s, func(tx bot.Tx) error {
		var err error
		r, err = tx.ActionRun("A-000001")
		return err
	})
	if winner == "" || r.Decision == nil || r.Decision.By != winner {
		t.Fatalf("winner %q; the run says %+v", winner, r.Decision)
	}
	view(t, s, func(tx bot.Tx) error {
		pending, err := tx.FindActionRuns(bot.ActionRunFilter{States: []bot.RunState{bot.RunPending}})
		if err != nil || len(pending) != 0 {
			t.Fatalf("still pending after the decision: %v %v", runIDs(pending), err)
		}
		return nil
	})
}
