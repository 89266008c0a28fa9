package web

// The list of tickets (/tickets): filters, a text search, sorting and pages, read from the store's list
// indexes (Tx.TicketRows, Tx.FindTickets), so a page costs its rows, not the desk. An employee's list is
// their own tickets, searched in what they see. The page updates itself while open: its script asks for
// the results again (?partial=results) and swaps them in.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/markdown"
)

// ticketsPerPage is how many tickets a list shows at a time.
const ticketsPerPage = 25

// activeStatuses are the statuses of a ticket that still needs work.
var activeStatuses = []bot.Status{bot.StatusOpen, bot.StatusEscalated, bot.StatusClaimed, bot.StatusPendingVendor}

// ticketQuery is the list's filter as the page's form and links carry it.
type ticketQuery struct {
	Status    string // "" or "active": the active statuses; "all"; or one status
	Tier      string
	Priority  string
	Assignee  string // "platform:id", or "me"
	Requester string
	Platform  string
	From, To  string // dates, 2006-01-02, in the console's time zone; To is included
	Q         string
	Sort      string // "due" (default), "newest", "oldest"
	Page      int
}

func parseTicketQuery(q url.Values) ticketQuery {
	tq := ticketQuery{
		Status: q.Get("status"), Tier: q.Get("tier"), Priority: q.Get("priority"), Assignee: strings.TrimSpace(q.Get("assignee")),
		Requester: strings.TrimSpace(q.Get("requester")), Platform: q.Get("platform"), From: q.Get("from"), To: q.Get("to"),
		Q: strings.TrimSpace(q.Get("q")), Sort: q.Get("sort"),
	}
	tq.Page, _ = strconv.Atoi(q.Get("page"))
	tq.Page = min(max(tq.Page, 1), 10000)
	switch tq.Sort {
	case "newest", "oldest":
	default:
		tq.Sort = "due"
	}
	return tq
}

// values is the query as a link's parameters, without the page, and without what is at its default.
func (tq ticketQuery) values() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("status", tq.Status)
	set("tier", tq.Tier)
	set("priority", tq.Priority)
	set("assignee", tq.Assignee)
	set("requester", tq.Requester)
	set("platform", tq.Platform)
	set("from", tq.From)
	set("to", tq.To)
	set("q", tq.Q)
	if tq.Sort != "due" {
		q.Set("sort", tq.Sort)
	}
	return q
}

// link is the list's address with the query and page n.
func (tq ticketQuery) link(n int) string {
	q := tq.values()
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return "/tickets"
	}
	return "/tickets?" + q.Encode()
}

// filter is the query as the store reads it, for v. Problems (a date that is not one) are returned as
// sentences, and the rest of the filter still applies.
func (s *Server) ticketFilter(tq ticketQuery, v *Viewer) (bot.TicketFilter, []string) {
	var f bot.TicketFilter
	var problems []string
	switch tq.Status {
	case "", "active":
		f.Status = activeStatuses
	case "all":
	default:
		st, err := bot.ParseStatus(tq.Status)
		if err != nil {
			problems = append(problems, "There is no status "+strconv.Quote(tq.Status)+": showing the active tickets.")
			f.Status = activeStatuses
		} else {
			f.Status = []bot.Status{st}
		}
	}
	f.Tier, f.Priority, f.Platform, f.Requester, f.Text = tq.Tier, tq.Priority, tq.Platform, tq.Requester, tq.Q
	f.Assignee = tq.Assignee
	if f.Assignee == "me" {
		f.Assignee = v.User
	}
	loc := time.Local
	if tq.From != "" {
		if d, err := time.ParseInLocation(time.DateOnly, tq.From, loc); err == nil {
			f.CreatedFrom = d
		} else {
			problems = append(problems, "“From” is not a date like 2026-03-02: it is left out.")
		}
	}
	if tq.To != "" {
		if d, err := time.ParseInLocation(time.DateOnly, tq.To, loc); err == nil {
			f.CreatedTo = d.AddDate(0, 0, 1) // the whole day
		} else {
			problems = append(problems, "“To” is not a date like 2026-03-09: it is left out.")
		}
	}
	switch tq.Sort {
	case "newest":
		f.Order = bot.OrderNewest
	case "oldest":
		f.Order = bot.OrderOldest
	default:
		f.Order = bot.OrderDue
	}
	if !v.Staff() {
		// An employee's list is their own tickets, searched in what they see of them.
		f.Requester, f.Visible = v.User, true
	}
	f.Offset, f.Limit = (tq.Page-1)*ticketsPerPage, ticketsPerPage+1
	return f, problems
}

// ticketItem is one ticket in a list.
type ticketItem struct {
	ID, Subject, Status, StatusClass, Tier, Priority string
	Requester, RequesterID, Assignee, AssigneeID     string
	Platform                                         string
	Opened, Updated                                  when
	Due                                              dueView
	Rating                                           int
}

