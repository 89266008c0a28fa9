package control

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

// Reader is what the read commands (tickets, report, audit, kb export, kb search) read: the data file
// itself when no desk runs (Local), or the running desk over its socket (Remote), which holds the file's
// lock. Both return the same values, decoded from the same stored JSON, so a command prints the same
// either way.
type Reader interface {
	// Tickets returns the tickets filter selects (bot.Tx.FindTickets), with where their messages went.
	Tickets(ctx context.Context, filter bot.TicketFilter) ([]Ticket, error)
	// Ticket returns one ticket with where its messages went; ENOTFOUND when there is none with id.
	Ticket(ctx context.Context, id string) (Ticket, error)
	// TicketsActiveOrUpdatedSince returns what a report of a window starting at since counts.
	TicketsActiveOrUpdatedSince(ctx context.Context, since time.Time) ([]*bot.Ticket, error)
	// AuditEntries returns the audit log from since on, oldest first, at most limit (0: all).
	AuditEntries(ctx context.Context, since time.Time, limit int) ([]bot.AuditEntry, error)
	// Articles returns the newest version of every article, sorted by id.
	Articles(ctx context.Context) ([]kb.Article, error)
}

// Ticket is a ticket as `tickets show -json` and `tickets list -json` print it: the stored ticket, and
// where the bot's messages of it went, by key ("messages", stored apart from the ticket since ticket
// version 3, and printed with it as before).
type Ticket struct {
	*bot.Ticket
	Messages map[string]bot.MessageRef `json:"messages,omitempty"`
}

// withPosts is t with where its messages went, read in tx.
func withPosts(tx bot.Tx, t *bot.Ticket) (Ticket, error) {
	refs, err := tx.PostRefs(t.ID)
	if err != nil {
		return Ticket{}, fmt.Errorf("read where the messages of %s went: %w", t.ID, err)
	}
	return Ticket{Ticket: t, Messages: refs}, nil
}

// Source is a store the reads read: the data file (*storage.DB) or a PostgreSQL database
// (*postgres.DB), which the read commands open directly, whatever runs on it.
type Source interface {
	bot.Store
	TicketsActiveOrUpdatedSince(ctx context.Context, since time.Time) ([]*bot.Ticket, error)
	AuditEntries(ctx context.Context, since time.Time, limit int) ([]bot.AuditEntry, error)
}

var _ Source = (*storage.DB)(nil)

// Local reads the open store db.
func Local(db Source) Reader { return local{db} }

type local struct{ db Source }

func (l local) Tickets(ctx context.Context, filter bot.TicketFilter) ([]Ticket, error) {
	var out []Ticket
	err := l.db.View(ctx, func(tx bot.Tx) error {
		tickets, err := tx.FindTickets(filter)
		if err != nil {
			return err
		}
		out = make([]Ticket, 0, len(tickets))
		for _, t := range tickets {
			j, err := withPosts(tx, t)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

func (l local) Ticket(ctx context.Context, id string) (Ticket, error) {
	var out Ticket
	err := l.db.View(ctx, func(tx bot.Tx) error {
		t, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		out, err = withPosts(tx, t)
		return err
	})
	return out, err
}

func (l local) TicketsActiveOrUpdatedSince(ctx context.Context, since time.Time) ([]*bot.Ticket, error) {
	return l.db.TicketsActiveOrUpdatedSince(ctx, since)
}

func (l local) AuditEntries(ctx context.Context, since time.Time, limit int) ([]bot.AuditEntry, error) {
	return l.db.AuditEntries(ctx, since, limit)
}

func (l local) Articles(ctx context.Context) ([]kb.Article, error) {
	return bot.LiveKBArticles(ctx, l.db)
}

// Remote reads through the desk answering on the socket at path.
func Remote(path string) Reader { return remote{path} }

type remote struct{ path string }

// call sends req; a domain error the desk answered with comes back as a *bot.Error with its code, as the
// data file's own reads return it.
func (r remote) call(ctx context.Context, req Request) (Response, error) {
	resp, err := Call(ctx, r.path, req)
	var ce *Error
	if errors.As(err, &ce) && resp.Code != "" {
		return resp, &bot.Error{Code: resp.Code, Message: resp.Error}
	}
	return resp, err
}

func (r remote) Tickets(ctx context.Context, filter bot.TicketFilter) ([]Ticket, error) {
	resp, err := r.call(ctx, Request{Op: "tickets", Requester: filter.Requester, Status: filter.Status, Limit: filter.Limit})
	return resp.Found, err
}

func (r remote) Ticket(ctx context.Context, id string) (Ticket, error) {
	resp, err := r.call(ctx, Request{Op: "ticket", ID: id})
	if err != nil || resp.Ticket == nil {
		return Ticket{}, err
	}
	return *resp.Ticket, nil
}

func (r remote) TicketsActiveOrUpdatedSince(ctx context.Context, since time.Time) ([]*bot.Ticket, error) {
	resp, err := r.call(ctx, Request{Op: "tickets_since", Since: since})
	return resp.List, err
}

func (r remote) AuditEntries(ctx context.Context, since time.Time, limit int) ([]bot.AuditEntry, error) {
	resp, err := r.call(ctx, Request{Op: "audit", Since: since, Limit: limit})
	return resp.Audit, err
}

func (r remote) Articles(ctx context.Context) ([]kb.Article, error) {
	resp, err := r.call(ctx, Request{Op: "articles"})
	return resp.Articles, err
}

// Ping reports whether a desk answers on the socket at path: nil when one does, ErrNotRunning when none
// does.
func Ping(ctx context.Context, path string) error {
	_, err := Call(ctx, path, Request{Op: "ping"})
	return err
}
