package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/ticketgen"
	"github.com/firstline-desk/firstline/report"
	"github.com/firstline-desk/firstline/storage"
)

// benchBatch is how many tickets one fill transaction writes: large enough that the fill is not a
// commit per ticket, small enough that a transaction's dirty pages stay a few MB.
const benchBatch = 2000

// benchTicks is how many CheckSLAs ticks are timed, 30 s apart as the desk runs them.
const benchTicks = 7

// benchTicketsJSON is the contract of `bench tickets -json`.
type benchTicketsJSON struct {
	Tickets          int     `json:"tickets"`
	FileMB           float64 `json:"file_mb"`
	FillSeconds      float64 `json:"fill_seconds"`
	CheckSLAsMs      float64 `json:"check_slas_ms"`
	Report30dSeconds float64 `json:"report_30d_seconds"`
}

// benchTickets fills a fresh data file with n tickets of three years of a desk's life and times what
// grows with it: the SLA loop's tick and a 30-day report.
func (m *Main) benchTickets(ctx context.Context, args []string) error {
	fset := m.flagSet("bench tickets")
	n := fset.Int("n", 100000, "write `N` tickets")
	asJSON := fset.Bool("json", false, "print JSON")
	rest, err := parseFlags(fset, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("bench tickets takes no arguments, got %q", rest)
	}
	if *n <= 0 {
		return usageError("-n is %d; it must be a positive number of tickets, like 100000", *n)
	}
	cfg, err := m.config()
	if err != nil {
		return err
	}
	desk := cfg.Bot()
	if len(desk.Tiers) == 0 || len(desk.SLA) == 0 {
		return usageError("bench tickets needs tiers and SLA targets ([sla.P1] ... [sla.P4]) in the config, or no -config for the demo desk's")
	}
	dir := m.dataDir
	if isSet(fset, "data") {
		// Only a fresh file measures a fill; and a real desk's data must never be the bench's.
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("read -data %s: %w", dir, err)
		}
		if len(entries) > 0 {
			return usageError("-data %s is not empty: bench tickets fills a fresh data file, so give it a new or empty directory", dir)
		}
	} else {
		if dir, err = os.MkdirTemp("", "firstline-bench-"); err != nil {
			return fmt.Errorf("create a temporary data directory: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	path := filepath.Join(dir, "firstline.db")
	now := time.Now()

	if !*asJSON {
		fmt.Fprintf(m.Stderr, "filling %s with %s...\n", path, ticketCount(*n))
	}
	start := time.Now()
	mix, err := fillBenchTickets(ctx, path, *n, desk, now)
	if err != nil {
		return err
	}
	fill := time.Since(start)
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("measure the data file: %w", err)
	}
	fileMB := float64(st.Size()) / (1 << 20)

	tick, looked, err := timeCheckSLAs(ctx, path, desk, now)
	if err != nil {
		return err
	}
	rep, err := timeReport(ctx, path, cfg, now)
	if err != nil {
		return err
	}

	if *asJSON {
		return writeJSON(m.Stdout, benchTicketsJSON{
			Tickets:          *n,
			FileMB:           round(fileMB, 1),
			FillSeconds:      round(fill.Seconds(), 3),
			CheckSLAsMs:      round(ms(tick), 3),
			Report30dSeconds: round(rep.total.Seconds(), 3),
		})
	}
	w := m.Stdout
	fmt.Fprintf(w, "tickets             %d  (%d deflected, %d resolved by a human, %d of them reopened, %d active; %d with an SLA event pending)\n",
		*n, mix.deflected, mix.human, mix.reopened, mix.active, mix.pending)
	fmt.Fprintf(w, "file_mb             %.1f\n", fileMB)
	fmt.Fprintf(w, "fill_seconds        %.3f  (%d tickets a transaction, without fsync)\n", fill.Seconds(), benchBatch)
	fmt.Fprintf(w, "check_slas_ms       %.3f  (median of %d ticks 30 s apart from now, with fsync; %d tickets due and read in all)\n", ms(tick), benchTicks, looked)
	fmt.Fprintf(w, "report_30d_seconds  %.3f  (%d tickets read in %.3f s, built in %.3f s, text in %.3f s)\n",
		rep.total.Seconds(), rep.tickets, rep.read.Seconds(), rep.build.Seconds(), rep.text.Seconds())
	return nil
}

// benchMix counts what the fill wrote.
type benchMix struct {
	deflected, human, reopened, active, pending int
}

// fillBenchTickets writes n tickets created over the three years up to now. The file is opened with
// NoSync: a crash during the fill loses a bench file, nothing else, and fsync per batch would measure the
// disk rather than the store. Everything after the fill runs on the file opened normally.
func fillBenchTickets(ctx context.Context, path string, n int, desk bot.Config, now time.Time) (benchMix, error) {
	var mix benchMix
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		return mix, err
	}
	defer db.Close()
	g := ticketgen.New(desk, now, n)
	created := g.Arrivals(n)
	for i := 0; i < n; i += benchBatch {
		batch := make([]*bot.Ticket, 0, benchBatch)
		posts := make([]map[string]bot.MessageRef, 0, benchBatch)
		for _, at := range created[i:min(i+benchBatch, n)] {
			t, p := g.Ticket(at)
			posts = append(posts, p)
			switch {
			case t.Status.Active():
				mix.active++
			case t.Tier == bot.LevelOne:
				mix.deflected++
			default:
				mix.human++
			}
			if slices.ContainsFunc(t.Transitions, func(e bot.Transition) bool { return e.Type == bot.TransitionReopened }) {
				mix.reopened++
			}
			if _, ok := t.NextSLACheck(); ok && t.Status.Active() {
				mix.pending++
			}
			batch = append(batch, t)
		}
		if err := db.Update(ctx, func(tx bot.Tx) error {
			for j, t := range batch {
				if err := tx.CreateTicket(t); err != nil {
					return err
				}
				if err := tx.LinkConversation(t.Conversation, t.ID); err != nil {
					return err
				}
				for key, ref := range posts[j] {
					if err := tx.RecordPost(ref, bot.MessageLink{Ticket: t.ID, Key: key}); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			return mix, fmt.Errorf("fill the bench data file: %w", err)
		}
	}
	return mix, db.Close()
}

// timeCheckSLAs runs the SLA loop's tick on the filled file, opened as the desk opens it (fsync on
// commit), at now and every 30 s after, and returns the median tick and how many tickets the ticks
// looked at. A tick that looks at a ticket that is not due fails the bench: the loop must read only
// what the due index points at.
func timeCheckSLAs(ctx context.Context, path string, desk bot.Config, now time.Time) (time.Duration, int, error) {
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	engine, err := bot.New(desk, db, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, 0, err
	}
	var ticks []time.Duration
	looked := 0
	for i := range benchTicks {
		at := now.Add(time.Duration(i) * 30 * time.Second)
		var due []string
		if err := db.View(ctx, func(tx bot.Tx) error {
			due, err = tx.DueTickets(at, 0)
			return err
		}); err != nil {
			return 0, 0, err
		}
		start := time.Now()
		got, err := engine.CheckSLAs(ctx, at)
		ticks = append(ticks, time.Since(start))
		if err != nil {
			return 0, 0, fmt.Errorf("check SLAs: %w", err)
		}
		if got > len(due) {
			return 0, 0, fmt.Errorf("check SLAs looked at %d tickets with %d due", got, len(due))
		}
		looked += got
	}
	slices.Sort(ticks)
	return ticks[len(ticks)/2], looked, nil
}

type reportTimes struct {
	tickets                  int
	read, build, text, total time.Duration
}

// timeReport does what `firstline report -since 30d` does, timing each part: open the file read-only,
// read the tickets the window needs, build the figures, write the text.
func timeReport(ctx context.Context, path string, cfg Config, now time.Time) (reportTimes, error) {
	var rt reportTimes
	start := time.Now()
	db, err := storage.Open(path, storage.Options{ReadOnly: true})
	if err != nil {
		return rt, err
	}
	defer db.Close()
	since := now.AddDate(0, 0, -30)
	tickets, err := db.TicketsActiveOrUpdatedSince(ctx, since)
	if err != nil {
		return rt, err
	}
	rt.tickets = len(tickets)
	rt.read = time.Since(start)
	r := report.Build(tickets, report.Options{Since: since, Until: now, Tiers: cfg.Bot().Tiers, SLA: cfg.Bot().SLAPolicy()})
	rt.build = time.Since(start) - rt.read
	if err := r.Text(io.Discard); err != nil {
		return rt, err
	}
	rt.total = time.Since(start)
	rt.text = rt.total - rt.read - rt.build
	return rt, nil
}
