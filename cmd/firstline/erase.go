package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/storage/dump"
)

// eraseUser refuses while the desk runs on its data file rather than asking it over the control socket:
// the desk may be in the middle of work on the person's tickets (an answer being searched, a message
// being posted), and erasure is followed by compact, which needs the desk stopped anyway. On PostgreSQL
// it erases while the replicas run (erasePostgres).
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
	cfg, err := m.offlineConfig()
	if err != nil {
		return err
	}
	if cfg.postgresOn() {
		return m.erasePostgres(ctx, cfg, user, *dryRun)
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
	if m.printErasure(e, user, data, *dryRun) {
		fmt.Fprintln(m.Stdout, "The erased bytes stay in the file's free pages until you run `firstline compact`; backups made before still hold them.")
	}
	return nil
}

// erasePostgres erases user from the desk in the PostgreSQL database of cfg while its replicas run: the
// desk is copied into a data file of its own (a temporary folder, removed after), erased there as a data
// file is, and written back, all in one transaction that holds the desk's tables against writes (the
// replicas wait, then go on with the erased desk: postgres.DB.Rewrite). A dry run writes nothing back.
func (m *Main) erasePostgres(ctx context.Context, cfg Config, user string, dryRun bool) error {
	pg, err := m.openPostgres(ctx, cfg, false, nil)
	if err != nil {
		return err
	}
	defer pg.Close()
	dir, err := os.MkdirTemp("", "firstline-erase-") // mode 0700: the copy holds what is being erased
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var e storage.Erasure
	errDry := errors.New("dry run")
	err = pg.Rewrite(ctx, func(export func(func(dump.Record) error) error, put func(dump.Record) error) error {
		path := filepath.Join(dir, "firstline.db")
		im, err := storage.NewImporter(path)
		if err != nil {
			return err
		}
		err = export(im.Put)
		if cerr := im.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("copy the desk to erase it: %w", err)
		}
		db, err := storage.Open(path, storage.Options{NoSync: true})
		if err != nil {
			return err
		}
		defer db.Close()
		if e, err = db.EraseUser(ctx, user, dryRun); err != nil {
			return err
		}
		if dryRun {
			return errDry
		}
		return db.Export(ctx, put)
	})
	if err != nil && !errors.Is(err, errDry) {
		return storeError(err)
	}
	if m.printErasure(e, user, "PostgreSQL at "+pg.Where(), dryRun) {
		fmt.Fprintln(m.Stdout, "The erased rows stay in PostgreSQL's files until it vacuums them (VACUUM FULL to be sure now); its WAL, standbys and pg_dump backups made before still hold them.")
	}
	return nil
}

// printErasure says what an erasure of user from where changed, and reports whether it changed anything
// for real (not in a dry run).
func (m *Main) printErasure(e storage.Erasure, user, where string, dryRun bool) bool {
	w := m.Stdout
	if e.DeletedTickets == nil && e.ChangedTickets == nil &&
		e.AuditEntries+e.ArticleVersions+e.AdapterRecords+e.WebRecords+e.ActionRuns+e.Effects+e.Links == 0 {
		fmt.Fprintf(w, "Found nothing of %s in %s: check the id (it is written as in tickets list, like slack:U0123ABCD).\n", user, where)
		return false
	}
	verb := "Erased"
	if dryRun {
		verb = "A dry run, nothing changed. It would erase"
	}
	fmt.Fprintf(w, "%s %s from %s:\n", verb, user, where)
	fmt.Fprintf(w, "  %s they requested deleted%s\n", ticketCount(len(e.DeletedTickets)), list(e.DeletedTickets))
	fmt.Fprintf(w, "  %s changed%s\n", plural.Count(len(e.ChangedTickets), "other ticket", "other tickets"), list(e.ChangedTickets))
	fmt.Fprintf(w, "  %d of their messages replaced by \"[erased]\"\n", e.Messages)
	fmt.Fprintf(w, "  %s and %s naming them (history, resolved by, ratings, drafts) set to \"erased\"\n",
		plural.Count(e.Assignments, "assignment", "assignments"), plural.Count(e.Fields, "other field", "other fields"))
	fmt.Fprintf(w, "  %s of their name, id or words replaced in other text\n", plural.Count(e.Mentions, "mention", "mentions"))
	fmt.Fprintf(w, "  %s, %s, %s rewritten\n", plural.Count(e.AuditEntries, "audit entry", "audit entries"),
		plural.Count(e.ArticleVersions, "article version", "article versions"), plural.Count(e.AdapterRecords, "adapter record", "adapter records"))
	fmt.Fprintf(w, "  %s on other tickets rewritten\n", plural.Count(e.ActionRuns, "action run", "action runs"))
	fmt.Fprintf(w, "  %s dropped or scrubbed, %s removed\n", plural.Count(e.Effects, "pending message", "pending messages"),
		plural.Count(e.Links, "conversation and message link", "conversation and message links"))
	fmt.Fprintf(w, "  %s deleted\n", plural.Count(e.WebRecords, "web console session or sign-in link", "web console sessions and sign-in links"))
	return !dryRun
}
