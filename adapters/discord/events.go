package discord

import (
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
)

// onEvent is the one entry point for the gateway's dispatches (discordgo calls it after its typed
// handlers, with the sequence number, in order since SyncEvents is on).
func (a *Adapter) onEvent(s *discordgo.Session, e *discordgo.Event) {
	switch v := e.Struct.(type) {
	case *discordgo.Ready:
		a.onReady(v)
	case *discordgo.Resumed:
		a.mu.Lock()
		a.established = true
		a.setConnectedLocked(true)
		a.mu.Unlock()
		a.log.Info("discord gateway resumed")
	case *discordgo.MessageCreate:
		a.onMessage(v.Message)
	case *discordgo.MessageReactionAdd:
		a.onReaction(bot.EventReactionAdded, v.MessageReaction, v.Member, e.Sequence)
	case *discordgo.MessageReactionRemove:
		a.onReaction(bot.EventReactionRemoved, v.MessageReaction, nil, e.Sequence)
	case *discordgo.InteractionCreate:
		a.onInteraction(v.Interaction)
	case *discordgo.ThreadCreate:
		if v.Channel != nil && v.IsThread() {
			a.mu.Lock()
			a.parents[v.ID] = v.ParentID
			a.mu.Unlock()
		}
	}
}

func (a *Adapter) onReady(r *discordgo.Ready) {
	a.mu.Lock()
	a.established = true
	a.setConnectedLocked(true)
	a.readies++
	again := a.readies > 1
	a.sessionID = r.SessionID
	if r.User != nil {
		a.botID = r.User.ID
	}
	a.mu.Unlock()
	if !again {
		a.log.Info("connected to the discord gateway", "bot_user", a.BotID())
		return
	}
	// A second READY is a new session: Discord refused to resume, and what was said in between will not
	// be dispatched. Fetch it, without holding up the gateway's reader.
	a.log.Warn("discord session was not resumed; fetching the messages of the gap")
	go a.catchUp()
}

// handle gives an event to the engine; false when it was not recorded.
func (a *Adapter) handle(ev bot.Event) bool {
	a.mu.Lock()
	ctx, h := a.ctx, a.handler
	a.mu.Unlock()
	if h == nil {
		return false
	}
	if err := h.Handle(ctx, ev); err != nil {
		a.log.Error("discord event not recorded", "event_id", ev.ID, "err", err)
		return false
	}
	return true
}

// onMessage translates a message. Its id is the dedup key: a dispatch replayed on resume and a message
// fetched again by catchUp change nothing twice.
func (a *Adapter) onMessage(m *discordgo.Message) {
	if m == nil || m.Author == nil || m.Author.Bot || m.Author.ID == a.BotID() {
		return
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return // joins, pins, "thread created" notices: nobody asking anything
	}
	if a.cfg.Guild != "" && m.GuildID != "" && m.GuildID != a.cfg.Guild {
		return
	}
	channel, thread := a.place(m.ChannelID)
	if thread == "" && m.GuildID != "" && m.MessageReference != nil && m.MessageReference.MessageID != "" {
		// A Discord reply to a message counts as written in its thread: replying to a tier card is how a
		// technician answers without opening the thread first.
		thread = m.MessageReference.MessageID
	}
	mention := false
	botID := a.BotID()
	for _, u := range m.Mentions {
		if u != nil && u.ID == botID {
			mention = true
		}
	}
	ev := bot.Event{
		Kind:     bot.EventMessage,
		ID:       "msg:" + m.ID,
		Platform: Platform,
		Channel:  channel,
		Thread:   thread,
		Message:  m.ID,
		User:     bot.JoinID(Platform, m.Author.ID),
		UserName: displayName(m.Author, m.Member),
		Roles:    roles(m.Member),
		DM:       m.GuildID == "",
		Mention:  mention,
		Text:     fromDiscord(m.Content, botID, a.userName(m), func(string) string { return "" }),
		Time:     m.Timestamp,
	}
	if a.handle(ev) {
		a.mu.Lock()
		if newer(m.ID, a.lastSeen[m.ChannelID]) {
			a.lastSeen[m.ChannelID] = m.ID
		}
		if thread != "" {
			a.threads[thread] = true
		}
		a.mu.Unlock()
	}
}

// userName resolves the mentions of a message from the users it says it mentions.
func (a *Adapter) userName(m *discordgo.Message) func(string) string {
	return func(id string) string {
		for _, u := range m.Mentions {
			if u != nil && u.ID == id {
				return displayName(u, nil)
			}
		}
		return ""
	}
}

func (a *Adapter) onReaction(kind bot.EventKind, r *discordgo.MessageReaction, member *discordgo.Member, seq int64) {
	if r == nil || r.UserID == "" || r.UserID == a.BotID() {
		return // the bot's own reactions are effects, not requests
	}
	if a.cfg.Guild != "" && r.GuildID != "" && r.GuildID != a.cfg.Guild {
		return
	}
	name := reactionName(r.Emoji, a.cfg.CustomEmoji)
	if name == "" {
		return
	}
	channel, thread := a.place(r.ChannelID)
	a.mu.Lock()
	session := a.sessionID
	a.mu.Unlock()
	// Reactions have no id; within a session the sequence number is unique and a resume replays it
	// unchanged, so session and sequence make the dedup key.
	ev := bot.Event{
		Kind:     kind,
		ID:       "rx:" + session + ":" + strconv.FormatInt(seq, 10),
		Platform: Platform,
		Channel:  channel,
		Thread:   thread,
		Message:  r.MessageID,
		User:     bot.JoinID(Platform, r.UserID),
		UserName: displayName(nil, member),
		Roles:    roles(member),
		DM:       r.GuildID == "",
		Reaction: name,
		Time:     time.Now(),
	}
	if ev.UserName == "" {
		ev.UserName = a.memberName(r.GuildID, r.UserID)
	}
	a.handle(ev)
}

