package discord

import (
	"context"
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
	case *discordgo.GuildCreate:
		if v.Guild != nil {
			a.wantCommands(v.ID)
		}
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
	a.sessionID = r.SessionID
	if r.User != nil {
		a.botID = r.User.ID
	}
	if r.Application != nil && r.Application.ID != "" {
		a.appID = r.Application.ID
	}
	a.mu.Unlock()
	for _, g := range r.Guilds {
		if g != nil {
			a.wantCommands(g.ID)
		}
	}
	// Every READY starts a session, and nothing said before it will be dispatched: at start (the desk was
	// stopped), after Discord refused to resume, after a zombie connection was closed. The gaps are
	// opened here, before the gateway's reader hands over the next dispatch, so that no live message
	// moves a cursor past one not fetched yet; the fetching runs on catchUpLoop's goroutine.
	n := a.openGaps()
	a.log.Info("connected to the discord gateway; catching up", "bot_user", a.BotID(), "channels", n)
	a.kickCatchUp()
}

// runCtx is Run's context, for what dispatches start.
func (a *Adapter) runCtx() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ctx == nil {
		return context.Background()
	}
	return a.ctx
}

// handle gives an event to the engine; false when it was not recorded.
func (a *Adapter) handle(ev bot.Event) bool {
	if err := a.handleErr(ev); err != nil {
		a.log.Error("discord event not recorded", "event_id", ev.ID, "err", err)
		return false
	}
	return true
}

// handleErr gives an event to the engine and returns why it was not recorded, nil when it was.
func (a *Adapter) handleErr(ev bot.Event) error {
	a.mu.Lock()
	ctx, h := a.ctx, a.handler
	a.mu.Unlock()
	if h == nil {
		return bot.Errorf(bot.EUNAVAILABLE, "discord: the adapter is not running")
	}
	return h.Handle(ctx, ev)
}

// outcome is what became of a message handed to the engine.
type outcome int

const (
	skipped  outcome = iota // not for the desk: the bot's own, a system notice, another server
	recorded                // the engine recorded it
	failed                  // the engine did not record it
)

// onMessage handles a message the gateway dispatched, and moves its channel's catch-up cursor.
func (a *Adapter) onMessage(m *discordgo.Message) {
	if m == nil {
		return
	}
	switch a.handleMessage(a.runCtx(), m, m.GuildID == "", false) {
	case recorded:
		a.recorded(m.ChannelID, m.ID, m.GuildID)
	case failed:
		a.notRecorded(m.ChannelID, m.GuildID)
	}
}

// handleMessage translates a message, dispatched or fetched by catch-up (dm: it is in a DM channel; a
// fetched message does not say; fetch: off the gateway's goroutine, so an unknown channel may be looked
// up over REST), and hands it to the engine. Its id is the dedup key: a dispatch replayed
// on resume and a message fetched again by catch-up change nothing twice.
func (a *Adapter) handleMessage(ctx context.Context, m *discordgo.Message, dm, fetch bool) outcome {
	if m.Author == nil || m.Author.Bot || m.Author.ID == a.BotID() {
		return skipped
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return skipped // joins, pins, "thread created" notices: nobody asking anything
	}
	if a.cfg.Guild != "" && m.GuildID != "" && m.GuildID != a.cfg.Guild {
		return skipped
	}
	channel, thread := a.place(ctx, m.ChannelID, m.GuildID, fetch)
	if dm {
		a.dmChannels.Store(m.ChannelID, true)
	}
	if thread == "" && m.MessageReference != nil && m.MessageReference.MessageID != "" {
		// A Discord reply to a message counts as written in its thread: replying to a tier card is how a
		// technician answers without opening the thread first, and in a DM, which has no threads, how a
		// person writes in the thread of the desk's message there (a form's receipt).
		thread = m.MessageReference.MessageID
	}
	mention := false
	botID := a.BotID()
	for _, u := range m.Mentions {
		if u != nil && u.ID == botID {
			mention = true
		}
	}
	a.noteMember(m.GuildID, m.Author, m.Member)
	text, mentions := fromDiscordMentions(m.Content, botID, a.userName(m), func(string) string { return "" }, a.channelName)
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
		DM:       dm,
		Mention:  mention,
		Text:     text,
		Mentions: mentions,
		Files:    files(m),
		Time:     m.Timestamp,
	}
	if !a.handle(ev) {
		return failed
	}
	return recorded
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
	channel, thread := a.place(a.runCtx(), r.ChannelID, r.GuildID, false)
	a.mu.Lock()
	session := a.sessionID
	a.mu.Unlock()
	// A reaction added in a server carries the member; one removed, or made in a DM, does not: its
	// roles and name come from the directory (directory.go says what is trusted).
	userRoles, userName := roles(member), displayName(nil, member)
	if member != nil {
		a.noteMember(r.GuildID, nil, member)
	} else {
		if r.GuildID != "" {
			userRoles, _ = a.dir.roles(r.GuildID, r.UserID)
		}
		userName = a.dir.name(r.GuildID, r.UserID)
	}
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
		UserName: userName,
		Roles:    userRoles,
		DM:       r.GuildID == "",
		Reaction: name,
		Time:     time.Now(),
	}
	a.handle(ev)
}

// onInteraction answers an interaction within Discord's 3 seconds: a button press, an application
// command, an autocomplete, a modal's submission. What the engine must know is recorded first; what only
// shows something (a modal, autocomplete results) is answered from memory.
func (a *Adapter) onInteraction(i *discordgo.Interaction) {
	if i == nil {
		return
	}
	user := i.User
	if i.Member != nil && i.Member.User != nil {
		user = i.Member.User
	}
	if user == nil || user.ID == "" || (a.cfg.Guild != "" && i.GuildID != "" && i.GuildID != a.cfg.Guild) {
		return
	}
	switch data := i.Data.(type) {
	case discordgo.MessageComponentInteractionData:
		if i.Type != discordgo.InteractionMessageComponent || i.Message == nil {
			return
		}
		if a.formButton(i, user, data.CustomID) {
			return
		}
		a.click(i, user, data.CustomID)
	case discordgo.ApplicationCommandInteractionData:
		switch i.Type {
		case discordgo.InteractionApplicationCommand:
			a.onCommand(i, user)
		case discordgo.InteractionApplicationCommandAutocomplete:
			a.autocomplete(i, user)
		}
	case discordgo.ModalSubmitInteractionData:
		if i.Type == discordgo.InteractionModalSubmit {
			a.submitForm(i, user)
		}
	}
}

// click hands a button press to the engine, and acknowledges it once recorded.
func (a *Adapter) click(i *discordgo.Interaction, user *discordgo.User, customID string) {
	channel, thread := a.place(a.runCtx(), i.ChannelID, i.GuildID, false)
	a.noteMember(i.GuildID, user, i.Member)
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
		Choice:   customID,
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
