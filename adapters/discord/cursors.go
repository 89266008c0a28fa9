package discord

// Cursors: where the desk stopped reading each channel it works in, kept in the data file, so that the
// messages Discord will never dispatch (those sent while the desk was stopped, or between two sessions)
// are fetched over REST when it connects again (catchup.go).

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/firstline-desk/firstline/bot"
)

// State keeps the adapter's cursors in the data file (cmd/firstline passes storage.DB.Adapter("discord")),
// so a desk started again knows which channels to catch up and from where. Nil keeps them in memory: a
// restart then catches up only the help channels, over the whole window, and relies on the engine's
// dedup for what it had handled.
type State interface {
	// Get returns the value under key, or an error for which bot.IsNotFound is true when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores value under key, durably.
	Put(ctx context.Context, key string, value []byte) error
}

const (
	// catchUpWindow bounds catch-up by age: a message older than this is not fetched. It must stay well
	// under the engine's dedup retention (7 days in cmd/firstline), so that a message fetched again is
	// recognised as handled.
	catchUpWindow = 24 * time.Hour
	// catchUpPerChannel bounds catch-up by count in each channel; the newest are kept.
	catchUpPerChannel = 300
	// keepActive is how long a thread, DM or tier channel stays caught up after the desk last handled or
	// posted a message there (a ticket's thread can reopen within the desk's reopen window, 7 days by
	// default). Help channels always are.
	keepActive = 7 * 24 * time.Hour
	// maxCursors bounds the channels remembered and caught up: the most recently active are kept.
	maxCursors = 500
	// cursorsKey is the key of the cursors in State.
	cursorsKey = "cursors"
)

// cursor is what the adapter knows of a channel it catches up: a help channel, a thread, a DM or a tier
// channel. The exported fields are saved.
type cursor struct {
	// Last is the newest message handled such that every later-fetched message before it was handled
	// too: it never passes a message that was not recorded, so a crash cannot skip one.
	Last string `json:"last,omitempty"`
	// Active is when the desk last handled or posted a message in the channel.
	Active time.Time `json:"active"`
	// Since is when the desk started watching a help channel: catch-up does not go further back, so a
	// desk started for the first time on a busy channel does not turn its past day into tickets.
	Since  time.Time `json:"since,omitempty"`
	Guild  string    `json:"guild,omitempty"`
	Parent string    `json:"parent,omitempty"` // a thread's channel
	DM     bool      `json:"dm,omitempty"`

	// gap: messages may be missing (a new session, a message the engine did not record), so Last stays
	// where it is until a catch-up of the channel has fetched them; messages handled live meanwhile
	// move liveMax instead. epoch counts the gaps opened, so a catch-up that overlapped a newer one does
	// not close it.
	gap     bool
	epoch   int
	liveMax string
}

// sinceMargin is how far before its start a desk watching a help channel for the first time looks back:
// clocks differ, and Discord's timestamps may be cut to the second.
const sinceMargin = time.Minute

// loadCursors reads the saved cursors, and saves at once where the help channels not watched before start
// from. Without State nothing is saved, so nothing says where the desk stopped: every start catches up
// the help channels over the whole window.
func (a *Adapter) loadCursors(ctx context.Context) error {
	if a.cfg.State == nil {
		return nil
	}
	saved := map[string]*cursor{}
	raw, err := a.cfg.State.Get(ctx, cursorsKey)
	switch {
	case bot.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("discord: read the catch-up cursors: %w", err)
	default:
		if err := json.Unmarshal(raw, &saved); err != nil {
			// Unreadable cursors cost the gap's messages of threads and DMs, not the desk.
			a.log.Warn("discord catch-up cursors unreadable, starting from the help channels", "err", err)
			saved = map[string]*cursor{}
		}
	}
	a.mu.Lock()
	since := time.Now().Add(-sinceMargin)
	for id := range a.help {
		if saved[id] == nil {
			a.cursors[id].Since, a.cursors[id].Active = since, since
			a.dirty = true
		}
	}
	a.mergeLocked(saved)
	a.mu.Unlock()
	return a.saveCursors(ctx)
}

// mergeLocked takes the saved cursors in.
func (a *Adapter) mergeLocked(saved map[string]*cursor) {
	for id, c := range saved {
		if c == nil || id == "" {
			continue
		}
		if old, ok := a.cursors[id]; ok && c.Guild == "" {
			c.Guild = old.Guild
		}
		a.cursors[id] = c
		if _, known := a.parents[id]; !known && (c.Parent != "" || c.DM) {
			a.parents[id] = c.Parent
		}
	}
}

