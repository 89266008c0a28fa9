package web

// The front page. For the desk's staff, the queue at a glance: the active tickets by tier and status,
// the deadlines nearest and the ones breached, what waits to be claimed, their own tickets, and today's
// figures. For an employee, their own tickets.

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// registerPages registers the console's pages and their actions; sign-in's are in auth.go.
func (s *Server) registerPages() {
	s.handle("GET /{$}", SignedIn, s.queue)
	s.handle("GET /tickets", SignedIn, s.ticketsList)
	s.handle("GET /tickets/{id}", SignedIn, s.ticketShow)
	s.handle("POST /tickets/{id}/{action}", SignedIn, s.ticketAct)
	s.handle("GET /kb", SignedIn, s.kbList)
	s.handle("GET /kb/{id}", SignedIn, s.kbArticle)
	s.handle("GET /kb/{id}/diff", Staff, s.kbDiff)
	s.handle("GET /kb/new", AdminOnly, s.kbNew)
	s.handle("POST /kb/new", AdminOnly, s.kbSave)
	s.handle("GET /kb/{id}/edit", AdminOnly, s.kbEdit)
	s.handle("POST /kb/{id}/edit", AdminOnly, s.kbSave)
	s.handle("POST /kb/{id}/{change}", AdminOnly, s.kbChange)
	s.handle("POST /kb/preview", AdminOnly, s.kbPreview)
	s.handle("GET /kb/drafts/{ticket}/edit", AdminOnly, s.kbDraftEdit)
	s.handle("POST /kb/drafts/{ticket}/{change}", AdminOnly, s.kbDraft)
	s.handle("GET /reports", Staff, s.reports)
	s.handle("GET /reports/download", Staff, s.reportDownload)
	s.handle("GET /audit", AdminOnly, s.audit)
	s.handle("GET /health", Staff, s.health)
}

// queueCell is a count in the tier × status table, with the list it opens.
type queueCell struct {
	N    int
	Link string
}

type queueRow struct {
	Tier  string
	Cells []queueCell
	Total queueCell
}

type figure struct {
	Label, Value, Note string
}

type queuePage struct {
	Statuses                 []string
	Rows                     []queueRow
	Totals                   []queueCell
	Total                    queueCell
	Breached, AtRisk, Paused int
	Nearest, Waiting, Mine   []ticketItem
	Today                    []figure
	AsOf                     when
	// An employee's page.
	Open, Closed []ticketItem
}

// queueStatuses are the columns of the queue's table.
var queueStatuses = []bot.Status{bot.StatusOpen, bot.StatusEscalated, bot.StatusClaimed, bot.StatusPendingVendor}

func (s *Server) queue(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !v.Staff() {
		s.myTickets(w, r, v)
		return
	}
	p := queuePage{AsOf: s.when(s.now())}
	for _, st := range queueStatuses {
		p.Statuses = append(p.Statuses, statusName(st))
	}
	midnight := startOfDay(s.now())
	var audit bot.AuditPage
	err := s.cfg.Store.View(r.Context(), func(tx bot.Tx) error {
		rows, err := tx.TicketRows(bot.TicketFilter{Status: activeStatuses})
		if err != nil {
			return err
		}
		s.countQueue(&p, rows)
		nearest, err := tx.FindTickets(bot.TicketFilter{Status: activeStatuses, Order: bot.OrderDue, Limit: 8})
		if err != nil {
			return err
		}
		for _, t := range nearest {
			if t.SLAState().Running() {
				p.Nearest = append(p.Nearest, s.ticketItem(t))
			}
		}
		waiting, err := tx.FindTickets(bot.TicketFilter{Status: []bot.Status{bot.StatusEscalated}, Order: bot.OrderDue, Limit: 8})
		if err != nil {
			return err
		}
		for _, t := range waiting {
			p.Waiting = append(p.Waiting, s.ticketItem(t))
		}
		mine, err := tx.FindTickets(bot.TicketFilter{Assignee: v.User, Status: []bot.Status{bot.StatusClaimed, bot.StatusPendingVendor}, Order: bot.OrderDue, Limit: 8})
		if err != nil {
			return err
		}
		for _, t := range mine {
			p.Mine = append(p.Mine, s.ticketItem(t))
		}
		audit, err = tx.FindAudit(bot.AuditFilter{Action: "ticket.", From: midnight, Limit: todayLimit, Budget: todayLimit})
		return err
	})
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	p.Today = todayFigures(audit, midnight)
	s.render(w, r, v, http.StatusOK, "queue", "Queue", p)
}