func (s *Server) ticketItem(t *bot.Ticket) ticketItem {
	it := ticketItem{
		ID: t.ID, Subject: oneLine(t.Subject), Status: statusName(t.Status), StatusClass: string(t.Status),
		Tier: s.tierName(t.Tier), Priority: t.Priority,
		Requester: personName(t.RequesterName, t.Requester), RequesterID: t.Requester,
		Assignee: personName(t.AssigneeName, t.Assignee), AssigneeID: t.Assignee, Platform: t.Conversation.Platform,
		Opened: s.when(t.CreatedAt), Updated: s.when(t.UpdatedAt), Due: s.due(t.SLAState()),
	}
	if it.Subject == "" {
		it.Subject = "(no subject)"
	}
	if isMonitorTicket(t) {
		it.Requester = monitorLabel(it.Requester)
	}
	if t.CSAT != nil {
		it.Rating = t.CSAT.Score
	}
	return it
}

// oneLine is text as one line of plain words, for a list or a heading: a subject is the first line of
// what someone wrote, Markdown and all.
func oneLine(s string) string {
	return strings.Join(strings.Fields(markdown.Inlines(markdown.ParseInline(s))), " ")
}

// ticketsPage is the data of the list.
type ticketsPage struct {
	Query      ticketQuery
	Problems   []string
	Tickets    []ticketItem
	Page       int
	Prev, Next string // links to the pages around it, "" at an end
	Self       string // this page's address, which the script asks again for fresh results
	Tiers      []bot.Tier
	Statuses   []option
	Platforms  []string
	Staff      bool
	Filtered   bool // anything but the default filter is set
	AsOf       when
	PollMS     int64 // how often the page asks for fresh results
	// Sig changes when what the results show changes (a ticket, its state, the minute): the page's script
	// swaps fresh results in only then, so a list that did not change keeps its place and focus.
	Sig string
}

// option is a choice in a <select>.
type option struct{ Value, Label string }

func (s *Server) ticketsList(w http.ResponseWriter, r *http.Request, v *Viewer) {
	tq := parseTicketQuery(r.URL.Query())
	f, problems := s.ticketFilter(tq, v)
	var tickets []*bot.Ticket
	err := s.cfg.Store.View(r.Context(), func(tx bot.Tx) error {
		var err error
		tickets, err = tx.FindTickets(f)
		return err
	})
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	p := ticketsPage{Query: tq, Problems: problems, Page: tq.Page, Self: tq.link(tq.Page), Tiers: s.cfg.Desk.Tiers,
		Platforms: s.platforms(), Staff: v.Staff(), AsOf: s.when(s.now()), PollMS: s.cfg.PollEvery.Milliseconds()}
	p.Statuses = []option{{"active", "Active"}, {"all", "All"}}
	for _, st := range append(append([]bot.Status{}, activeStatuses...), bot.StatusResolved) {
		p.Statuses = append(p.Statuses, option{string(st), statusName(st)})
	}
	p.Filtered = len(tq.values()) > 0
	if len(tickets) > ticketsPerPage {
		tickets = tickets[:ticketsPerPage]
		p.Next = tq.link(tq.Page + 1)
	}
	if tq.Page > 1 {
		p.Prev = tq.link(tq.Page - 1)
	}
	sig := sha256.New()
	fmt.Fprintf(sig, "%d %s\n", s.now().Unix()/60, p.Next)
	for _, t := range tickets {
		p.Tickets = append(p.Tickets, s.ticketItem(t))
		fmt.Fprintf(sig, "%s %d %s %s %s\n", t.ID, t.UpdatedAt.UnixNano(), t.Status, t.Assignee, t.Priority)
	}
	p.Sig = hex.EncodeToString(sig.Sum(nil)[:8])
	title := "Tickets"
	if !v.Staff() {
		title = "Your tickets"
	}
	if r.URL.Query().Get("partial") == "results" {
		s.renderBlock(w, r, v, "tickets", "results", title, p)
		return
	}
	s.render(w, r, v, http.StatusOK, "tickets", title, p)
}

// renderBlock writes one block of a page's template, with the same data the page gets: the part a
// page's script fetches to update itself.
func (s *Server) renderBlock(w http.ResponseWriter, r *http.Request, v *Viewer, name, block, title string, data any) {
	t, ok := s.tmpl.pages[name]
	if !ok {
		s.log.Error("no such page template", "template", name)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	p := Page{Title: title, Desk: s.cfg.Desk.Name, Viewer: v, Path: r.URL.Path, Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, p); err != nil {
		s.log.Error("render page block", "template", name, "block", block, "err", err)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// platforms are the list's choices of platform: the chat platforms, "alerts" for monitors' tickets, and
// any other the desk's channels are on.
func (s *Server) platforms() []string {
	out := []string{"slack", "discord", "console", bot.AlertPlatform}
	channels := slices.Clone(s.cfg.Desk.HelpChannels)
	for _, t := range s.cfg.Desk.Tiers {
		channels = append(channels, t.Channel)
	}
	for _, ch := range channels {
		if p, _ := bot.SplitID(ch); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
