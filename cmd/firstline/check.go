package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/internal/plural"
	"github.com/firstline-desk/firstline/storage"
)

func (m *Main) check(ctx context.Context, args []string) error {
	fs := m.flagSet("check")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("check takes no arguments, got %q", rest)
	}
	cfg, err := m.offlineConfig()
	if err != nil {
		return err
	}
	if cfg.postgresOn() {
		return m.checkPostgres(ctx, cfg)
	}
	data, err := m.existingData()
	if err != nil {
		return err
	}
	how := " (checked by the running Firstline)"
	var r storage.CheckReport
	resp, err := control.Call(ctx, control.Path(data), control.Request{Op: "check"})
	switch {
	case err == nil:
		r = storage.CheckReport{Tickets: resp.Tickets, Schema: resp.Schema, Problems: resp.Problems, Omitted: resp.Omitted}
	case errors.Is(err, control.ErrNotRunning):
		how = ""
		r, err = storage.CheckFile(ctx, data, storeOptions)
		if bot.ErrorCode(err) == bot.EUNAVAILABLE {
			return notAnswering(data)
		}
		if err != nil {
			return storeError(err)
		}
	default:
		return storeError(err)
	}
	return m.checkReport(r, data, how)
}

// checkPostgres checks the database of cfg: Firstline's own facts (PostgreSQL checks its pages), read in
// one snapshot while desks go on writing.
func (m *Main) checkPostgres(ctx context.Context, cfg Config) error {
	pg, err := m.openPostgres(ctx, cfg, true, nil)
	if err != nil {
		return err
	}
	defer pg.Close()
	r, err := pg.CheckAll(ctx)
	if err != nil {
		return storeError(err)
	}
	return m.checkReport(storage.CheckReport{Tickets: r.Tickets, Schema: r.Schema, Problems: r.Problems, Omitted: r.Omitted},
		"PostgreSQL at "+pg.Where(), "")
}

// checkReport prints what a check of where found; exit status 1 when it found any problem.
func (m *Main) checkReport(r storage.CheckReport, where, how string) error {
	for _, p := range r.Problems {
		fmt.Fprintln(m.Stdout, p)
	}
	if r.Omitted > 0 {
		fmt.Fprintf(m.Stdout, "... and %s more\n", plural.Count(r.Omitted, "problem", "problems"))
	}
	if n := len(r.Problems) + r.Omitted; n > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%s in %s%s", plural.Count(n, "problem", "problems"), where, how)}
	}
	fmt.Fprintf(m.Stdout, "%s: %s, schema %d, no problems found%s.\n", where, ticketCount(r.Tickets), r.Schema, how)
	return nil
}
