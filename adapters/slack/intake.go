package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
)

// Intake from Slack: the message shortcut "Create ticket", the global shortcut "New request", a home
// tab's buttons, a submitted form, the home tab opened; and reading a message people wrote, which the
// desk does after the event that asked for it is recorded (bot.MessageReader), never before the ack.

// The callback ids of the app's shortcuts and modal, as deploy/slack-manifest.yaml names them.
const (
	shortcutCreateTicket = "create_ticket" // message shortcut: this message becomes a ticket
	shortcutNewRequest   = "new_request"   // global shortcut: choose a form
	formCallbackID       = "firstline_form"
)

var _ bot.MessageReader = (*Adapter)(nil)

// shortcut translates a message shortcut (message_action) or a global shortcut. The trigger id is
// unique per use, so it is the dedup key.
func (a *Adapter) shortcut(cb slackapi.InteractionCallback) (bot.Event, bool, error) {
	user := cb.User.ID
	if user == "" || cb.TriggerID == "" {
		return bot.Event{}, false, nil
	}
	ev := bot.Event{
		ID: "act:" + cb.TriggerID, Platform: Platform, User: bot.JoinID(Platform, user),
		UserName: firstOf(a.dir.name(user), cb.User.Name), Roles: a.dir.roles(user),
		Trigger: cb.TriggerID, ReplyTo: cb.ResponseURL, Private: true, Time: tsTime(cb.ActionTs),
	}
	if cb.ResponseURL != "" {
		a.rememberResponseURL(cb.ResponseURL)
	}
	switch {
	case cb.Type == slackapi.InteractionTypeMessageAction && cb.CallbackID == shortcutCreateTicket:
		ts := firstOf(cb.Message.Timestamp, cb.MessageTs)
		if cb.Channel.ID == "" || ts == "" {
			return bot.Event{}, false, nil
		}
		thread := cb.Message.ThreadTimestamp
		if thread == ts {
			thread = ""
		}
		ev.Kind, ev.Channel, ev.Message, ev.Thread = bot.EventCreateTicket, cb.Channel.ID, ts, thread
		ev.DM, ev.Group = a.conversationKind(cb.Channel.ID, "")
		return ev, true, nil
	case cb.Type == slackapi.InteractionTypeShortcut && cb.CallbackID == shortcutNewRequest:
		ev.Kind, ev.Text = bot.EventMessage, a.cfg.CommandPrefix+"new"
		return ev, true, nil
	}
	return bot.Event{}, false, nil
}

// homeAction translates a button pressed on a home tab: "claim:T-000123" claims the ticket (an
// EventAction, under the card's rules), "form:ID" opens a form.
func (a *Adapter) homeAction(cb slackapi.InteractionCallback, act *slackapi.BlockAction) (bot.Event, bool, error) {
	user := cb.User.ID
	if user == "" {
		return bot.Event{}, false, nil
	}
	id := cb.TriggerID
	if id == "" {
		id = "home:" + user + ":" + act.ActionTs + ":" + act.Value
	}
	ev := bot.Event{
		ID: "act:" + id, Platform: Platform, User: bot.JoinID(Platform, user), UserName: firstOf(a.dir.name(user), cb.User.Name),
		Roles: a.dir.roles(user), Trigger: cb.TriggerID, Time: tsTime(act.ActionTs),
	}
	switch value := act.Value; {
	case strings.HasPrefix(value, "claim:"):
		ev.Kind, ev.Action, ev.Ticket = bot.EventAction, bot.ActionClaim, strings.TrimPrefix(value, "claim:")
	case strings.HasPrefix(value, "form:"):
		ev.Kind, ev.Choice, ev.Private = bot.EventClick, value, true
	default:
		return bot.Event{}, false, nil
	}
	return ev, true, nil
}

// appHome translates app_home_opened on the Home tab: the person looks at their home.
func (a *Adapter) appHome(eventID, user, channel, tab, eventTS string) (bot.Event, bool, error) {
	if user == "" || user == a.botUserID || tab != "home" {
		return bot.Event{}, false, nil
	}
	if channel != "" {
		a.noteConversation(channel, "im")
	}
	id := eventID
	if id == "" {
		id = "home:" + user + ":" + eventTS
	}
	return bot.Event{Kind: bot.EventHome, ID: "ev:" + id, Platform: Platform, User: bot.JoinID(Platform, user),
		UserName: a.dir.name(user), Roles: a.dir.roles(user), Time: tsTime(eventTS)}, true, nil
}

// files translates the files of a message. A file Slack only names (file_access "check_file_info") is
// kept by id; its name and size are read when it is copied.
func files(fs []slackapi.File) []bot.File {
	var out []bot.File
	for _, f := range fs {
		if f.ID == "" || f.Mode == "tombstone" {
			continue
		}
		out = append(out, bot.File{Platform: Platform, ID: f.ID, Name: firstOf(f.Name, f.Title, f.ID), Type: f.Mimetype, Size: int64(f.Size), URL: f.Permalink})
	}
	return out
}

// noteConversation remembers what kind of conversation a channel is ("im", "mpim", "channel", "group"),
// as a message event said, for events that do not say (app_mention, a shortcut).
func (a *Adapter) noteConversation(channel, kind string) {
	if channel == "" || kind == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.kinds == nil || len(a.kinds) >= maxKinds {
		a.kinds = map[string]string{}
	}
	a.kinds[channel] = kind
}

// maxKinds bounds the memory of conversation kinds; past it the memory starts over.
const maxKinds = 10000

