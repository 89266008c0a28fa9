package web

// What the pages show of times, deadlines and people: formatted here, in Go, from the request's clock,
// so templates only place strings and a test can read a page as a person does.

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/plural"
)

// when is an instant as a page shows it: in words relative to now ("3 h ago"), with the exact time for a
// tooltip and a machine-readable one for <time datetime>.
type when struct {
	ISO   string // RFC 3339, for <time datetime>
	Full  string // "Mon 2 Mar 2026 14:05"
	Short string // "14:05" today, "2 Mar" this year, "2 Mar 2025" before
	Rel   string // "3 h ago", "in 20 min"
}

func (s *Server) when(t time.Time) when {
	if t.IsZero() {
		return when{}
	}
	now := s.now()
	loc := time.Local
	lt, ln := t.In(loc), now.In(loc)
	w := when{ISO: t.UTC().Format(time.RFC3339), Full: lt.Format("Mon 2 Jan 2006 15:04")}
	switch {
	case lt.YearDay() == ln.YearDay() && lt.Year() == ln.Year():
		w.Short = lt.Format("15:04")
	case lt.Year() == ln.Year():
		w.Short = lt.Format("2 Jan")
	default:
		w.Short = lt.Format("2 Jan 2006")
	}
	if d := now.Sub(t); d < time.Minute && d > -time.Minute {
		w.Rel = "just now"
	} else if d >= 0 {
		w.Rel = span(d) + " ago"
	} else {
		w.Rel = "in " + span(-d)
	}
	return w
}

// span says a duration the way a busy person reads it: "45 s", "12 min", "3 h 20 min", "4 d 2 h", "5 wk".
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 || h >= 10 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	case d < 14*24*time.Hour:
		days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if h == 0 {
			return fmt.Sprintf("%d d", days)
		}
		return fmt.Sprintf("%d d %d h", days, h)
	}
	return fmt.Sprintf("%d wk", int(d/(7*24*time.Hour)))
}

// dueView is a ticket's SLA standing as a list or the ticket page shows it.
type dueView struct {
	Text  string // "due in 2 h", "3 h overdue", "paused", "" without a running clock
	Clock string // "response", "resolution"
	Class string // "ok", "risk", "breach", "paused": how it is coloured
	At    when
}

func (s *Server) due(st bot.SLAState) dueView {
	if !st.Running() {
		return dueView{}
	}
	v := dueView{Clock: st.Clock, At: s.when(st.Due), Class: "ok"}
	left := st.Due.Sub(s.now())
	switch {
	case st.Paused:
		v.Text, v.Class = "paused", "paused"
	case left < 0 || st.Breached:
		v.Text, v.Class = span(max(-left, 0))+" overdue", "breach"
		if left >= 0 {
			v.Text = "breached"
		}
	case st.Warned:
		v.Text, v.Class = "due in "+span(left), "risk"
	default:
		v.Text = "due in " + span(left)
	}
	return v
}

// statusNames are the statuses in words.
var statusNames = map[bot.Status]string{
	bot.StatusOpen:          "Open",
	bot.StatusEscalated:     "In queue",
	bot.StatusClaimed:       "Claimed",
	bot.StatusPendingVendor: "With vendor",
	bot.StatusResolved:      "Resolved",
}

// statusName says a status in words: "In queue" for escalated (in a tier's queue, nobody has claimed it; "Waiting" would read as waiting on the requester, which is a paused clock, not a status).
func statusName(st bot.Status) string {
	if n, ok := statusNames[st]; ok {
		return n
	}
	return string(st)
}

// tierName is a tier's name from the desk's config; "Level 1" for the bot's own.
func (s *Server) tierName(id string) string {
	if id == bot.LevelOne {
		return "Level 1"
	}
	for _, t := range s.cfg.Desk.Tiers {
		if t.ID == id {
			return t.Name
		}
	}
	return id
}

// personName is who a "platform:id" is, as far as the page knows: the name it was given, or the id.
func personName(name, id string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	_, short := bot.SplitID(id)
	return short
}

// actorName is who did something the log or a version records: the person, or "the desk" when it was
// the desk itself (no actor).
func actorName(id string) string {
	if n := personName("", id); n != "" {
		return n
	}
	return "the desk"
}

// pageFuncs are the helpers templates call: small, and about placing strings, never about the desk.
var pageFuncs = template.FuncMap{
	"hasPrefix": strings.HasPrefix,
	// initial is the first letter of a name, for an avatar.
	"initial": func(name string) string {
		for _, r := range name {
			return strings.ToUpper(string(r))
		}
		return "?"
	},
	"list": func(s ...string) []string { return s },
	// plain is what a person wrote, Markdown and all, as one line of plain words: a quote in a list.
	"plain": oneLine,
	// count writes a count with its noun: "1 ticket", "2 tickets".
	"count": plural.Count[int],
	// pct is a share (0..1) as a percentage, for printf.
	"pct": func(f float64) float64 { return f * 100 },
}
