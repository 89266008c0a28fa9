package slack

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/firstline-desk/firstline/bot"
)

// This file turns Slack's payloads into bot.Events. Both transports (Socket Mode and HTTP) hand their
// payloads here, so the desk behaves the same whichever one a company picks. Translation calls no Web
// API: names and user groups come from the directory (directory.go), since Slack waits for the ack.

// eventsAPI translates an Events API callback (the payload of a Socket Mode events_api envelope, or the
// body of an HTTP request). ok is false for events the desk does not act on.
func (a *Adapter) eventsAPI(payload []byte) (bot.Event, bool, error) {
	outer, err := slackevents.ParseEvent(payload, slackevents.OptionNoVerifyToken())
	if err != nil {
		return bot.Event{}, false, fmt.Errorf("parse event: %w", err)
	}
	cb, _ := outer.Data.(*slackevents.EventsAPICallbackEvent)
	if outer.Type != slackevents.CallbackEvent || cb == nil {
		return bot.Event{}, false, nil
	}
	switch ev := outer.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		var fs []slackapi.File
		if ev.Message != nil {
			fs = ev.Message.Files
		}
		return a.message(ev.User, ev.BotID, ev.SubType, ev.Channel, ev.ChannelType, ev.TimeStamp, ev.ThreadTimeStamp, ev.Text, fs, false)
	case *slackevents.AppMentionEvent:
		return a.message(ev.User, ev.BotID, "", ev.Channel, "", ev.TimeStamp, ev.ThreadTimeStamp, ev.Text, ev.Files, true)
	case *slackevents.AppHomeOpenedEvent:
		return a.appHome(cb.EventID, ev.User, ev.Channel, ev.Tab, ev.EventTimeStamp)
	case *slackevents.ReactionAddedEvent:
		return a.reaction(bot.EventReactionAdded, cb.EventID, ev.User, ev.Reaction, ev.Item, ev.EventTimestamp)
	case *slackevents.ReactionRemovedEvent:
		return a.reaction(bot.EventReactionRemoved, cb.EventID, ev.User, ev.Reaction, ev.Item, ev.EventTimestamp)
	}
	return bot.Event{}, false, nil
}

// message translates a message or an app_mention. Slack sends both for one message that mentions the bot
// in a channel it reads, with different event ids; the dedup key is the message itself (channel and ts),
// so the second changes nothing, and a redelivery of either neither.
func (a *Adapter) message(user, botID, subtype, channel, channelType, ts, threadTS, text string, fs []slackapi.File, mention bool) (bot.Event, bool, error) {
	switch {
	case user == "" || botID != "" || user == a.botUserID:
		return bot.Event{}, false, nil // the bot itself, other bots, system messages
	case subtype != "" && subtype != "thread_broadcast" && subtype != "file_share":
		return bot.Event{}, false, nil // edits, deletions, joins, topic changes: nobody asking anything
	}
	if threadTS == ts {
		threadTS = "" // the root of a thread is a top-level message
	}
	mention = mention || (a.botUserID != "" && strings.Contains(text, "<@"+a.botUserID+">"))
	a.noteConversation(channel, channelType)
	// A group DM with the bot (mpim) is a DM: one ticket, its requester who wrote first; but not a
	// private one.
	dm, group := a.conversationKind(channel, channelType)
	md, mentions := fromSlackMentions(text, a.resolver())
	return bot.Event{
		Kind:     bot.EventMessage,
		ID:       "msg:" + channel + ":" + ts,
		Platform: Platform,
		Channel:  channel,
		Thread:   threadTS,
		Message:  ts,
		User:     bot.JoinID(Platform, user),
		UserName: a.dir.name(user),
		Roles:    a.dir.roles(user),
		DM:       dm,
		Group:    group,
		Mention:  mention,
		Text:     md,
		Mentions: mentions,
		Files:    files(fs),
		Time:     tsTime(ts),
	}, true, nil
}

func (a *Adapter) reaction(kind bot.EventKind, eventID, user, name string, item slackevents.Item, eventTS string) (bot.Event, bool, error) {
	// The bot's own reactions come back as events too; they are effects, not requests.
	if user == "" || user == a.botUserID || item.Type != "message" {
		return bot.Event{}, false, nil
	}
	id := eventID
	if id == "" {
		id = item.Channel + ":" + item.Timestamp + ":" + user + ":" + name + ":" + eventTS
	}
	return bot.Event{
		Kind:     kind,
		ID:       "ev:" + id,
		Platform: Platform,
		Channel:  item.Channel,
		Message:  item.Timestamp,
		User:     bot.JoinID(Platform, user),
		UserName: a.dir.name(user),
		Roles:    a.dir.roles(user),
		Reaction: normalizeReaction(name),
		Time:     tsTime(eventTS),
	}, true, nil
}

