package bot

// Keeping homes fresh: who is looking at their home, which of them a committed ticket change concerns,
// and publishing each at most once per Config.HomeEvery. A home is a view of the tickets, never a record:
// it is kept in memory, and after a restart a person's home is published again when they next open it.
//
// While the engine runs (Run), homes are published by a loop of their own (runHomes), never by the
// dispatcher: a ticket change in a busy tier makes a publish for each of its members, and a platform's
// answers to those (or its rate limit) must hold up no reply. Flush, which runs effects to their end
// for tests and the console, publishes the homes due at the end of its pass instead. A platform that
// answers with a rate limit is asked for no home before its Retry-After.

import (
	"context"
	"errors"
	"sync"
	"time"
)

// homes are the people whose homes are kept fresh.
type homes struct {
	mu      sync.Mutex
	viewers map[string]*viewer // by "platform:id"
	// paused are the platforms that answered a publish with a rate limit, until when.
	paused map[string]time.Time
	// wake wakes runHomes; nil when it does not run.
	wake chan struct{}
}

type viewer struct {
	roles []string
	// dirty: the home shows something that changed; last is when it was last published.
	dirty      bool
	last, seen time.Time
}

// seen notes that a person opened their home: it is published at the next chance, and kept fresh. Slack
// says so on every visit to the tab, so a home published less than every ago, with nothing changed
// since, is not published again: what it shows is what they see.
func (h *homes) seen(user string, roles []string, now time.Time, every time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.viewers == nil {
		h.viewers = map[string]*viewer{}
	}
	v, ok := h.viewers[user]
	if !ok {
		if len(h.viewers) >= homeMaxViewer {
			h.forgetOldestLocked()
		}
		v = &viewer{}
		h.viewers[user] = v
	}
	fresh := !v.dirty && !v.last.IsZero() && now.Sub(v.last) < every
	v.roles, v.seen = roles, now
	if !fresh {
		v.dirty = true // published now, or once every has passed since the last publish
	}
}

func (h *homes) forgetOldestLocked() {
	var oldest string
	var at time.Time
	for u, v := range h.viewers {
		if oldest == "" || v.seen.Before(at) {
			oldest, at = u, v.seen
		}
	}
	delete(h.viewers, oldest)
}

// ticketSeen is what decides whose homes a ticket change reaches: the people it names, and its tiers.
type ticketSeen struct {
	people []string // requester, owner, who acted on it, its owner before
	tiers  []string // its tier, and the one it was in before
}

// changed marks dirty the homes of everyone who can see the ticket, or could before the change: its
// requester, its owner and the one it had, whoever just acted on it, and the members of its tier and of
// the tier it left, for their queues.
func (h *homes) changed(cfg *Config, s ticketSeen) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	any := false
	for user, v := range h.viewers {
		if v.dirty {
			continue
		}
		concerned := false
		for _, tier := range s.tiers {
			concerned = concerned || cfg.isMember(tier, user, v.roles)
		}
		for _, p := range s.people {
			concerned = concerned || p == user
		}
		if concerned {
			v.dirty, any = true, true
		}
	}
	return any
}

// empty reports whether nobody's home is kept fresh, so a ticket change has nothing to mark.
func (h *homes) empty() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.viewers) == 0
}

