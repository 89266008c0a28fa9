package bot

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// FloodConfig keeps one person from swamping the desk, by mistake (a script, a stuck key) or on purpose.
type FloodConfig struct {
	// Messages is how many messages one person may send per Window before the desk stops searching,
	// asking the model and relaying for them; it still records every message. 0 turns throttling off.
	Messages int
	// Window is the span Messages is counted over (default one minute).
	Window time.Duration
	// JoinWithin: a new question from someone who wrote to their latest ticket less than this ago
	// joins that ticket instead of opening another ("hi" / "my VPN is down" / "please help" is one
	// problem). 0 turns joining off.
	JoinWithin time.Duration
}

// floodGuard remembers, in memory, how fast each person writes. It is not persisted: after a restart
// everyone starts with a clean slate, which is the worst a flood can get out of a crash.
type floodGuard struct {
	mu    sync.Mutex
	users map[string]*floodState
	swept time.Time
	// routes count the notifications of alert routes (alertflood.go), apart from people: their window
	// is another, and the sweep of people must not forget them.
	routes      map[string]*floodState
	sweptRoutes time.Time
}

type floodState struct {
	times    []time.Time // message times within the window
	notified time.Time   // when the throttle notice was last sent
	ticket   string      // the person's latest ticket
	wrote    time.Time   // when they last wrote to it
}

// floodMark is what noting one event changed in the guard, so that a transaction that fails, or that the
// store runs again, takes it back: one message is one count, however often its transaction is tried.
type floodMark struct {
	user string
	// route: user is an alert route's name, in floodGuard.routes.
	route        bool
	at           time.Time
	counted      bool
	notified     bool
	prevNotified time.Time
	wrote        bool
	ticket       string
	prevTicket   string
	prevWrote    time.Time
}

// note counts a message from user and reports whether it is over the limit, and whether this is the
// first over the limit in the window (the one that gets a notice). It records what it changed in m.
// The engine calls it inside the event's transaction, after the dedup check, so a redelivery or the
// twin of a message (Slack's message and app_mention) is not counted again.
func (g *floodGuard) note(cfg FloodConfig, user string, now time.Time, m *floodMark) (throttled, notify bool) {
	if cfg.Messages <= 0 {
		return false, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweep(cfg, now)
	s := g.state(user)
	cut := 0
	for cut < len(s.times) && now.Sub(s.times[cut]) >= cfg.Window {
		cut++
	}
	s.times = append(s.times[cut:], now)
	m.user, m.at, m.counted = user, now, true
	if len(s.times) <= cfg.Messages {
		return false, false
	}
	if now.Sub(s.notified) < cfg.Window {
		return true, false
	}
	m.notified, m.prevNotified = true, s.notified
	s.notified = now
	return true, true
}

// undo takes back what one event's note and wrote changed, and clears m. Other events' counts made
// meanwhile stay: it removes this event's entry, not the state as it was before.
func (g *floodGuard) undo(m *floodMark) {
	if m.user == "" {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	states := g.users
	if m.route {
		states = g.routes
	}
	if s, ok := states[m.user]; ok {
		if m.counted {
			if i := slices.Index(s.times, m.at); i >= 0 {
				s.times = slices.Delete(s.times, i, i+1)
			}
		}
		if m.notified && s.notified.Equal(m.at) {
			s.notified = m.prevNotified
		}
		if m.wrote && s.ticket == m.ticket && s.wrote.Equal(m.at) {
			s.ticket, s.wrote = m.prevTicket, m.prevWrote
		}
	}
	*m = floodMark{}
}

// recent returns the person's latest ticket when they wrote to it within JoinWithin.
func (g *floodGuard) recent(cfg FloodConfig, user string, now time.Time) string {
	if cfg.JoinWithin <= 0 {
		return ""
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.users[user]
	if !ok || s.ticket == "" || now.Sub(s.wrote) >= cfg.JoinWithin {
		return ""
	}
	return s.ticket
}

// wrote records that user wrote to ticket at now, in m, so a failed transaction takes it back.
func (g *floodGuard) wrote(user, ticket string, now time.Time, m *floodMark) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.state(user)
	if !m.wrote {
		m.wrote, m.prevTicket, m.prevWrote = true, s.ticket, s.wrote
	}
	m.user, m.at, m.ticket = user, now, ticket
	s.ticket, s.wrote = ticket, now
}

func (g *floodGuard) state(user string) *floodState {
	if g.users == nil {
		g.users = map[string]*floodState{}
	}
	s, ok := g.users[user]
	if !ok {
		s = &floodState{}
		g.users[user] = s
	}
	return s
}

// sweep forgets people who have been quiet for a while, so the map stays as small as the active crowd.
func (g *floodGuard) sweep(cfg FloodConfig, now time.Time) {
	keep := max(cfg.Window, cfg.JoinWithin)
	if now.Sub(g.swept) < keep {
		return
	}
	g.swept = now
	for u, s := range g.users {
		last := s.wrote
		if n := len(s.times); n > 0 && s.times[n-1].After(last) {
			last = s.times[n-1]
		}
		if now.Sub(last) >= keep && now.Sub(s.notified) >= cfg.Window {
			delete(g.users, u)
		}
	}
}

// throttleNotice is the one message a flooding person gets per window.
func (w *work) throttleNotice(ticketID string) error {
	text := "You're sending messages faster than I can keep up with, so I'll pause for a minute. I've kept everything you wrote"
	if ticketID != "" {
		text += fmt.Sprintf(" on **%s**", ticketID)
	}
	return w.reply(ticketID, text+"; a technician will see it there.")
}

// join adds a new question to the person's ticket of a moment ago instead of opening another, links the
// new thread to it, and says so once. The caller has checked the ticket is theirs and active.
func (w *work) join(t *Ticket) error {
	ev := w.ev
	text := strings.TrimSpace(ev.Text)
	conv := Conversation{Platform: ev.Platform, Channel: ev.Channel, Thread: ev.Thread}
	if conv.Thread == "" {
		conv.Thread = ev.Message
	}
	if err := w.tx.LinkConversation(conv, t.ID); err != nil {
		return err
	}
	t.say(w.now, ev.User, nameOf(ev.UserName, ev.User), RoleRequester, text, false)
	t.resubject(text)
	w.wrote(t.ID)
	if !w.throttled {
		if err := w.reply(t.ID, fmt.Sprintf("I've added this to **%s**, which you opened a moment ago.", t.ID)); err != nil {
			return err
		}
		switch t.Status {
		case StatusOpen:
			if err := w.job(t, jobFollowUp); err != nil {
				return err
			}
		case StatusEscalated, StatusClaimed, StatusPendingVendor:
			if card := t.currentCard(); card != nil {
				if err := w.toCard(t, card, fmt.Sprintf("**%s** (requester): %s", nameOf(ev.UserName, ev.User), text)); err != nil {
					return err
				}
			}
		}
	}
	return w.tx.PutTicket(t)
}

// wrote remembers that the event's user wrote to ticket, for joining their next question to it.
func (w *work) wrote(ticket string) {
	if w.flood == nil {
		w.flood = &floodMark{}
	}
	w.e.flood.wrote(w.ev.User, ticket, w.now, w.flood)
}
