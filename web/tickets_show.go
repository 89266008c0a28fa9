package web

// A ticket's page (/tickets/T-000123): its fields, SLA clocks, the whole conversation (internal notes
// marked, and shown to the desk's staff only), the history of every transition, the articles offered with
// what the requester said of them, the rating, and the actions the viewer may take on it.

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/firstline-desk/firstline/bot"
)

// ticketView is the data of a ticket's page.
type ticketView struct {
	ticketItem
	Staff          bool
	RequesterName  string
	Conversation   []entryView
	History        []historyView
	Offers         []offerView
	Form           []formLine
	Files          []fileView
	Alert          *alertView // a monitor's alert group; nil for a person's ticket
	Monitor        bool       // a monitor asked: it reads nothing, so nothing is replied to it
	Clocks         []clockView
	Rating         *ratingView
	Vendor         string
	Summary        template.HTML
	Draft          string
	Resolved       when
	Category       string
	SuggestedPrio  string
	Actions        ticketActions
	Error          template.HTML // a refused action's reason, shown above the forms
	ReplyText      string        // what was typed, kept when the action was refused
	NoteText       string
	Event          string // the forms' event id: a form sent twice acts once
	Priorities     []string
	InternalHidden int // notes an employee does not see (for staff: 0)
}

type entryView struct {
	Who, Role, Initial string
	At                 when
	Text               template.HTML
	Internal, Bot      bool
	Requester          bool
}

type historyView struct {
	At     when
	What   string
	By     string
	Detail string
}

// formLine is one answer of the form a ticket was opened with.
type formLine struct{ Label, Value string }

// fileView is a file posted in the ticket's conversations: the desk keeps what it is and where, not its
// content, so the page names it and links where its platform shows it.
type fileView struct {
	Name, About, From, URL, Refused string
	At                              when
}

type offerView struct {
	Article, Title, Feedback string
	Confidence               int // percent
	At                       when
	Model                    bool
}

type clockView struct {
	Name   string // "Response", "Resolution"
	State  string // "met", "breached", "running", "paused"
	Text   string // "met 14:05, due 14:30"
	Detail string
}

type ratingView struct {
	Score   int
	Stars   string
	Comment string
	At      when
}

// ticketActions says which of the actions the page offers: the ones the viewer may take, by the
// rule the engine applies (the engine decides again when one is sent).
type ticketActions struct {
	Claim, Release, Reply, Note, Priority, Escalate, Resolve, Reopen, Rate bool
	EscalateLabel, ResolveLabel                                            string
}

func (a ticketActions) Any() bool {
	return a.Claim || a.Release || a.Reply || a.Note || a.Priority || a.Escalate || a.Resolve || a.Reopen || a.Rate
}

// loadTicket reads the ticket id for v: ENOTFOUND when there is none or it is not theirs to see.
func (s *Server) loadTicket(r *http.Request, v *Viewer, id string) (*bot.Ticket, error) {
	var t *bot.Ticket
	err := s.cfg.Store.View(r.Context(), func(tx bot.Tx) error {
		var err error
		t, err = tx.Ticket(id)
		return err
	})
	if err == nil && !v.MaySee(t) {
		err = bot.Errorf(bot.ENOTFOUND, "no ticket %s for %s", id, v.User)
	}
	return t, err
}

