package discord

// Catch-up: Discord dispatches a message once, to the session that is connected. What was sent while the
// desk was stopped, between a session Discord refused to resume and the next, or while a zombie connection
// was being noticed, is only in the channels' history. After every READY the adapter fetches it over REST,
// from each channel's cursor (cursors.go), bounded by catchUpWindow and catchUpPerChannel, and hands it to
// the engine oldest first through the same path and with the same dedup keys as the gateway's dispatches,
// so a message seen both ways is handled once.

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"
)

const (
	// retryEvery is how often channels whose catch-up failed are tried again, and cursors saved.
	retryEvery = 30 * time.Second
	// pageSize is Discord's largest page of messages.
	pageSize = 100
	// maxRateLimitWaits bounds how many 429s one page of history waits out before the channel is left
	// for the next round.
	maxRateLimitWaits = 5
)

// catchUpLoop runs catch-up whenever a new session asks for it (kickCatchUp), and every retryEvery for
// channels whose catch-up failed; it saves the cursors after each round. It returns when ctx ends.
func (a *Adapter) catchUpLoop(ctx context.Context) {
	tick := time.NewTicker(retryEvery)
	defer tick.Stop()
	for {
		session := false
		select {
		case <-ctx.Done():
			return
		case <-a.catchUpNow:
			session = true
		case <-a.saveNow:
			if err := a.saveCursors(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("discord catch-up cursors not saved; saving again later", "err", err)
			}
			continue
		case <-tick.C:
		}
		a.catchUp(ctx, session)
		if err := a.saveCursors(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("discord catch-up cursors not saved; saving again later", "err", err)
		}
	}
}

// kickCatchUp asks catchUpLoop for a round; asks made while one runs are coalesced into the next.
func (a *Adapter) kickCatchUp() {
	select {
	case a.catchUpNow <- struct{}{}:
	default:
	}
}

// kickSave asks catchUpLoop to save the cursors soon: a channel became known off the dispatcher's path.
func (a *Adapter) kickSave() {
	select {
	case a.saveNow <- struct{}{}:
	default:
	}
}

// catchUp fetches and hands over the missing messages of every channel with a gap, while connected. A
// round for a new session reports itself even when there was nothing to do.
func (a *Adapter) catchUp(ctx context.Context, session bool) {
	a.mu.Lock()
	connected := a.connected
	var todo []string
	for _, id := range a.byActivityLocked() {
		if a.cursors[id].gap {
			todo = append(todo, id)
		}
	}
	a.mu.Unlock()
	if !connected || (len(todo) == 0 && !session) {
		return
	}
	members := map[string]*discordgo.Member{}
	fetched, left := 0, 0
	for _, ch := range todo {
		if ctx.Err() != nil {
			return
		}
		n, err := a.catchUpChannel(ctx, ch, members)
		fetched += n
		if err != nil {
			left++
			if ctx.Err() == nil {
				a.log.Warn("discord catch-up of a channel failed; trying again later", "channel", ch, "err", err)
			}
		}
	}
	a.log.Info("discord catch-up done", "channels", len(todo), "messages", fetched, "left_for_later", left)
}

// catchUpChannel fetches what came after ch's cursor within the bounds and hands it over, oldest first,
// moving the cursor past each message the engine recorded. It closes the channel's gap when all went
// through and no newer gap opened meanwhile.
func (a *Adapter) catchUpChannel(ctx context.Context, ch string, members map[string]*discordgo.Member) (int, error) {
	a.mu.Lock()
	c := a.cursors[ch]
	last, epoch, dm := c.Last, c.epoch, c.DM
	since := time.Now().Add(-catchUpWindow)
	if c.Since.After(since) {
		since = c.Since
	}
	a.mu.Unlock()
	msgs, err := a.history(ctx, ch, last, since)
	if err != nil {
		return 0, err
	}
	guild := ""
	if !dm {
		guild = a.guildOf(ch)
	}
	for _, m := range msgs {
		if m.ChannelID == "" {
			m.ChannelID = ch
		}
		// Messages from REST carry neither guild_id nor member, which the gateway adds: put back the
		// guild (or the event would look like a DM) and the author's roles (technicians may be a role).
		if m.GuildID == "" {
			m.GuildID = guild
		}
		if m.GuildID != "" && m.Member == nil && m.Author != nil && !m.Author.Bot {
			m.Member = a.member(ctx, m.GuildID, m.Author.ID, members)
		}
		if a.handleMessage(ctx, m, dm, true) == failed {
			return 0, errors.New("the engine did not record a message")
		}
		a.mu.Lock()
		if newer(m.ID, c.Last) {
			c.Last = m.ID
			a.dirty = true
		}
		a.mu.Unlock()
	}
	a.mu.Lock()
	if c.epoch == epoch {
		if newer(c.liveMax, c.Last) {
			c.Last = c.liveMax
		}
		c.gap, c.liveMax = false, ""
		a.dirty = true
	}
	a.mu.Unlock()
	return len(msgs), nil
}

