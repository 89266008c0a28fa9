package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

func (m *Main) audit(ctx context.Context, args []string) error {
	fs := m.flagSet("audit")
	sinceFlag := fs.String("since", "7d", "the oldest entry to show: a `SPAN` before now (7d, 12h) or a date (2026-11-01)")
	asJSON := fs.Bool("json", false, "print the entries as a JSON array")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("audit takes no arguments, got %q", rest)
	}
	since, err := parseSince(*sinceFlag, time.Now())
	if err != nil {
		return err
	}
	read, done, err := m.reader(ctx)
	if err != nil {
		return err
	}
	defer done()
	entries, err := read.AuditEntries(ctx, since, 0)
	if err != nil {
		return err
	}
	for i := range entries {
		if entries[i].Actor == "" {
			// No actor: the desk acted on its own (bot.AuditEntry). The table and the JSON say so alike.
			entries[i].Actor = deskActor
		}
	}
	if *asJSON {
		if entries == nil {
			entries = []bot.AuditEntry{} // an empty log is [], so scripts need no special case for null
		}
		return writeJSON(m.Stdout, entries)
	}
	if len(entries) == 0 {
		fmt.Fprintf(m.Stdout, "No audit entries since %s.\n", since.UTC().Format(time.DateTime))
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tACTOR\tACTION\tTARGET\tDETAIL")
	for _, e := range entries {
		// A tab or newline in a field would break the columns; the detail is flattened, never cut, since
		// an audit line that hides part of what happened is worse than a long one.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format(time.DateTime), flat(e.Actor), flat(e.Action), dash(flat(e.Target)), dash(flat(e.Detail)))
	}
	return tw.Flush()
}

// deskActor is who an audit entry without an actor shows: the desk itself.
const deskActor = "desk"
