package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/firstline-desk/firstline/bot"
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
	db, err := m.openData(true)
	if err != nil {
		return err
	}
	defer db.Close()
	var tickets []*bot.Ticket
	out := []ticketJSON{}
	if err := db.View(ctx, func(tx bot.Tx) error {
		tickets, err = tx.FindTickets(filter)
		if err != nil || !*asJSON {
			return err
		}
		for _, t := range tickets {
			j, err := withPosts(tx, t)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("list tickets: %w", err)
	}
	if *asJSON {
		return writeJSON(m.Stdout, out)
	}
	if len(tickets) == 0 {
		fmt.Fprintln(m.Stdout, "No tickets.")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tTIER\tPRIORITY\tREQUESTER\tASSIGNEE\tOPENED\tSUBJECT")
	for _, t := range tickets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Status, t.Tier, t.Priority, t.Requester, dash(t.Assignee),
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
	db, err := m.openData(true)
	if err != nil {
		return err
	}
	defer db.Close()
	var t *bot.Ticket
	var j ticketJSON
	if err := db.View(ctx, func(tx bot.Tx) error {
		if t, err = tx.Ticket(strings.ToUpper(rest[0])); err != nil {
			return err
		}
		j, err = withPosts(tx, t)
		return err
	}); err != nil {
		if bot.IsNotFound(err) {
			return &exitError{code: 1, msg: fmt.Sprintf("no ticket %s in %s", rest[0], m.dataFile())}
		}
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, j)
	}
	showTicket(m.Stdout, t)
	return nil
}

// ticketJSON is a ticket as `tickets show -json` and `tickets list -json` print it: the stored ticket,
// and where the bot's messages of it went, by key ("messages", stored apart from the ticket since
// version 3, and printed with it as before).
type ticketJSON struct {
	*bot.Ticket
	Messages map[string]bot.MessageRef `json:"messages,omitempty"`
}

func withPosts(tx bot.Tx, t *bot.Ticket) (ticketJSON, error) {
	refs, err := tx.PostRefs(t.ID)
	if err != nil {
		return ticketJSON{}, fmt.Errorf("read where the messages of %s went: %w", t.ID, err)
	}
	return ticketJSON{Ticket: t, Messages: refs}, nil
}

func showTicket(w io.Writer, t *bot.Ticket) {
	ts := func(at time.Time) string { return at.UTC().Format("2006-01-02 15:04:05") }
	fmt.Fprintf(w, "%s  %s\n", t.ID, t.Subject)
	fmt.Fprintf(w, "Status:     %s\nTier:       %s\nPriority:   %s\nRequester:  %s (%s)\nAssignee:   %s\nOpened:     %s\n",
		t.Status, t.Tier, t.Priority, t.RequesterName, t.Requester, dash(t.Assignee), ts(t.CreatedAt))
	if t.ResolvedAt != nil {
		fmt.Fprintf(w, "Resolved:   %s by %s\n", ts(*t.ResolvedAt), t.ResolvedBy)
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
			line += " [" + e.Tier + "]"
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
				about += fmt.Sprintf(", %d bytes", a.Size)
			}
			line := fmt.Sprintf("  %s  %s (%s) from %s [%s %s]", a.At.UTC().Format("2006-01-02 15:04:05"), a.Name, about, dash(a.FromName), a.Platform, a.ID)
			if a.Refused != "" {
				line += " not passed on: " + a.Refused
			}
			fmt.Fprintln(w, line)
		}
	}
}
