package web

// The actions on a ticket's page (Claim, Release, Reply, Note, Priority, Escalate, Resolve, Reopen,
// Rate): each is an event into the engine (Server.Act), checked and written exactly as the same action
// from chat. A done action goes back to the ticket's page with a sentence that says so; a refused one
// shows the page again with the engine's reason and what was typed.

import (
	"errors"
	"net/http"
	"strings"

	"github.com/firstline-desk/firstline/bot"
)

// ticketActionNames are the actions a ticket's page sends, by the last part of their address.
var ticketActionNames = map[string]bot.Action{
	"claim":    bot.ActionClaim,
	"release":  bot.ActionRelease,
	"reply":    bot.ActionReply,
	"note":     bot.ActionNote,
	"priority": bot.ActionPriority,
	"escalate": bot.ActionEscalate,
	"resolve":  bot.ActionResolve,
	"reopen":   bot.ActionReopen,
	"rate":     bot.ActionRate,
}

// ticketNotices are what a ticket's page says after each action.
var ticketNotices = map[string]string{
	"claim":    "You claimed it. Its card in chat says so, and the requester was told.",
	"release":  "You released it: it is back in its tier's queue.",
	"reply":    "Your reply was sent to the requester's conversation.",
	"note":     "Your note was added. The requester does not see it.",
	"priority": "The priority was changed; the SLA clocks follow it.",
	"escalate": "It was escalated.",
	"resolve":  "It is resolved.",
	"reopen":   "It was reopened.",
	"rate":     "Thank you for rating the help.",
}

func init() {
	for k, v := range ticketNotices {
		notices[k] = v
	}
}

// maxMessage bounds a reply or note typed on the page, in bytes: chat would take no more in one go.
const maxMessage = 40000

func (s *Server) ticketAct(w http.ResponseWriter, r *http.Request, v *Viewer) {
	id, name := r.PathValue("id"), r.PathValue("action")
	action, ok := ticketActionNames[name]
	if !ok {
		s.notFound(w, r, v, "action "+name)
		return
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	if len(text) > maxMessage {
		s.refuse(w, r, v, http.StatusRequestEntityTooLarge, "That message is too long to send in one go: split it in two.")
		return
	}
	err := s.Act(r.Context(), v, r.PostFormValue("event"), id, action, text, r.PostFormValue("choice"))
	if err == nil {
		http.Redirect(w, r, "/tickets/"+id+"?done="+name, http.StatusSeeOther)
		return
	}
	var be *bot.Error
	if !errors.As(err, &be) || be.Code == bot.EINTERNAL {
		s.fail(w, r, v, err)
		return
	}
	t, lerr := s.loadTicket(r, v, id)
	if lerr != nil {
		// Not theirs to see, or gone: the engine's answer says which in words.
		s.fail(w, r, v, err)
		return
	}
	form := ticketForm{Error: be.Message}
	switch action {
	case bot.ActionReply:
		form.Reply = text
	case bot.ActionNote:
		form.Note = text
	}
	s.renderTicket(w, r, v, StatusOf(err), t, form)
}
