package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/storage"
)

// The data-file commands: backup, restore, check, erase-user, compact; and the retention purge the
// running desk does.

// storeOptions are the options of every data-file command: fail fast when another process holds the file.
var storeOptions = storage.Options{LockTimeout: time.Second}

// existingData returns the data file's path, or an error that says there is none.
func (m *Main) existingData() (string, error) {
	path := m.dataFile()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", &exitError{code: 1, msg: fmt.Sprintf("there is no data file at %s: point -data at the right directory", path)}
	}
	return path, nil
}

// storeError turns a domain error into what the user sees.
func storeError(err error) error {
	var be *bot.Error
	if errors.As(err, &be) {
		return &exitError{code: 1, msg: be.Message}
	}
	var ce *control.Error
	if errors.As(err, &ce) {
		return &exitError{code: 1, msg: ce.Message}
	}
	return err
}

// notAnswering is what backup and check say when a process holds the file but nothing answers on its
// control socket.
func notAnswering(path string) error {
	return &exitError{code: 1, msg: fmt.Sprintf("the data file %s is in use by a Firstline that does not answer on %s (still starting, or a version without it): try again in a moment, or stop it", path, control.Path(path))}
}

func (m *Main) backup(ctx context.Context, args []string) error {
	fs := m.flagSet("backup")
	force := fs.Bool("force", false, "replace FILE when it exists")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError("backup needs one FILE to write, like firstline-backup.db")
	}
	data, err := m.existingData()
	if err != nil {
		return err
	}
	dest, err := filepath.Abs(rest[0]) // the running desk has its own working directory
	if err != nil {
		return err
	}
	if _, err := os.Stat(dest); err == nil && !*force {
		return usageError("%s exists: pass -force to replace it", rest[0])
	}
	how := "from the running Firstline"
	_, err = control.Call(ctx, control.Path(data), control.Request{Op: "backup", Path: dest})
	if errors.Is(err, control.ErrNotRunning) {
		how = "(Firstline is not running)"
		_, err = storage.BackupFile(ctx, data, dest, storeOptions)
		if bot.ErrorCode(err) == bot.EUNAVAILABLE {
			return notAnswering(data)
		}
	}
	if err != nil {
		return storeError(err)
	}
	info, err := storage.VerifyFile(dest, storeOptions)
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("the backup at %s does not verify, do not rely on it: %s", dest, userMessage(err))}
	}
	fmt.Fprintf(m.Stdout, "Backed up %s to %s %s: %s, %s, schema %d; verified.\n", data, dest, how, byteSize(info.Size), ticketCount(info.Tickets), info.Schema)
	return nil
}

func (m *Main) restore(ctx context.Context, args []string) error {
	fs := m.flagSet("restore")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError("restore needs the backup FILE to restore")
	}
	data := m.dataFile()
	res, err := storage.Restore(ctx, data, rest[0], time.Now(), storeOptions)
	if err != nil {
		return storeError(err)
	}
	fmt.Fprintf(m.Stdout, "Restored %s from %s: %s, %s, schema %d.\n", data, rest[0], byteSize(res.Size), ticketCount(res.Tickets), res.Schema)
	if res.Schema < storage.SchemaVersion() {
		fmt.Fprintf(m.Stdout, "Firstline upgrades it from schema %d to %d when it next starts.\n", res.Schema, storage.SchemaVersion())
	}
	if res.Previous != "" {
		fmt.Fprintf(m.Stdout, "The file it replaced is kept as %s; delete it once you no longer need it.\n", res.Previous)
	}
	return nil
}

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
		fmt.Fprintf(m.Stdout, "... and %d more problems\n", r.Omitted)
	}
	if n := len(r.Problems) + r.Omitted; n > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d %s in %s%s", n, plural(n, "problem", "problems"), data, how)}
	}
	fmt.Fprintf(m.Stdout, "%s: %s, schema %d, no problems found%s.\n", data, ticketCount(r.Tickets), r.Schema, how)
	return nil
}

