package bot

// The flood limit of alert routes: a storm (a network partition fires an alert for every host behind
// it) must not bury a tier channel under hundreds of cards. Each route may post for so many
// notifications per window; past that, notifications still open and change their tickets, so nothing a
// monitor said is lost, but post nothing, and the tier channel gets one notice per window saying so.

import (
	"fmt"
	"time"

	"github.com/firstline-desk/firstline/internal/plural"
)

// noteAlert counts a notification of route that would post, and reports whether it may (the route is
// under its limit), and whether it is the first held back in the window (the one that posts the flood
// notice). It records what it changed in m, which a failed transaction takes back (floodGuard.undo), so
// a notification is counted once however often its transaction is tried.
func (g *floodGuard) noteAlert(cfg AlertConfig, route string, now time.Time, m *floodMark) (admit, notify bool) {
	if cfg.FloodNotices <= 0 {
		return true, false
	}
	window := cfg.FloodWindow
	if window <= 0 {
		window = DefaultAlertFloodWindow
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweepRoutes(window, now)
	if g.routes == nil {
		g.routes = map[string]*floodState{}
	}
	s, ok := g.routes[route]
	if !ok {
		s = &floodState{}
		g.routes[route] = s
	}
	cut := 0
	for cut < len(s.times) && now.Sub(s.times[cut]) >= window {
		cut++
	}
	s.times = s.times[cut:]
	m.user, m.route, m.at = route, true, now
	if len(s.times) < cfg.FloodNotices {
		s.times = append(s.times, now)
		m.counted = true
		return true, false
	}
	if !s.notified.IsZero() && now.Sub(s.notified) < window {
		return false, false
	}
	m.notified, m.prevNotified = true, s.notified
	s.notified = now
	return false, true
}

// sweepRoutes forgets routes quiet for a window, so the map holds the routes that flood now.
func (g *floodGuard) sweepRoutes(window time.Duration, now time.Time) {
	if now.Sub(g.sweptRoutes) < window {
		return
	}
	g.sweptRoutes = now
	for r, s := range g.routes {
		if n := len(s.times); (n == 0 || now.Sub(s.times[n-1]) >= window) && now.Sub(s.notified) >= window {
			delete(g.routes, r)
		}
	}
}

// admitAlert asks the flood limit of the ticket's route whether this notification may post in the tier
// channel. Past it the work is muted (enqueue drops its posts), and the first notification held back in
// the window posts the route's one flood notice. Call it once per notification, before it posts.
func (w *work) admitAlert(t *Ticket) error {
	if w.flood == nil {
		w.flood = &floodMark{}
	}
	admit, notify := w.e.flood.noteAlert(w.cfg().Alerts, t.Alert.Route, w.now, w.flood)
	if admit {
		return nil
	}
	if notify {
		if err := w.floodNotice(t); err != nil {
			return err
		}
	}
	w.muted = true
	return nil
}

// floodNotice tells the route's tier channel that its alerts are held back.
func (w *work) floodNotice(t *Ticket) error {
	a := w.cfg().Alerts
	window := a.FloodWindow
	if window <= 0 {
		window = DefaultAlertFloodWindow
	}
	platform, channel := w.tierChannel(t.Tier)
	text := fmt.Sprintf("🌊 **Alert flood** on route `%s`: more than %s within %s. "+
		"Until it calms down, its alerts open and update their tickets without posting here; a ticket held back "+
		"gets its card with its group's next notification. Every ticket is in the desk's queue (the web console, "+
		"`firstline tickets list`).", t.Alert.Route, plural.Count(a.FloodNotices, "notification", "notifications"), humanDuration(window))
	w.logCommitted("alert route flooding: notifications held back", "route", t.Alert.Route, "tier", t.Tier)
	return w.enqueue(Effect{Kind: EffectPost, Platform: platform, Lane: lane(platform, channel), Post: Post{Channel: channel, Text: text}})
}
