package bot

// A person's home: what Slack's App Home tab shows them. The engine says what is on it, as a neutral view
// each platform renders (HomePublisher); it publishes it when the person opens it (EventHome) and again
// when a ticket they can see changes, at most once per Config.HomeEvery (homes.go).

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// HomePublisher is a Chat that shows each person a page of their own (Slack's App Home). The engine
// calls it from one goroutine at a time, never the dispatcher's (homes.go); errors are logged and the
// home is published again later; a *RateLimitError holds back the platform's homes for its RetryAfter.
type HomePublisher interface {
	PublishHome(ctx context.Context, v HomeView) error
}

// HomeView is what a person's home shows: the forms they may fill in, their own tickets, and for a
// technician their tiers' queue and the tickets they own.
type HomeView struct {
	User string // "platform:id"
	Desk string // the desk's name
	// Forms are the forms the person may use, each a "New request" button (choice "form:ID").
	Forms []Form
	// Mine are the person's open tickets, most recent first, then those resolved within HomeRecent.
	Mine []HomeTicket
	// Technician: the person works in a tier; Queue and Claimed are theirs.
	Technician bool
	// Queue are the tickets waiting in their tiers' queues, the most urgent first, each with a Claim
	// button where the ownership rule lets them claim it (an EventAction ActionClaim).
	Queue []HomeTicket
	// Claimed are the open tickets they own.
	Claimed []HomeTicket
}

// HomeTicket is a ticket as a home lists it: every value in words, ready to show.
type HomeTicket struct {
	ID       string
	Subject  string
	Status   string // "open", "with Tier 2", "claimed", "waiting on a vendor", "resolved"
	Tier     string // the tier's name
	Priority string
	Owner    string // who owns it, "" when nobody does
	SLA      string // its running SLA deadlines ("response Mon 2 Jan 15:04"), "" when none
	// Claim says the person may claim it (a Claim button).
	Claim   bool
	Updated time.Time
}

// How much a home lists.
const (
	HomeRecent    = 14 * 24 * time.Hour // resolved tickets are listed this long after
	homeMine      = 10                  // of the person's own tickets
	homeQueue     = 20                  // of a tier's queue
	homeMaxViewer = 10_000              // people whose homes are kept fresh at once
)

// DefaultHomeEvery is the least time between two publishes of one person's home.
const DefaultHomeEvery = 5 * time.Second

// Home returns what a person's home shows now. It only reads.
func (e *Engine) Home(ctx context.Context, user string, roles []string) (HomeView, error) {
	v := HomeView{User: user, Desk: e.cfg.Name, Forms: e.Forms(user, roles)}
	tiers, _ := e.cfg.Standing(user, roles)
	v.Technician = len(tiers) > 0
	now := e.clock.Now()
	err := e.store.View(ctx, func(tx Tx) error {
		mine, err := tx.FindTickets(TicketFilter{Requester: user, Order: OrderNewest, Limit: 50})
		if err != nil {
			return err
		}
		for _, t := range mine {
			if len(v.Mine) == homeMine {
				break
			}
			if t.Status.Active() || (t.ResolvedAt != nil && now.Sub(*t.ResolvedAt) <= HomeRecent) {
				v.Mine = append(v.Mine, e.homeTicket(t, user, roles))
			}
		}
		for _, tier := range tiers {
			queue, err := tx.FindTickets(TicketFilter{Tier: tier, Status: []Status{StatusEscalated}, Order: OrderDue, Limit: homeQueue})
			if err != nil {
				return err
			}
			for _, t := range queue {
				v.Queue = append(v.Queue, e.homeTicket(t, user, roles))
			}
		}
		if v.Technician {
			owned, err := tx.FindTickets(TicketFilter{Assignee: user, Status: []Status{StatusClaimed, StatusPendingVendor}, Order: OrderDue, Limit: homeQueue})
			if err != nil {
				return err
			}
			for _, t := range owned {
				v.Claimed = append(v.Claimed, e.homeTicket(t, user, roles))
			}
		}
		return nil
	})
	if err != nil {
		return HomeView{}, fmt.Errorf("home of %s: %w", user, err)
	}
	return v, nil
}

// homeTicket is t as the person's home lists it.
func (e *Engine) homeTicket(t *Ticket, user string, roles []string) HomeTicket {
	h := HomeTicket{ID: t.ID, Subject: quoteLine(t.Subject), Tier: e.cfg.tierName(t.Tier), Priority: t.Priority, Owner: t.AssigneeName,
		SLA: slaDueText(t), Updated: t.UpdatedAt}
	switch t.Status {
	case StatusEscalated:
		h.Status = "waiting for " + h.Tier
	case StatusPendingVendor:
		h.Status = "with a vendor"
	default:
		h.Status = string(t.Status)
	}
	if h.Owner == "" && t.Assignee != "" && t.Status.hasOwner() {
		h.Owner = nameOf("", t.Assignee)
	}
	if !t.Status.hasOwner() || t.Status == StatusResolved {
		h.Owner = ""
	}
	card, tier := cardTier(t)
	a := actor{user: user, member: e.cfg.isMember(tier, user, roles), admin: e.cfg.isAdmin(user, roles), requester: user == t.Requester}
	if v, _ := e.cfg.mayAct(t, tier, a, actClaim); v == allow && card != nil {
		h.Claim = true
	}
	return h
}

// home handles EventHome: the person is looking at their home, which is published for them once the
// event is recorded, and kept fresh from then on.
func (w *work) home() error {
	user, roles, now := w.ev.User, slices.Clone(w.ev.Roles), w.now
	w.tx.afterCommit(func() {
		w.e.homes.seen(user, roles, now, w.e.cfg.HomeEvery)
		w.e.kickHomes()
	})
	return nil
}
