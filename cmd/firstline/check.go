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
	for _, p := range r.Problems {
		fmt.Fprintln(m.Stdout, p)
	}
	if r.Omitted > 0 {
		fmt.Fprintf(m.Stdout, "... and %s more\n", plural.Count(r.Omitted, "problem", "problems"))
	}
	if n := len(r.Problems) + r.Omitted; n > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%s in %s%s", plural.Count(n, "problem", "problems"), data, how)}
	}
	fmt.Fprintf(m.Stdout, "%s: %s, schema %d, no problems found%s.\n", data, ticketCount(r.Tickets), r.Schema, how)
	return nil
}
