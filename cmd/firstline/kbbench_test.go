package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

func TestBenchTickets(t *testing.T) {
	data := filepath.Join(t.TempDir(), "bench")
	out, errOut, code := runMain(t, "bench", "tickets", "-n", "2000", "-data", data, "-json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	keys, got := jsonKeys(t, out)
	if want := sorted("tickets", "file_mb", "fill_seconds", "check_slas_ms", "report_30d_seconds"); !slices.Equal(keys, want) {
		t.Fatalf("keys %v\nwant %v", keys, want)
	}
	if got["tickets"] != 2000 || got["file_mb"] < 1 || got["file_mb"] > 200 || got["fill_seconds"] <= 0 ||
		got["check_slas_ms"] <= 0 || got["check_slas_ms"] > 5000 || got["report_30d_seconds"] <= 0 || got["report_30d_seconds"] > got["fill_seconds"]*10 {
		t.Errorf("figures %v", got)
	}

	// The file holds the desk the README describes, as the engine and the SLA loop would have left it.
	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tickets []*bot.Ticket
	var due []string
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		if tickets, err = tx.FindTickets(bot.TicketFilter{}); err != nil {
			return err
		}
		due, err = tx.DueTickets(time.Now().AddDate(1, 0, 0), 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	now := time.Now()
	for _, tk := range tickets {
		count[tk.Priority]++
		escalated := slices.ContainsFunc(tk.Transitions, func(e bot.Transition) bool { return e.Type == bot.TransitionEscalated })
		switch {
		case tk.Status.Active():
			count["active"]++
		case !escalated:
			count["deflected"]++
		default:
			count["human"]++
			if tk.CSAT != nil {
				count["rated"]++
			}
		}
		if slices.ContainsFunc(tk.Transitions, func(e bot.Transition) bool { return e.Type == bot.TransitionReopened }) {
			count["reopened"]++
		}
		if n := len(tk.Transcript); escalated && !tk.Status.Active() && (n < 4 || n > 14) {
			t.Errorf("%s: %d transcript entries", tk.ID, n)
		}
		if tk.SLA == nil || tk.SLA.Resolution.Due == nil || tk.SLA.Resolution.WarnAt == nil || tk.UpdatedAt.IsZero() || tk.UpdatedAt.After(now) {
			t.Fatalf("%s: clocks %+v, updated %v", tk.ID, tk.SLA, tk.UpdatedAt)
		}
		// The SLA loop announces a deadline that passed while the clock ran and nobody was waiting.
		r := tk.SLA.Resolution
		if tk.Status.Active() && tk.SLA.WaitingSince == nil && r.Due.Before(now.Add(-time.Minute)) && !r.Breached {
			t.Errorf("%s: resolution due %v, running, not announced", tk.ID, r.Due)
		}
		if _, pending := tk.NextSLACheck(); pending && tk.Status.Active() && !slices.Contains(due, tk.ID) {
			t.Errorf("%s has an SLA event pending but is not in the due index", tk.ID)
		}
	}
	within := func(name string, share, lo, hi float64) {
		if share < lo || share > hi {
			t.Errorf("%s: %.3f of the tickets, want %.2f to %.2f (counts %v)", name, share, lo, hi, count)
		}
	}
	n := float64(len(tickets))
	// Of the tickets that finish, 40 : 45 : 5 (deflected, human, reopened); the backlog is small, as a
	// real desk's is (30% of two weeks' intake and a 0.2% stale tail).
	within("deflected", float64(count["deflected"])/n, 0.38, 0.50)
	within("resolved by a human", float64(count["human"])/n, 0.45, 0.57)
	within("reopened", float64(count["reopened"])/n, 0.03, 0.08)
	within("active", float64(count["active"])/n, 0.001, 0.03)
	within("rated of the human-resolved", float64(count["rated"])/float64(count["human"]), 0.5, 0.7)
	for p, share := range map[string]float64{"P1": 0.05, "P2": 0.15, "P3": 0.60, "P4": 0.20} {
		within(p, float64(count[p])/n, share-0.03, share+0.03)
	}

	t.Run("text", func(t *testing.T) {
		out, errOut, code := runMain(t, "bench", "tickets", "-n", "300")
		for _, w := range []string{"tickets             300  (", "file_mb", "fill_seconds", "check_slas_ms", "report_30d_seconds"} {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("exit %d, the output lacks %q:\n%s%s", code, w, out, errOut)
			}
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a data directory in use", []string{"bench", "tickets", "-n", "10", "-data", data}, "is not empty"},
		{"no count", []string{"bench", "tickets", "-n", "0"}, "-n is 0"},
		{"no benchmark", []string{"bench"}, "bench needs a command: tickets"},
		{"arguments", []string{"bench", "tickets", "many"}, "takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runMain(t, tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want an error with %q", code, errOut, tc.want)
			}
		})
	}
}

func TestBenchTicketsRemovesItsTemporaryData(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if out, errOut, code := runMain(t, "bench", "tickets", "-n", "50", "-json"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("left behind in the temporary directory: %v", left)
	}
}
