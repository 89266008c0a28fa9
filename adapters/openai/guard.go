package openai

import (
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// breaker is the circuit breaker's state, guarded by Client.mu. Chat and embeddings share it: they go to
// the same endpoint, and an endpoint that is down is down for both.
type breaker struct {
	state     string
	failures  int       // consecutive failed calls
	openUntil time.Time // when an open circuit lets a trial call through
	trial     bool      // a half-open trial call is under way
	opens     int64
}

// window is a sliding one-hour window of call times, oldest first.
type window struct{ times []time.Time }

// prune drops the times that left the window ending at now.
func (w *window) prune(now time.Time) {
	cut := now.Add(-time.Hour)
	i := 0
	for i < len(w.times) && !w.times[i].After(cut) {
		i++
	}
	w.times = w.times[i:]
}

// limits are the sliding windows of CallsPerHour and UserCallsPerHour, guarded by Client.mu.
type limits struct {
	global  window
	users   map[string]*window
	sweptAt time.Time // when users' empty windows were last dropped
}

// ticket is an admitted call.
type ticket struct {
	trial bool // the half-open circuit's trial call
}

// admit decides whether a call may be sent: the circuit first (a refused call must not use up a limit),
// then the limits, and records it in the windows. counted is false for calls that count against no
// limit (embeddings).
func (c *Client) admit(purpose, user string, counted bool) (ticket, *bot.Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	b := &c.breaker
	if c.cfg.BreakerFailures > 0 {
		if b.state == BreakerOpen && !now.Before(b.openUntil) {
			b.state = BreakerHalfOpen
		}
		switch {
		case b.state == BreakerOpen:
			c.count(purpose, func(n *Counts) { n.CircuitOpen++ })
			return ticket{}, bot.Errorf(bot.EUNAVAILABLE, "model endpoint failing; circuit open until %s", b.openUntil.Format(time.TimeOnly))
		case b.state == BreakerHalfOpen && b.trial:
			c.count(purpose, func(n *Counts) { n.CircuitOpen++ })
			return ticket{}, bot.Errorf(bot.EUNAVAILABLE, "model endpoint failing; circuit half-open, a trial call is under way")
		}
	}

	l := &c.limits
	var userWin *window
	if counted {
		if c.cfg.CallsPerHour > 0 {
			l.global.prune(now)
			if len(l.global.times) >= c.cfg.CallsPerHour {
				c.count(purpose, func(n *Counts) { n.Limited++ })
				return ticket{}, bot.Errorf(bot.ELIMITED, "model calls are limited to %d an hour (calls_per_hour); the next is possible at %s",
					c.cfg.CallsPerHour, l.global.times[0].Add(time.Hour).Format(time.TimeOnly))
			}
		}
		if user != "" && c.cfg.UserCallsPerHour > 0 {
			if now.Sub(l.sweptAt) > 10*time.Minute {
				for u, w := range l.users {
					if w.prune(now); len(w.times) == 0 {
						delete(l.users, u)
					}
				}
				l.sweptAt = now
			}
			userWin = l.users[user]
			if userWin == nil {
				userWin = &window{}
				l.users[user] = userWin
			}
			userWin.prune(now)
			if len(userWin.times) >= c.cfg.UserCallsPerHour {
				c.count(purpose, func(n *Counts) { n.Limited++ })
				return ticket{}, bot.Errorf(bot.ELIMITED, "model calls for %s are limited to %d an hour (user_calls_per_hour); the next is possible at %s",
					user, c.cfg.UserCallsPerHour, userWin.times[0].Add(time.Hour).Format(time.TimeOnly))
			}
		}
		if c.cfg.CallsPerHour > 0 {
			l.global.times = append(l.global.times, now)
		}
		if userWin != nil {
			userWin.times = append(userWin.times, now)
		}
	}

	var t ticket
	if b.state == BreakerHalfOpen {
		b.trial, t.trial = true, true
	}
	return t, nil
}

// settle records how an admitted call ended in the breaker: success closes the circuit; a failure that
// is the endpoint's (failed) counts towards opening it, and reopens a half-open one. A call that failed
// for its own reasons (a bad request, the caller cancelling) changes nothing, except freeing the trial.
// It returns the breaker's transition for the log, "" when there was none.
func (c *Client) settle(t ticket, ok, failed bool) (transition string, until time.Time) {
	if c.cfg.BreakerFailures <= 0 {
		return "", time.Time{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b := &c.breaker
	if t.trial {
		b.trial = false
	}
	switch {
	case ok:
		b.failures = 0
		if b.state != BreakerClosed {
			b.state = BreakerClosed
			return BreakerClosed, time.Time{}
		}
	case failed:
		b.failures++
		if b.state == BreakerHalfOpen || (b.state == BreakerClosed && b.failures >= c.cfg.BreakerFailures) {
			b.state = BreakerOpen
			b.openUntil = c.cfg.Now().Add(c.cfg.BreakerCooldown)
			b.opens++
			return BreakerOpen, b.openUntil
		}
	}
	return "", time.Time{}
}

// count applies f to the totals and to purpose's counts; c.mu is held.
func (c *Client) count(purpose string, f func(*Counts)) {
	f(&c.stats.Counts)
	p := c.stats.ByPurpose[purpose]
	f(&p)
	c.stats.ByPurpose[purpose] = p
}