func (s *Server) ticketShow(w http.ResponseWriter, r *http.Request, v *Viewer) {
	t, err := s.loadTicket(r, v, r.PathValue("id"))
	if bot.IsNotFound(err) {
		s.notFound(w, r, v, "ticket "+r.PathValue("id"))
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	s.renderTicket(w, r, v, http.StatusOK, t, ticketForm{})
}

// ticketForm is what a refused action's form held, to show it again.
type ticketForm struct {
	Error      string
	Reply      string
	Note       string
	StatusCode int
}

func (s *Server) renderTicket(w http.ResponseWriter, r *http.Request, v *Viewer, status int, t *bot.Ticket, form ticketForm) {
	tv := s.ticketView(t, v)
	if form.Error != "" {
		tv.Error = renderInline(form.Error)
	}
	tv.ReplyText, tv.NoteText = form.Reply, form.Note
	s.render(w, r, v, status, "ticket", t.ID+": "+tv.Subject, tv)
}

func (s *Server) ticketView(t *bot.Ticket, v *Viewer) ticketView {
	tv := ticketView{
		ticketItem: s.ticketItem(t), Staff: v.Staff(), RequesterName: personName(t.RequesterName, t.Requester),
		Category: t.Category, SuggestedPrio: t.SuggestedPriority, Event: NewEventID(),
		Priorities: []string{"P1", "P2", "P3", "P4"},
	}
	if t.ResolvedAt != nil && t.Status == bot.StatusResolved {
		tv.Resolved = s.when(*t.ResolvedAt)
	}
	if tv.Monitor = isMonitorTicket(t); tv.Monitor {
		tv.Alert = s.alertView(t)
	}
	for _, e := range t.Transcript {
		if e.Internal && !tv.Staff {
			tv.InternalHidden++
			continue
		}
		ev := entryView{
			Who: personName(e.Name, e.Author), Role: e.Role, At: s.when(e.At), Text: renderMarkdown(e.Text, 2),
			Internal: e.Internal, Bot: e.Role == bot.RoleBot, Requester: e.Role == bot.RoleRequester,
		}
		if ev.Requester && tv.Monitor {
			ev.Role = "monitor"
		}
		if ev.Bot && ev.Who == "" {
			ev.Who = s.cfg.Desk.Name
		}
		ev.Initial = pageFuncs["initial"].(func(string) string)(ev.Who)
		tv.Conversation = append(tv.Conversation, ev)
	}
	if tv.Staff {
		for _, e := range t.Transitions {
			h := historyView{At: s.when(e.At), What: transitionText(e, s), Detail: e.Detail}
			if e.By != "" {
				h.By = s.personOn(t, e.By)
			}
			tv.History = append(tv.History, h)
		}
		if t.Summary != nil && t.Summary.Text != "" {
			tv.Summary = renderMarkdown(t.Summary.Text, 3)
		}
		if t.Vendor != nil {
			tv.Vendor = t.Vendor.Name
			if t.Vendor.Reference != "" {
				tv.Vendor += " (" + t.Vendor.Reference + ")"
			}
			if t.Vendor.Back != nil {
				tv.Vendor += ", back since " + s.when(*t.Vendor.Back).Full
			}
		}
		if d := t.Draft; d != nil {
			switch d.Outcome {
			case "":
				tv.Draft = "An article drafted from it, “" + d.Title + "”, waits for review."
			case "published":
				tv.Draft = "An article drafted from it was published as " + d.Article + "."
			default:
				tv.Draft = "An article drafted from it was " + d.Outcome + "."
			}
		}
	}
	if f := t.Form; f != nil {
		for _, a := range f.Answers {
			v := a.Value
			switch {
			case a.Display != "":
				v = a.Display // a person's name, rather than their id
			case a.Type == bot.FieldUser:
				// Named when the form was sent without the person's name: their platform's, as the
				// console names anyone, with the id beside it.
				if n := s.platformName(a.Value); n != "" {
					v = n + " (" + a.Value + ")"
				}
			}
			tv.Form = append(tv.Form, formLine{Label: a.Label, Value: v})
		}
	}
	for _, a := range t.Files {
		if a.Internal && !tv.Staff {
			continue // a technician's note's file, as the note
		}
		var about []string
		if media := a.Type; media != "" {
			about = append(about, media)
		}
		if a.Size > 0 {
			about = append(about, strconv.FormatInt(a.Size, 10)+" bytes")
		}
		fv := fileView{Name: a.Name, About: strings.Join(about, ", "), From: personName(a.FromName, a.From), Refused: a.Refused, At: s.when(a.At)}
		if strings.HasPrefix(a.URL, "https://") {
			fv.URL = a.URL
		}
		tv.Files = append(tv.Files, fv)
	}
	for _, o := range t.Offers {
		tv.Offers = append(tv.Offers, offerView{Article: o.Article, Title: o.Title, Feedback: feedbackText(o.Feedback),
			Confidence: int(o.Confidence*100 + 0.5), At: s.when(o.At), Model: o.Model})
	}
	tv.Clocks = s.clocks(t)
	if c := t.CSAT; c != nil {
		tv.Rating = &ratingView{Score: c.Score, Stars: strings.Repeat("★", c.Score) + strings.Repeat("☆", 5-c.Score), Comment: c.Comment, At: s.when(c.RatedAt)}
	}
	tv.Actions = s.actionsFor(t, v)
	return tv
}

// personOn names who did something on t: its requester or owner by the names the ticket keeps, else
// the id.
func (s *Server) personOn(t *bot.Ticket, id string) string {
	switch id {
	case t.Requester:
		return personName(t.RequesterName, id)
	case t.Assignee:
		return personName(t.AssigneeName, id)
	}
	for _, e := range t.Transcript {
		if e.Author == id && e.Name != "" {
			return e.Name
		}
	}
	return personName("", id)
}

// transitionText says a transition in words.
func transitionText(e bot.Transition, s *Server) string {
	switch e.Type {
	case bot.TransitionOpened:
		return "Opened"
	case bot.TransitionClarifying:
		return "Asked the requester what is wrong"
	case bot.TransitionAnswered:
		return "Answered from the knowledge base"
	case bot.TransitionFeedback:
		return "Feedback on an answer"
	case bot.TransitionFollowUp:
		return "Follow-up with nothing new to offer"
	case bot.TransitionPriority:
		return "Priority changed"
	case bot.TransitionPrioritySuggested:
		return "AI suggested a priority"
	case bot.TransitionEscalated:
		return "Escalated to " + s.tierName(e.Tier)
	case bot.TransitionClaimed:
		return "Claimed"
	case bot.TransitionReleased:
		return "Released to the queue"
	case bot.TransitionWaiting:
		return "Waiting on the requester"
	case bot.TransitionResumed:
		return "Requester answered"
	case bot.TransitionVendor:
		return "Handed to a vendor"
	case bot.TransitionVendorBack:
		return "Back from the vendor"
	case bot.TransitionVendorOverdue:
		return "Vendor overdue"
	case bot.TransitionSLAWarned:
		return "SLA warning"
	case bot.TransitionSLABreached:
		return "SLA breached"
	case bot.TransitionResolved:
		return "Resolved"
	case bot.TransitionReopened:
		return "Reopened"
	case bot.TransitionRated:
		return "Rated"
	case bot.TransitionRatingComment:
		return "Rating comment"
	case bot.TransitionAlertFiring:
		return "The monitor says it fires"
	case bot.TransitionAlertResolved:
		return "The monitor says it is resolved"
	}
	return string(e.Type)
}

func feedbackText(f string) string {
	switch f {
	case bot.FeedbackSolved:
		return "Solved it"
	case bot.FeedbackNotHelpful:
		return "Not helpful"
	case bot.FeedbackHuman:
		return "Asked for a human"
	}
	return "No answer"
}

// clocks are the ticket's SLA clocks as the page shows them.
func (s *Server) clocks(t *bot.Ticket) []clockView {
	if t.SLA == nil {
		return nil
	}
	var out []clockView
	for _, c := range []struct {
		name  string
		clock bot.SLAClock
	}{{"Response", t.SLA.Response}, {"Resolution", t.SLA.Resolution}} {
		cl := c.clock
		if cl.Start == nil || cl.Due == nil {
			continue
		}
		cv := clockView{Name: c.name}
		due := s.when(*cl.Due)
		switch at, met, decided := cl.Outcome(); {
		case decided && met:
			cv.State, cv.Text = "met", "Met "+s.when(at).Full
			cv.Detail = "due " + due.Full
		case decided:
			cv.State = "breached"
			cv.Text = "Breached " + due.Rel
			if cl.Met != nil {
				cv.Text = "Late: done " + s.when(*cl.Met).Full
			}
			cv.Detail = "was due " + due.Full
		case t.SLA.WaitingSince != nil:
			cv.State, cv.Text = "paused", "Paused: waiting on the requester since "+s.when(*t.SLA.WaitingSince).Rel
			cv.Detail = "was due " + due.Full + " before the pause"
		default:
			cv.State, cv.Text = "running", "Due "+due.Rel
			if cl.Warned {
				cv.State = "risk"
			}
			if due.Rel != "" && s.now().After(*cl.Due) {
				cv.State, cv.Text = "breached", "Overdue by "+span(s.now().Sub(*cl.Due))
			}
			cv.Detail = "due " + due.Full
		}
		if cl.Paused > 0 {
			cv.Detail += " · " + span(cl.Paused) + " paused"
		}
		out = append(out, cv)
	}
	return out
}

// actionsFor says which actions the page offers v on t: what the engine's rules would let them do. The
// engine checks again when one is sent, so an out-of-date page can only offer too much, never allow it.
func (s *Server) actionsFor(t *bot.Ticket, v *Viewer) ticketActions {
	var a ticketActions
	tier := t.Tier
	for _, c := range t.Cards {
		if c.Current {
			tier = c.Tier
		}
	}
	works := v.Works(tier) || v.Admin
	member := v.Works(tier)
	isRequester := v.User == t.Requester
	firstTier := ""
	if len(s.cfg.Desk.Tiers) > 0 {
		firstTier = s.cfg.Desk.Tiers[0].ID
	}
	switch t.Status {
	case bot.StatusEscalated:
		a.Claim = member
	case bot.StatusClaimed:
		a.Release = t.Assignee == v.User
	}
	if t.Status.Active() {
		hasCard := t.Tier != bot.LevelOne
		// A monitor reads nothing: what a technician has to say of its ticket is a note.
		a.Reply = hasCard && works && !isMonitorTicket(t)
		a.Note = works || (t.Tier == bot.LevelOne && (v.Works(firstTier) || v.Admin))
		a.Priority = works
		last := len(s.cfg.Desk.Tiers) > 0 && t.Tier == s.cfg.Desk.Tiers[len(s.cfg.Desk.Tiers)-1].ID
		switch {
		case t.Status == bot.StatusPendingVendor:
		case t.Tier == bot.LevelOne:
			a.Escalate = isRequester || v.Works(firstTier) || v.Admin
		default:
			a.Escalate = works && !last
		}
		a.Resolve = works || isRequester
	} else {
		withinWindow := t.ResolvedAt == nil || s.now().Sub(*t.ResolvedAt) <= s.cfg.Desk.ReopenWindow
		a.Reopen = t.Tier != bot.LevelOne && (works || (isRequester && withinWindow))
		a.Rate = isRequester && t.CSAT == nil && t.Tier != bot.LevelOne
	}
	a.EscalateLabel, a.ResolveLabel = "Escalate", "Resolve"
	if !v.Staff() {
		a.EscalateLabel, a.ResolveLabel = "Talk to a technician", "It is solved"
	} else if t.Tier == bot.LevelOne {
		a.EscalateLabel = "Escalate to " + s.tierName(firstTier)
	}
	return a
}
