package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/report"
)

func (m *Main) report(ctx context.Context, args []string) error {
	fs := m.flagSet("report")
	sinceFlag := fs.String("since", "30d", "the window's start: a `SPAN` before -until (30d, 12h) or a date (2026-11-01)")
	untilFlag := fs.String("until", "", "the window's last `DATE` (2026-11-30, up to its end); none is now")
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	htmlFile := fs.String("html", "", "also write the report as a self-contained HTML page to `FILE`")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("report takes no arguments, got %q", rest)
	}
	until := time.Now()
	if *untilFlag != "" {
		day, err := time.ParseInLocation(time.DateOnly, *untilFlag, time.Local)
		if err != nil {
			return usageError("-until %q is not a date like 2026-11-30", *untilFlag)
		}
		until = day.AddDate(0, 0, 1) // the window ends with the day, so the day is in it
	}
	since, err := parseSince(*sinceFlag, until)
	if err != nil {
		return err
	}
	if !since.Before(until) {
		return usageError("-since %s is not before -until %s", since.Format(time.DateOnly), until.Format(time.DateOnly))
	}
	cfg, err := m.offlineConfig()
	if err != nil {
		return err
	}

	read, done, err := m.reader(ctx)
	if err != nil {
		return err
	}
	defer done()
	// Only the tickets the window can count are read: those that changed in it or since, and those still
	// active (the backlog at its end). A desk's older history, most of the file after a few months, is
	// never decoded.
	tickets, err := read.TicketsActiveOrUpdatedSince(ctx, since)
	if err != nil {
		return err
	}

	r := report.Build(tickets, report.Options{Since: since, Until: until, Tiers: cfg.Bot().Tiers, SLA: cfg.Bot().SLAPolicy()})
	if *htmlFile != "" {
		if err := writeReportHTML(*htmlFile, r); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(m.Stdout, r)
	}
	if err := r.Text(m.Stdout); err != nil {
		return err
	}
	if *htmlFile != "" {
		// Progress, not the report: on stderr, so `report > file` holds the report alone.
		fmt.Fprintf(m.Stderr, "The HTML report is in %s.\n", *htmlFile)
	}
	return nil
}

// parseSince reads -since: a span before until ("30d", "12h", "90m") or a date, from its start.
func parseSince(s string, until time.Time) (time.Time, error) {
	if day, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return day, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		// Past a million days the date would overflow: nobody means that.
		if days, err := strconv.Atoi(n); err == nil && days > 0 && days <= 1_000_000 {
			return until.AddDate(0, 0, -days), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return until.Add(-d), nil
	}
	return time.Time{}, usageError("-since %q is neither a span like 30d or 12h nor a date like 2026-11-01", s)
}

// writeReportHTML writes the page to a new file next to path and renames it over path, so a failed write
// never leaves half a page where the last good one was. The file is os.CreateTemp's: a random name,
// created exclusively, so nothing planted in the directory beforehand (a link at a name one could guess,
// like path+".tmp") receives the page; the rename replaces path itself, never what a link there points to.
// The page gets the mode of the file it replaces, or 0644 (a page is for sharing).
func writeReportHTML(path string, r *report.Report) error {
	mode := os.FileMode(0o644)
	if st, err := os.Lstat(path); err == nil && st.Mode().IsRegular() {
		mode = st.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write the HTML report: %w", err)
	}
	defer os.Remove(f.Name()) // nothing left to remove after the rename
	err = r.HTML(f)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write the HTML report: %w", err)
	}
	return nil
}