// interaction translates a button press (block_actions) on a message or a home tab, a shortcut, and a
// submitted form. The trigger id is unique per press, so it is the dedup key.
func (a *Adapter) interaction(payload []byte) (bot.Event, bool, error) {
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal(payload, &cb); err != nil {
		return bot.Event{}, false, fmt.Errorf("parse interaction: %w", err)
	}
	switch cb.Type {
	case slackapi.InteractionTypeMessageAction, slackapi.InteractionTypeShortcut:
		return a.shortcut(cb)
	case slackapi.InteractionTypeViewSubmission:
		return a.submission(cb)
	}
	if cb.Type != slackapi.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		return bot.Event{}, false, nil
	}
	if cb.User.ID == "" {
		return bot.Event{}, false, nil // a click by nobody: messages and reactions without a user are dropped too
	}
	act := cb.ActionCallback.BlockActions[0]
	if cb.Container.Type == "view" || cb.View.Type == slackapi.VTHomeTab {
		return a.homeAction(cb, act)
	}
	channel, ts, thread := cb.Container.ChannelID, cb.Container.MessageTs, cb.Container.ThreadTs
	if channel == "" {
		channel = cb.Channel.ID
	}
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	if thread == "" {
		thread = cb.Message.ThreadTimestamp
	}
	if thread == ts {
		thread = ""
	}
	choice := act.Value
	if choice == "" {
		choice = act.ActionID
	}
	dm, group := a.conversationKind(channel, "")
	name := cb.User.Name
	if n := a.dir.name(cb.User.ID); n != "" {
		name = n
	}
	id := cb.TriggerID
	if id == "" {
		id = channel + ":" + ts + ":" + cb.User.ID + ":" + act.ActionTs
	}
	return bot.Event{
		Kind:     bot.EventClick,
		ID:       "act:" + id,
		Platform: Platform,
		Channel:  channel,
		Thread:   thread,
		Message:  ts,
		User:     bot.JoinID(Platform, cb.User.ID),
		UserName: name,
		Roles:    a.dir.roles(cb.User.ID),
		DM:       dm,
		Group:    group,
		Choice:   choice,
		Trigger:  cb.TriggerID,
		Time:     tsTime(act.ActionTs),
	}, true, nil
}

// slashCommand turns "/firstline status T-000123" into the message "!status T-000123", so slash commands
// and typed commands go through one parser; a bare "/firstline" asks for help. The event is private: Slack
// shows a slash command to its author only, and the answers go to them alone (PostPrivate).
func (a *Adapter) slashCommand(cmd slackapi.SlashCommand) (bot.Event, bool, error) {
	if cmd.UserID == "" || cmd.ChannelID == "" {
		return bot.Event{}, false, nil
	}
	text := strings.TrimSpace(cmd.Text)
	if text == "" {
		text = "help"
	}
	// The trigger id is unique per command typed, and the same in a redelivery: the dedup key.
	id := cmd.TriggerID
	if id == "" {
		id = cmd.ChannelID + ":" + cmd.UserID + ":" + strconv.FormatInt(time.Now().UnixNano(), 10)
	}
	a.rememberResponseURL(cmd.ResponseURL)
	dm, group := a.conversationKind(cmd.ChannelID, "")
	md, mentions := fromSlackMentions(text, a.resolver())
	return bot.Event{
		Kind:     bot.EventMessage,
		ID:       "cmd:" + id,
		Platform: Platform,
		Channel:  cmd.ChannelID,
		User:     bot.JoinID(Platform, cmd.UserID),
		UserName: firstOf(a.dir.name(cmd.UserID), cmd.UserName),
		Roles:    a.dir.roles(cmd.UserID),
		DM:       dm,
		Group:    group,
		// A command's text is mrkdwn like a message's (entities, and <@U…> when the command escapes them).
		Text:     a.cfg.CommandPrefix + md,
		Mentions: mentions,
		Time:     time.Now(),
		Private:  true, // a slash command is seen by its author alone, and so are the answers to it
		ReplyTo:  cmd.ResponseURL,
		Trigger:  cmd.TriggerID, // "/firstline new access" opens the form
	}, true, nil
}

// tsTime reads a Slack timestamp ("1700000000.000100") as a time; the zero time when it is not one.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	var us int64
	if frac != "" {
		us, _ = strconv.ParseInt((frac + "000000")[:6], 10, 64)
	}
	return time.Unix(s, us*1000).UTC()
}