// due returns the people whose homes are to be published now, with their roles, and counts them as
// published; next is when the next one that waits will be due (zero: none waits).
func (h *homes) due(now time.Time, every time.Duration) (users map[string][]string, next time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for user, v := range h.viewers {
		if !v.dirty {
			continue
		}
		if at := v.last.Add(every); !v.last.IsZero() && now.Before(at) {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		if users == nil {
			users = map[string][]string{}
		}
		users[user] = v.roles
		v.dirty, v.last = false, now
	}
	return users, next
}

// again marks a home to be published again, after a publish that failed.
func (h *homes) again(user string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v, ok := h.viewers[user]; ok {
		v.dirty = true
	}
}

// noteTicket marks, once the transaction commits, the homes a ticket's change reaches. by are the people
// whose transitions were just recorded; before is what the ticket was when read (zero for a new one): a
// ticket that left a tier's queue, or its owner's hands, changes what their homes show too.
func (s *trackedTx) noteTicket(t *Ticket, by []string, before storedTicket) {
	e := s.e
	if e.homes.empty() {
		return
	}
	seen := ticketSeen{people: append([]string{t.Requester, t.Assignee, before.assignee}, by...), tiers: []string{t.Tier}}
	if before.tier != "" && before.tier != t.Tier {
		seen.tiers = append(seen.tiers, before.tier)
	}
	s.afterCommit(func() {
		if e.homes.changed(&e.cfg, seen) {
			e.kickHomes()
		}
	})
}

// kickHomes has the homes that are due published soon: by runHomes when it runs, else at the end of the
// dispatcher's next pass.
func (e *Engine) kickHomes() {
	e.homes.mu.Lock()
	wake := e.homes.wake
	e.homes.mu.Unlock()
	if wake == nil {
		e.disp.kick()
		return
	}
	select {
	case wake <- struct{}{}:
	default:
	}
}

// homeTick is how often runHomes looks for homes that became due (HomeEvery or a rate limit passed).
const homeTick = time.Second

// runHomes starts the loop that publishes homes while the engine runs, until ctx ends; wait returns once
// it has ended.
func (e *Engine) runHomes(ctx context.Context) (wait func()) {
	wake := make(chan struct{}, 1)
	e.homes.mu.Lock()
	e.homes.wake = wake
	e.homes.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			e.homes.mu.Lock()
			e.homes.wake = nil
			e.homes.mu.Unlock()
		}()
		tick := time.NewTicker(homeTick)
		defer tick.Stop()
		for {
			e.publishHomes(ctx)
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-tick.C:
			}
		}
	}()
	return func() { <-done }
}

// idleHomes is the dispatcher's end of a pass: the homes that are due are published there when no loop
// of their own does (Flush).
func (e *Engine) idleHomes(ctx context.Context) {
	e.homes.mu.Lock()
	looping := e.homes.wake != nil
	e.homes.mu.Unlock()
	if !looping {
		e.publishHomes(ctx)
	}
}

// publishHomes publishes the homes that are due, each on its platform, one at a time. A failure is
// logged and the home published again at its next turn; a rate limit holds back every home of its
// platform until its Retry-After has passed.
func (e *Engine) publishHomes(ctx context.Context) {
	now := e.clock.Now()
	users, _ := e.homes.due(now, e.cfg.HomeEvery)
	for user, roles := range users {
		platform, _ := SplitID(user)
		chat, ok := e.chat(platform)
		pub, can := chat.(HomePublisher)
		if !ok || !can {
			continue
		}
		if e.homes.pausedFor(platform, now) {
			e.homes.again(user)
			continue
		}
		v, err := e.Home(ctx, user, roles)
		if err == nil {
			err = pub.PublishHome(ctx, v)
		}
		var limited *RateLimitError
		switch {
		case err == nil:
		case errors.As(err, &limited):
			e.log.Info("homes held back by a rate limit", "platform", platform, "retry_after", limited.RetryAfter)
			e.homes.pause(platform, now.Add(limited.RetryAfter))
			e.homes.again(user)
		default:
			if ctx.Err() == nil {
				e.log.Warn("home not published", "user", user, "err", err)
			}
			e.homes.again(user)
		}
	}
}

// pause holds back the homes of platform until until.
func (h *homes) pause(platform string, until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.paused == nil {
		h.paused = map[string]time.Time{}
	}
	h.paused[platform] = until
}

// pausedFor reports whether platform's homes are held back at now.
func (h *homes) pausedFor(platform string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	until, ok := h.paused[platform]
	if ok && !now.Before(until) {
		delete(h.paused, platform)
		return false
	}
	return ok
}