// saveCursors writes the cursors when they changed, dropping those inactive for longer than keepActive
// and the least recently active beyond maxCursors. Saves are serialized, so an older picture never
// overwrites a newer one.
func (a *Adapter) saveCursors(ctx context.Context) error {
	if a.cfg.State == nil {
		return nil
	}
	a.saveMu.Lock()
	defer a.saveMu.Unlock()
	a.mu.Lock()
	if !a.dirty {
		a.mu.Unlock()
		return nil
	}
	a.pruneLocked(time.Now())
	raw, err := json.Marshal(a.cursors)
	a.dirty = false
	a.mu.Unlock()
	if err == nil {
		err = a.cfg.State.Put(ctx, cursorsKey, raw)
	}
	if err != nil {
		a.mu.Lock()
		a.dirty = true
		a.mu.Unlock()
		return fmt.Errorf("discord: save the catch-up cursors: %w", err)
	}
	return nil
}

// pruneLocked forgets the cursors catch-up no longer needs; a channel with a gap is kept.
func (a *Adapter) pruneLocked(now time.Time) {
	for id, c := range a.cursors {
		if !a.help[id] && !c.gap && now.Sub(c.Active) > keepActive {
			delete(a.cursors, id)
		}
	}
	if len(a.cursors) <= maxCursors {
		return
	}
	for _, id := range a.byActivityLocked()[maxCursors:] {
		if !a.help[id] {
			delete(a.cursors, id)
		}
	}
}

// byActivityLocked lists the channels with a cursor: help channels first, then the most recently active.
func (a *Adapter) byActivityLocked() []string {
	ids := make([]string, 0, len(a.cursors))
	for id := range a.cursors {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y string) int {
		if a.help[x] != a.help[y] {
			if a.help[x] {
				return -1
			}
			return 1
		}
		return cmp.Or(a.cursors[y].Active.Compare(a.cursors[x].Active), cmp.Compare(x, y))
	})
	return ids
}

// track notes that the desk is about to post in channel (a thread of parent, or a DM), so the channel is
// caught up after a restart, and saves at once a channel it did not know: a reply in a new thread, written
// while the desk is stopped right after its first post there, must not be missed.
func (a *Adapter) track(ctx context.Context, channel, parent string, dm bool) {
	a.mu.Lock()
	c, known := a.cursors[channel]
	if !known {
		c = &cursor{Parent: parent, DM: dm, Guild: a.cfg.Guild}
		a.cursors[channel] = c
	}
	if dm && !c.DM {
		c.DM, c.Parent, c.Guild = true, "", ""
	}
	c.Active = time.Now()
	a.dirty = true
	a.mu.Unlock()
	if !known {
		if err := a.saveCursors(ctx); err != nil {
			a.log.Warn("discord catch-up cursor not saved; saving again later", "channel", channel, "err", err)
		}
	}
}

// recorded notes that the engine recorded message id of channel, handled live (not by catch-up).
func (a *Adapter) recorded(channel, id, guild string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, known := a.cursors[channel]
	if !known {
		parent := a.parents[channel]
		switch {
		case guild == "": // a DM: a conversation with the desk from its first message
			c = &cursor{DM: true}
		case parent != "" && a.cursors[parent] != nil: // a thread someone started in a channel the desk works in
			c = &cursor{Parent: parent, Guild: guild}
		default:
			return // a channel the desk does not work in: nothing to catch up there
		}
		a.cursors[channel] = c
		a.kickSave()
	}
	if guild == "" && !c.DM {
		// The gateway says what a DM is (no guild_id): a cursor the desk's own post made first may not
		// know, and catch-up hands a DM's messages over as DMs only when it does.
		c.DM, c.Parent, c.Guild = true, "", ""
		a.kickSave()
	}
	if c.gap {
		if newer(id, c.liveMax) {
			c.liveMax = id
		}
	} else if newer(id, c.Last) {
		c.Last = id
	}
	c.Active = time.Now()
	a.dirty = true
}

// notRecorded notes that the engine failed to record a message of channel: the channel gets a gap, so
// its cursor stays before the message and a catch-up fetches it again.
func (a *Adapter) notRecorded(channel, guild string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, known := a.cursors[channel]
	if !known {
		c = &cursor{Guild: guild, DM: guild == "", Parent: a.parents[channel]}
		a.cursors[channel] = c
		a.kickSave()
	}
	if guild == "" && !c.DM {
		c.DM, c.Parent, c.Guild = true, "", "" // as in recorded
	}
	c.gap = true
	c.epoch++
	c.Active = time.Now()
	a.dirty = true
}

// openGaps marks every channel to catch up after a new session (help channels, and the others active
// within keepActive) as having a gap, and returns how many there are.
func (a *Adapter) openGaps() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	n := 0
	for _, id := range a.byActivityLocked() {
		c := a.cursors[id]
		if !a.help[id] && (now.Sub(c.Active) > keepActive || n >= maxCursors) {
			continue
		}
		c.gap = true
		c.epoch++
		n++
	}
	return n
}
