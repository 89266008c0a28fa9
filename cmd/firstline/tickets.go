package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/internal/plural"
)

func (m *Main) ticketsList(ctx context.Context, args []string) error {
	fs := m.flagSet("tickets list")
	status := fs.String("status", "", "only tickets with status `S`: open, escalated, claimed, pending_vendor or resolved")
	asJSON := fs.Bool("json", false, "print the tickets as a JSON array")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("tickets list takes no arguments, got %q", rest)
	}
	var filter bot.TicketFilter
	if *status != "" {
		st, err := bot.ParseStatus(*status)
		if err != nil {
			return usageError("%s", err.(*bot.Error).Message)
		}
		filter.Status = []bot.Status{st}
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
	tickets, err := read.Tickets(ctx, filter)
	if err != nil {
		return fmt.Errorf("list tickets: %w", err)
	}
	if *asJSON {
		if tickets == nil {
			tickets = []control.Ticket{}
		}
		return writeJSON(m.Stdout, tickets)
	}
	if len(tickets) == 0 {
		fmt.Fprintln(m.Stdout, "No tickets.")
		return nil
	}
	// Tiers by name, as the cards show them; -json keeps the ids, as stored.
	tiers := cfg.Bot().Tiers
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tTIER\tPRIORITY\tREQUESTER\tASSIGNEE\tOPENED\tSUBJECT")
	for _, t := range tickets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Status, bot.TierName(tiers, t.Tier), t.Priority, t.Requester, dash(t.Assignee),
			t.CreatedAt.UTC().Format("2006-01-02 15:04"), oneLine(t.Subject, 60))
	}
	return tw.Flush()
}

func (m *Main) ticketsShow(ctx context.Context, args []string) error {
	fs := m.flagSet("tickets show")
	asJSON := fs.Bool("json", false, "print the stored ticket as JSON")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError("tickets show needs one ticket id, like T-000001")
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
	t, err := read.Ticket(ctx, strings.ToUpper(rest[0]))
	if err != nil {
		if bot.IsNotFound(err) {
			return &exitError{code: 1, msg: fmt.Sprintf("no ticket %s in %s", rest[0], m.where(cfg))}
		}
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, t)
	}
	showTicket(m.Stdout, t.Ticket, cfg.Bot().Tiers)
	return nil
}

// showTicket writes t for a person: tiers by name, as the cards show them.
func showTicket(w io.Writer, t *bot.Ticket, tiers []bot.Tier) {
	ts := func(at time.Time) string { return at.UTC().Format("2006-01-02 15:04:05") }
	fmt.Fprintf(w, "%s  %s\n", t.ID, t.Subject)
	fmt.Fprintf(w, "Status:     %s\nTier:       %s\nPriority:   %s\nRequester:  %s (%s)\nAssignee:   %s\nOpened:     %s\n",
		t.Status, bot.TierName(tiers, t.Tier), t.Priority, t.RequesterName, t.Requester, dash(t.Assignee), ts(t.CreatedAt))
	if t.ResolvedAt != nil {
		by := t.ResolvedBy
		if by == "" {
			by = "the desk" // resolved on its own (its retention, an action's end, a monitor's "resolved")
		}
		fmt.Fprintf(w, "Resolved:   %s by %s\n", ts(*t.ResolvedAt), by)
	}
	if t.CSAT != nil {
		fmt.Fprintf(w, "CSAT:       %d/5\n", t.CSAT.Score)
	}
	showIntake(w, t)
	if len(t.Offers) > 0 {
		fmt.Fprintln(w, "\nArticles offered:")
		for _, o := range t.Offers {
			fmt.Fprintf(w, "  %s  %s (confidence %.2f): %s\n", o.Article, o.Title, o.Confidence, dash(o.Feedback))
		}
	}
	fmt.Fprintln(w, "\nHistory:")
	for _, e := range t.Transitions {
		line := fmt.Sprintf("  %s  %-10s", ts(e.At), e.Type)
		if e.To != "" {
			line += fmt.Sprintf(" %s -> %s", dash(string(e.From)), e.To)
		}
		if e.Tier != "" {
			line += " [" + bot.TierName(tiers, e.Tier) + "]"
		}
		if e.By != "" {
			line += " by " + e.By
		}
		if e.Detail != "" {
			line += ": " + e.Detail
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "\nConversation:")
	for _, e := range t.Transcript {
		note := ""
		if e.Internal {
			note = " (internal note)"
		}
		fmt.Fprintf(w, "  %s  %s%s: %s\n", ts(e.At), e.Name, note, oneLine(e.Text, 200))
	}
}

// showIntake writes how a ticket came in (from someone's message, a form), the form's answers and the
// files posted in its conversations.
func showIntake(w io.Writer, t *bot.Ticket) {
	if in := t.Intake; in != nil {
		fmt.Fprintf(w, "Opened by:  %s (%s)\n", dash(in.ByName), in.Via)
	}
	if f := t.Form; f != nil {
		fmt.Fprintf(w, "\nForm %s (%s):\n", f.ID, f.Title)
		for _, a := range f.Answers {
			v := a.Value
			if a.Display != "" {
				v = a.Display + " (" + a.Value + ")"
			}
			fmt.Fprintf(w, "  %s: %s\n", a.Label, oneLine(v, 200))
		}
	}
	if len(t.Files) > 0 {
		fmt.Fprintln(w, "\nAttachments:")
		for _, a := range t.Files {
			about := dash(a.Type)
			if a.Size > 0 {
				about += ", " + plural.Count(a.Size, "byte", "bytes")
			}
			line := fmt.Sprintf("  %s  %s (%s) from %s [%s %s]", a.At.UTC().Format("2006-01-02 15:04:05"), a.Name, about, dash(a.FromName), a.Platform, a.ID)
			if a.Refused != "" {
				line += " not passed on: " + a.Refused
			}
			fmt.Fprintln(w, line)
		}
	}
}
