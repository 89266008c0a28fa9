package web

// The audit log (/audit, admins): who did what to what, newest first, with filters. A search for
// something rare reads a bounded part of the log per page and offers to go on from where it stopped.

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

type auditItem struct {
	At                             when
	Actor, ActorID, Action, Detail string
	Target, TargetLink             string
}

type auditPage struct {
	Actor, Action, Target, From, To string
	Entries                         []auditItem
	Next, Problem, Through          string
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, v *Viewer) {
	q := r.URL.Query()
	p := auditPage{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")), Target: strings.TrimSpace(q.Get("target")),
		From: q.Get("from"), To: q.Get("to")}
	f := bot.AuditFilter{Actor: p.Actor, Action: p.Action, Target: p.Target, Limit: 100}
	if p.From != "" {
		if d, err := time.ParseInLocation(time.DateOnly, p.From, time.Local); err == nil {
			f.From = d
		} else {
			p.Problem = "“From” is not a date like 2026-03-02: it is left out."
		}
	}
	if p.To != "" {
		if d, err := time.ParseInLocation(time.DateOnly, p.To, time.Local); err == nil {
			f.To = d.AddDate(0, 0, 1)
		} else {
			p.Problem = "“To” is not a date like 2026-03-09: it is left out."
		}
	}
	f.Before, _ = strconv.ParseUint(q.Get("before"), 10, 64)
	var page bot.AuditPage
	err := s.cfg.Store.View(r.Context(), func(tx bot.Tx) error {
		var err error
		page, err = tx.FindAudit(f)
		return err
	})
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	for _, e := range page.Entries {
		it := auditItem{At: s.when(e.At), Actor: actorName(e.Actor), ActorID: e.Actor, Action: e.Action, Detail: e.Detail, Target: e.Target}
		switch {
		case strings.HasPrefix(e.Target, "T-"):
			it.TargetLink = "/tickets/" + e.Target
		case strings.HasPrefix(e.Action, "kb.") && e.Target != "":
			it.TargetLink = "/kb/" + url.PathEscape(e.Target)
		}
		p.Entries = append(p.Entries, it)
	}
	if page.Next != 0 {
		next := url.Values{}
		for k, val := range q {
			next[k] = val
		}
		next.Set("before", strconv.FormatUint(page.Next, 10))
		p.Next = "/audit?" + next.Encode()
		if !page.Through.IsZero() {
			p.Through = s.when(page.Through).Full
		}
	}
	s.render(w, r, v, http.StatusOK, "audit", "Audit log", p)
}