// onInteraction handles a button press, and acknowledges it within Discord's 3 seconds once recorded.
func (a *Adapter) onInteraction(i *discordgo.Interaction) {
	if i == nil || i.Type != discordgo.InteractionMessageComponent || i.Message == nil {
		return
	}
	user := i.User
	if i.Member != nil && i.Member.User != nil {
		user = i.Member.User
	}
	if user == nil {
		return
	}
	channel, thread := a.place(i.ChannelID)
	ev := bot.Event{
		Kind:     bot.EventClick,
		ID:       "int:" + i.ID,
		Platform: Platform,
		Channel:  channel,
		Thread:   thread,
		Message:  i.Message.ID,
		User:     bot.JoinID(Platform, user.ID),
		UserName: displayName(user, i.Member),
		Roles:    roles(i.Member),
		DM:       i.GuildID == "",
		Choice:   i.MessageComponentData().CustomID,
		Time:     time.Now(),
	}
	resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	if !a.handle(ev) {
		resp = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "Sorry, that did not go through. Please press it again.",
				Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}}}
	}
	if err := a.s.InteractionRespond(i, resp); err != nil {
		a.log.Warn("discord interaction not acknowledged", "interaction", i.ID, "err", err)
	}
}

// place maps a channel to where the engine thinks the message is: a thread is reported as its parent
// channel and the thread (whose id is the message it was started on), so a ticket's conversation and a
// card's thread look alike on every platform.
func (a *Adapter) place(channelID string) (channel, thread string) {
	a.mu.Lock()
	parent, known := a.parents[channelID]
	a.mu.Unlock()
	if !known {
		parent = ""
		if ch, err := a.s.Channel(channelID); err == nil && ch.IsThread() {
			parent = ch.ParentID
		}
		a.mu.Lock()
		a.parents[channelID] = parent
		a.mu.Unlock()
	}
	if parent == "" {
		return channelID, ""
	}
	return parent, channelID
}

// catchUp fetches the messages of help channels and of the desk's threads that came after the newest one
// handled (or, for a channel with none, since the gateway was last up) and handles them like dispatches.
func (a *Adapter) catchUp() {
	a.mu.Lock()
	since := a.lastUp
	channels := map[string]string{}
	for _, ch := range a.cfg.HelpChannels {
		channels[ch] = a.lastSeen[ch]
	}
	for th := range a.threads {
		channels[th] = a.lastSeen[th]
	}
	a.mu.Unlock()
	if since.IsZero() {
		since = time.Now().Add(-time.Minute)
	}
	fetched := 0
	for ch, after := range channels {
		if after == "" {
			after = snowflakeAt(since.Add(-time.Minute))
		}
		msgs, err := a.s.ChannelMessages(ch, 100, "", after, "")
		if err != nil {
			a.log.Warn("discord catch-up failed", "channel", ch, "err", err)
			continue
		}
		// Discord lists newest first.
		for i := len(msgs) - 1; i >= 0; i-- {
			m := msgs[i]
			if m.ChannelID == "" {
				m.ChannelID = ch
			}
			a.onMessage(m)
			fetched++
		}
	}
	a.log.Info("discord catch-up done", "messages", fetched, "channels", len(channels))
}

// snowflakeAt is the smallest Discord id of a moment: ids are milliseconds since 2015 shifted left 22 bits.
func snowflakeAt(t time.Time) string {
	ms := t.UnixMilli() - 1420070400000
	if ms < 0 {
		ms = 0
	}
	return strconv.FormatUint(uint64(ms)<<22, 10)
}

// newer reports whether snowflake x is after y ("" is before everything).
func newer(x, y string) bool {
	if len(x) != len(y) {
		return len(x) > len(y)
	}
	return x > y
}

func displayName(u *discordgo.User, m *discordgo.Member) string {
	if m != nil && m.Nick != "" {
		return m.Nick
	}
	if u == nil && m != nil {
		u = m.User
	}
	if u == nil {
		return ""
	}
	if u.GlobalName != "" {
		return u.GlobalName
	}
	return u.Username
}

// memberName asks for a member's name when an event did not carry it (reactions in DMs).
func (a *Adapter) memberName(guild, user string) string {
	if guild == "" {
		if u, err := a.s.User(user); err == nil {
			return displayName(u, nil)
		}
		return ""
	}
	if m, err := a.s.GuildMember(guild, user); err == nil {
		return displayName(m.User, m)
	}
	return ""
}

func roles(m *discordgo.Member) []string {
	if m == nil {
		return nil
	}
	out := make([]string, 0, len(m.Roles))
	for _, r := range m.Roles {
		out = append(out, Platform+":role:"+r)
	}
	return out
}