// history returns ch's messages after the message last ("" for none) and not older than since, at most
// catchUpPerChannel of them (the newest), oldest first. It pages back from the newest with before, so
// that the bound keeps the newest messages and the cursor needs no time of its own.
func (a *Adapter) history(ctx context.Context, ch, last string, since time.Time) ([]*discordgo.Message, error) {
	var out []*discordgo.Message
	before := ""
	for {
		page, err := a.page(ctx, ch, before)
		if err != nil {
			return nil, err
		}
		// Discord lists newest first; sort anyway, the stops below depend on it.
		slices.SortFunc(page, func(x, y *discordgo.Message) int {
			switch {
			case newer(x.ID, y.ID):
				return -1
			case newer(y.ID, x.ID):
				return 1
			}
			return 0
		})
		stop, moved := len(page) < pageSize, false
		for _, m := range page {
			if m == nil || (before != "" && !newer(before, m.ID)) {
				continue // not before the page's start: a server that ignored before
			}
			if (last != "" && !newer(m.ID, last)) || (!m.Timestamp.IsZero() && m.Timestamp.Before(since)) ||
				len(out) >= catchUpPerChannel {
				stop = true
				break
			}
			out, moved = append(out, m), true
		}
		if stop || !moved {
			break
		}
		before = out[len(out)-1].ID
	}
	slices.Reverse(out)
	return out, nil
}

// page is one page of ch's history before message before (the newest page for ""), waiting out rate
// limits: discordgo does not retry them here (ShouldRetryOnRateLimit is off for the dispatcher's sake).
func (a *Adapter) page(ctx context.Context, ch, before string) ([]*discordgo.Message, error) {
	for waits := 0; ; waits++ {
		page, err := a.s.ChannelMessages(ch, pageSize, before, "", "", discordgo.WithContext(ctx))
		var rl *discordgo.RateLimitError
		if err == nil || !errors.As(err, &rl) || rl.RateLimit == nil || rl.TooManyRequests == nil || waits >= maxRateLimitWaits {
			if err != nil {
				return nil, a.apiError("read channel history", err)
			}
			return page, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(max(rl.RetryAfter, 100*time.Millisecond)):
		}
	}
}

// guildOf is the server of a channel that is not a DM: remembered, configured, or asked for once.
func (a *Adapter) guildOf(ch string) string {
	a.mu.Lock()
	c := a.cursors[ch]
	guild := c.Guild
	if guild == "" && c.Parent != "" && a.cursors[c.Parent] != nil {
		guild = a.cursors[c.Parent].Guild
	}
	a.mu.Unlock()
	if guild == "" {
		guild = a.cfg.Guild
	}
	if guild == "" {
		if info, err := a.s.Channel(ch); err == nil {
			guild = info.GuildID
		}
	}
	if guild != "" {
		a.mu.Lock()
		c.Guild = guild
		a.mu.Unlock()
	}
	return guild
}

// member returns a member of guild for their roles and name, nil when Discord does not say; asked once
// per catch-up round.
func (a *Adapter) member(ctx context.Context, guild, user string, cache map[string]*discordgo.Member) *discordgo.Member {
	key := guild + "/" + user
	if m, ok := cache[key]; ok {
		return m
	}
	m := a.fetchMember(ctx, guild, user)
	cache[key] = m
	return m
}