// eraseUser refuses while the desk runs rather than asking it over the control socket: the desk may be
// in the middle of work on the person's tickets (an answer being searched, a message being posted), and
// erasure is followed by compact, which needs the desk stopped anyway.
func (m *Main) eraseUser(ctx context.Context, args []string) error {
	fs := m.flagSet("erase-user")
	dryRun := fs.Bool("dry-run", false, "show what would change, change nothing")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError("erase-user needs one person, as platform:id (like slack:U0123ABCD or console:bob)")
	}
	user := rest[0]
	if p, id := bot.SplitID(user); p == "" || id == "" {
		return usageError("%q is not platform:id (like slack:U0123ABCD or console:bob): use the id shown in tickets list", user)
	}
	data, err := m.existingData()
	if err != nil {
		return err
	}
	db, err := storage.Open(data, storeOptions)
	if bot.ErrorCode(err) == bot.EUNAVAILABLE {
		return &exitError{code: 1, msg: fmt.Sprintf("the data file %s is in use by a running Firstline: stop Firstline first, then run erase-user again", data)}
	}
	if err != nil {
		return storeError(err)
	}
	defer db.Close()
	e, err := db.EraseUser(ctx, user, *dryRun)
	if err != nil {
		return storeError(err)
	}
	w := m.Stdout
	if e.DeletedTickets == nil && e.ChangedTickets == nil && e.AuditEntries+e.ArticleVersions+e.AdapterRecords+e.Effects == 0 {
		fmt.Fprintf(w, "Found nothing of %s in %s: check the id (it is written as in tickets list, like slack:U0123ABCD).\n", user, data)
		return nil
	}
	verb := "Erased"
	if *dryRun {
		verb = "A dry run, nothing changed. It would erase"
	}
	fmt.Fprintf(w, "%s %s from %s:\n", verb, user, data)
	fmt.Fprintf(w, "  %d %s they requested deleted%s\n", len(e.DeletedTickets), plural(len(e.DeletedTickets), "ticket", "tickets"), list(e.DeletedTickets))
	fmt.Fprintf(w, "  %d other %s changed%s\n", len(e.ChangedTickets), plural(len(e.ChangedTickets), "ticket", "tickets"), list(e.ChangedTickets))
	fmt.Fprintf(w, "  %d of their messages replaced by \"[erased]\"\n", e.Messages)
	fmt.Fprintf(w, "  %d %s and %d other fields naming them (history, resolved by, ratings, drafts) set to \"erased\"\n", e.Assignments, plural(e.Assignments, "assignment", "assignments"), e.Fields)
	fmt.Fprintf(w, "  %d mentions of their name, id or words replaced in other text\n", e.Mentions)
	fmt.Fprintf(w, "  %d audit entries, %d article versions, %d adapter records rewritten\n", e.AuditEntries, e.ArticleVersions, e.AdapterRecords)
	fmt.Fprintf(w, "  %d pending messages dropped or scrubbed, %d conversation and message links removed\n", e.Effects, e.Links)
	if !*dryRun {
		fmt.Fprintln(w, "The erased bytes stay in the file's free pages until you run `firstline compact`; backups made before still hold them.")
	}
	return nil
}

func (m *Main) compact(ctx context.Context, args []string) error {
	fs := m.flagSet("compact")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("compact takes no arguments, got %q", rest)
	}
	data, err := m.existingData()
	if err != nil {
		return err
	}
	before, after, err := storage.Compact(ctx, data, storeOptions)
	if err != nil {
		return storeError(err)
	}
	fmt.Fprintf(m.Stdout, "Compacted %s: %s before, %s now; verified.\n", data, byteSize(before), byteSize(after))
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func ticketCount(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "ticket", "tickets")) }

func list(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ": " + strings.Join(ids, ", ")
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