// todayLimit bounds the audit entries today's figures read: a desk busier than this shows them from
// the entries read, and says so.
const todayLimit = 200000

// countQueue fills the tier × status table and the SLA counts from the active tickets' rows.
func (s *Server) countQueue(p *queuePage, rows []bot.TicketRow) {
	tiers := []string{bot.LevelOne}
	for _, t := range s.cfg.Desk.Tiers {
		tiers = append(tiers, t.ID)
	}
	counts := map[string]map[bot.Status]int{}
	for _, r := range rows {
		if counts[r.Tier] == nil {
			counts[r.Tier] = map[bot.Status]int{}
			found := false
			for _, t := range tiers {
				found = found || t == r.Tier
			}
			if !found {
				tiers = append(tiers, r.Tier) // a tier since taken out of the config
			}
		}
		counts[r.Tier][r.Status]++
		switch {
		case r.SLA.Paused:
			p.Paused++
		case r.SLA.Breached || (r.SLA.Running() && r.SLA.Due.Before(s.now())):
			p.Breached++
		case r.SLA.Warned:
			p.AtRisk++
		}
	}
	link := func(tier string, st bot.Status) string {
		q := url.Values{}
		if tier != "" {
			q.Set("tier", tier)
		}
		if st != "" {
			q.Set("status", string(st))
		}
		if len(q) == 0 {
			return "/tickets"
		}
		return "/tickets?" + q.Encode()
	}
	p.Totals = make([]queueCell, len(queueStatuses))
	for i, st := range queueStatuses {
		p.Totals[i].Link = link("", st)
	}
	p.Total.Link = link("", "")
	for _, tier := range tiers {
		row := queueRow{Tier: s.tierName(tier), Total: queueCell{Link: link(tier, "")}}
		for i, st := range queueStatuses {
			n := counts[tier][st]
			row.Cells = append(row.Cells, queueCell{N: n, Link: link(tier, st)})
			row.Total.N += n
			p.Totals[i].N += n
		}
		p.Total.N += row.Total.N
		p.Rows = append(p.Rows, row)
	}
}

// todayFigures counts what happened since midnight from the audit log's ticket entries.
func todayFigures(audit bot.AuditPage, midnight time.Time) []figure {
	n := map[string]int{}
	ratings, sum := 0, 0
	for _, e := range audit.Entries {
		if e.At.Before(midnight) {
			continue
		}
		what := strings.TrimPrefix(e.Action, "ticket.")
		n[what]++
		if what == string(bot.TransitionRated) {
			if score, err := strconv.Atoi(strings.TrimSuffix(e.Detail, "/5")); err == nil {
				ratings, sum = ratings+1, sum+score
			}
		}
	}
	rating := "–"
	note := "no ratings yet"
	if ratings > 0 {
		rating = strconv.FormatFloat(float64(sum)/float64(ratings), 'f', 1, 64)
		note = strconv.Itoa(ratings) + " rated"
	}
	figs := []figure{
		{"Opened", strconv.Itoa(n[string(bot.TransitionOpened)]), "today"},
		{"Escalated", strconv.Itoa(n[string(bot.TransitionEscalated)]), "to a tier"},
		{"Claimed", strconv.Itoa(n[string(bot.TransitionClaimed)]), "by a technician"},
		{"Resolved", strconv.Itoa(n[string(bot.TransitionResolved)]), strconv.Itoa(n[string(bot.TransitionReopened)]) + " reopened"},
		{"Rating", rating, note},
	}
	if audit.Next != 0 {
		figs[0].Note = "today (the busiest part read)"
	}
	return figs
}

// startOfDay is midnight before t, in the console's time zone.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.In(time.Local).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.Local)
}

// myTickets is an employee's front page: their tickets, the open ones first.
func (s *Server) myTickets(w http.ResponseWriter, r *http.Request, v *Viewer) {
	var p queuePage
	err := s.cfg.Store.View(r.Context(), func(tx bot.Tx) error {
		tickets, err := tx.FindTickets(bot.TicketFilter{Requester: v.User, Order: bot.OrderNewest, Limit: 50})
		for _, t := range tickets {
			if t.Status.Active() {
				p.Open = append(p.Open, s.ticketItem(t))
			} else {
				p.Closed = append(p.Closed, s.ticketItem(t))
			}
		}
		return err
	})
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.render(w, r, v, http.StatusOK, "mine", "Your tickets", p)
}
