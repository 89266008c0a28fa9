package main

import (
	"context"
	"fmt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
	"github.com/firstline-desk/firstline/storage"
)

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
	if err := m.boltOnly("erase-user", "it has no PostgreSQL version yet: stop the desk, copy it to a data file (firstline migrate -to bbolt), erase there, and copy it back (firstline migrate -to postgres, into an empty database); see docs/replicas.md"); err != nil {
		return err
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
	if e.DeletedTickets == nil && e.ChangedTickets == nil &&
		e.AuditEntries+e.ArticleVersions+e.AdapterRecords+e.WebRecords+e.ActionRuns+e.Effects+e.Links == 0 {
		fmt.Fprintf(w, "Found nothing of %s in %s: check the id (it is written as in tickets list, like slack:U0123ABCD).\n", user, data)
		return nil
	}
	verb := "Erased"
	if *dryRun {
		verb = "A dry run, nothing changed. It would erase"
	}
	fmt.Fprintf(w, "%s %s from %s:\n", verb, user, data)
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
	if !*dryRun {
		fmt.Fprintln(w, "The erased bytes stay in the file's free pages until you run `firstline compact`; backups made before still hold them.")
	}
	return nil
}