// conversationKind reports whether channel is a DM with the bot, and whether others are in it (a group
// DM), from what the event says (channelType) or else what the adapter has seen.
func (a *Adapter) conversationKind(channel, channelType string) (dm, group bool) {
	if channelType == "" {
		a.mu.Lock()
		channelType = a.kinds[channel]
		a.mu.Unlock()
	}
	switch channelType {
	case "im":
		return true, false
	case "mpim":
		return true, true
	case "":
		return strings.HasPrefix(channel, "D"), false
	}
	return false, false
}

// ReadMessage implements bot.MessageReader: the message ref points at, with its author, text (as
// Markdown) and files. A top-level message is read with conversations.history; a reply in a thread (a
// reaction does not say which thread) with conversations.replies, which finds a message's thread from
// any message in it.
func (a *Adapter) ReadMessage(ctx context.Context, ref bot.MessageRef) (bot.ChatMessage, error) {
	var msgs []slackapi.Message
	if ref.Thread == "" {
		resp, err := a.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
			ChannelID: ref.Channel, Latest: ref.ID, Oldest: ref.ID, Inclusive: true, Limit: 1,
		})
		if err != nil {
			return bot.ChatMessage{}, a.readError("conversations.history", err)
		}
		msgs = resp.Messages
	}
	m, found := findTS(msgs, ref.ID)
	if !found {
		thread := firstOf(ref.Thread, ref.ID)
		replies, _, _, err := a.api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{
			ChannelID: ref.Channel, Timestamp: thread, Latest: ref.ID, Oldest: ref.ID, Inclusive: true, Limit: 10,
		})
		if err != nil {
			return bot.ChatMessage{}, a.readError("conversations.replies", err)
		}
		if m, found = findTS(replies, ref.ID); !found {
			return bot.ChatMessage{}, bot.Errorf(bot.ENOTFOUND, "slack: no message %s in %s", ref.ID, ref.Channel)
		}
	}
	out := bot.ChatMessage{Ref: bot.MessageRef{Platform: Platform, Channel: ref.Channel, ID: m.Timestamp}, Time: tsTime(m.Timestamp)}
	if m.ThreadTimestamp != "" && m.ThreadTimestamp != m.Timestamp {
		out.Ref.Thread = m.ThreadTimestamp
	}
	switch {
	case m.SubType == "tombstone" || m.SubType == "message_deleted":
		return bot.ChatMessage{}, bot.Errorf(bot.ENOTFOUND, "slack: message %s was deleted", ref.ID)
	case m.BotID != "" || m.User == a.botUserID || (m.SubType != "" && m.SubType != "thread_broadcast" && m.SubType != "file_share"):
		out.Bot = true
	case m.User != "":
		out.Author, out.AuthorName = bot.JoinID(Platform, m.User), a.dir.name(m.User)
	}
	out.Text = fromSlack(m.Text, a.resolver())
	out.Files = files(m.Files)
	return out, nil
}

// findTS returns the message with ts among msgs.
func findTS(msgs []slackapi.Message, ts string) (slackapi.Message, bool) {
	for _, m := range msgs {
		if m.Timestamp == ts {
			return m, true
		}
	}
	return slackapi.Message{}, false
}

// readError translates a failed read: a channel the bot cannot read is as good as a message that is
// gone (the desk says so and moves on); anything else is retried.
func (a *Adapter) readError(method string, err error) error {
	switch slackError(err) {
	case "channel_not_found", "not_in_channel", "thread_not_found", "missing_scope", "message_not_found":
		return bot.WrapError(err, bot.ENOTFOUND, "slack %s: %s", method, slackError(err))
	}
	return a.apiError(method, err)
}

// formMetadata is what a form's modal carries back in its private_metadata.
type formMetadata struct {
	Form string `json:"form"`
}

// submission translates a submitted form (view_submission of the desk's modal). Every value of the
// view's state is handed over, those of blocks the form does not have included, so the engine, which
// checks a submission against the form, refuses what is not the form's; a person's value is
// "slack:U…", named from the directory. The view id is the dedup key.
func (a *Adapter) submission(cb slackapi.InteractionCallback) (bot.Event, bool, error) {
	user := cb.User.ID
	if user == "" || cb.View.CallbackID != formCallbackID {
		return bot.Event{}, false, nil
	}
	var md formMetadata
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &md); err != nil || md.Form == "" {
		return bot.Event{}, false, fmt.Errorf("form submission without a form in its metadata")
	}
	sub := &bot.FormSubmission{Form: md.Form, Values: map[string]string{}, Names: map[string]string{}}
	if cb.View.State != nil {
		for block, actions := range cb.View.State.Values {
			for _, act := range actions {
				v := act.Value
				switch {
				case act.SelectedOption.Value != "":
					v = act.SelectedOption.Value
				case act.SelectedUser != "":
					v = bot.JoinID(Platform, act.SelectedUser)
					if name := a.dir.name(act.SelectedUser); name != "" {
						sub.Names[v] = name
					}
				case act.SelectedDate != "":
					v = act.SelectedDate
				}
				sub.Values[block] = v
			}
		}
	}
	id := cb.View.ID
	if id == "" {
		id = cb.TriggerID
	}
	return bot.Event{
		Kind: bot.EventForm, ID: "view:" + id, Platform: Platform, User: bot.JoinID(Platform, user),
		UserName: firstOf(a.dir.name(user), cb.User.Name), Roles: a.dir.roles(user), DM: true, Form: sub,
	}, true, nil
}
