package discord

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
)

// The fuzzers here feed the adapter the gateway's dispatches as Discord would send them: arbitrary JSON
// decoded into discordgo's event types, then handed to onEvent as discordgo does. And they render
// arbitrary posts as Discord messages. FuzzMarkdown is in render_test.go.
// `go test -run '^$' -fuzz FuzzDispatch -parallel=1 ./adapters/discord` explores.

const (
	fuzzBotID  = "1000"
	fuzzGuild  = "900"
	fuzzParent = "500" // the channel of every thread fuzzDiscordAPI knows
	fuzzFail   = "fail"
)

// fuzzThreads are the threads (in fuzzParent) discordgo's state holds, as after GUILD_CREATE: translation
// reads them there. Another channel is taken for a channel.
var fuzzThreads = []string{"7001", "7002", "7003", "7004", "7005", "7006", "7007", "7008", "7009"}

// fuzzDiscordAPI answers REST calls in memory (translation makes none, but a dispatch's answer does): a
// channel whose id starts with 7 is a thread in fuzzParent, every other lookup is 404, and interaction
// callbacks are recorded.
type fuzzDiscordAPI struct {
	mu        sync.Mutex
	callbacks []fuzzCallback
}

// fuzzCallback is an interaction's response as sent: its type, and what of its data the checks read.
type fuzzCallback struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data *struct {
		Content string                 `json:"content"`
		Flags   discordgo.MessageFlags `json:"flags"`
		Title   string                 `json:"title"`
	} `json:"data"`
}

func (f *fuzzDiscordAPI) RoundTrip(r *http.Request) (*http.Response, error) {
	status, body := http.StatusNotFound, `{"message":"Unknown","code":10003}`
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 4 && parts[2] == "channels" && strings.HasPrefix(parts[3], "7"):
		raw, _ := json.Marshal(map[string]any{"id": parts[3], "type": discordgo.ChannelTypeGuildPublicThread, "parent_id": fuzzParent, "guild_id": fuzzGuild})
		status, body = http.StatusOK, string(raw)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/callback"):
		var resp fuzzCallback
		if err := json.NewDecoder(r.Body).Decode(&resp); err != nil {
			return nil, err
		}
		f.mu.Lock()
		f.callbacks = append(f.callbacks, resp)
		f.mu.Unlock()
		status, body = http.StatusNoContent, ""
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

func (f *fuzzDiscordAPI) take() []fuzzCallback {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.callbacks
	f.callbacks = nil
	return out
}

// fuzzHandler keeps the events handed over; it fails on a click of the choice "fail", a command on the
// message "fail" and the form "fail", as a full disk would.
type fuzzHandler struct {
	mu     sync.Mutex
	events []bot.Event
}

func (h *fuzzHandler) Handle(_ context.Context, ev bot.Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ev.Choice == fuzzFail || ev.Message == fuzzFail || (ev.Form != nil && ev.Form.Form == fuzzFail) {
		return errors.New("disk full")
	}
	h.events = append(h.events, ev)
	return nil
}

func (h *fuzzHandler) take() []bot.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.events
	h.events = nil
	return out
}

// Realistic dispatches (the "d" of MESSAGE_CREATE and the others), written for these fuzzers after
// Discord's documented shapes.
const (
	seedMessage = `{"id":"1200000000000000001","channel_id":"100","guild_id":"900","type":0,"content":"<@1000>: my VPN drops <#101> <@&77>",` +
		`"timestamp":"2026-03-01T10:00:00.000000+00:00","author":{"id":"2001","username":"alice","global_name":"Alice"},` +
		`"member":{"nick":"Ali","roles":["77","78"]},"mentions":[{"id":"1000","username":"firstline","bot":true}]}`
	seedThreadReply = `{"id":"1200000000000000002","channel_id":"7001","guild_id":"900","type":19,"content":"still down :wave:",` +
		`"timestamp":"2026-03-01T10:05:00Z","author":{"id":"2002","username":"bob"},"message_reference":{"message_id":"1200000000000000001"}}`
	seedDM         = `{"id":"1200000000000000003","channel_id":"300","type":0,"content":"!status","author":{"id":"2001","username":"alice"}}`
	seedBotMessage = `{"id":"1200000000000000004","channel_id":"100","guild_id":"900","type":0,"content":"card","author":{"id":"1000","bot":true}}`
	seedJoin       = `{"id":"1200000000000000005","channel_id":"100","guild_id":"900","type":7,"content":"","author":{"id":"2003"}}`
	seedOtherGuild = `{"id":"1200000000000000006","channel_id":"100","guild_id":"901","type":0,"content":"hi","author":{"id":"2003"}}`
	seedReaction   = `{"user_id":"2001","channel_id":"7001","message_id":"1200000000000000007","guild_id":"900",` +
		`"emoji":{"id":null,"name":"\ud83d\ude4b\ud83c\udffd\u200d\u2640\ufe0f"},"member":{"user":{"id":"2001","username":"alice"},"roles":["77"]}}`
	seedCustomReaction = `{"user_id":"2002","channel_id":"100","message_id":"1200000000000000008","emoji":{"id":"555","name":"Claim"}}`
	seedKeycap         = `{"user_id":"2002","channel_id":"300","message_id":"1200000000000000009","emoji":{"name":"3\ufe0f\u20e3"}}`
	seedClick          = `{"id":"1300000000000000001","application_id":"1","type":3,"token":"tok","guild_id":"900","channel_id":"7001",` +
		`"data":{"custom_id":"solved","component_type":2},"message":{"id":"1200000000000000010","channel_id":"7001"},` +
		`"member":{"user":{"id":"2001","username":"alice"},"nick":"Ali","roles":["77"]}}`
	seedDMClick = `{"id":"1300000000000000002","type":3,"token":"tok","channel_id":"300","data":{"custom_id":"fail","component_type":2},` +
		`"message":{"id":"1200000000000000011"},"user":{"id":"2001","username":"alice"}}`
	seedCommand = `{"id":"1300000000000000003","type":2,"token":"tok","data":{"id":"1","name":"firstline","type":1},"user":{"id":"2001"}}`
	seedStatus  = `{"id":"1300000000000000004","application_id":"1","type":2,"token":"tok","guild_id":"900","channel_id":"7001",` +
		`"data":{"id":"2","name":"status","type":1,"options":[{"name":"ticket","type":3,"value":"T-000001"}]},` +
		`"member":{"user":{"id":"2001","username":"alice"},"roles":["77"]}}`
	seedCreateTicket = `{"id":"1300000000000000005","application_id":"1","type":2,"token":"tok","guild_id":"900","channel_id":"100",` +
		`"data":{"id":"3","name":"Create ticket","type":3,"target_id":"1200000000000000001"},"member":{"user":{"id":"2002","username":"bob"},"roles":[]}}`
	seedAutocomplete = `{"id":"1300000000000000006","application_id":"1","type":4,"token":"tok","guild_id":"900","channel_id":"100",` +
		`"data":{"id":"4","name":"ticket","type":1,"options":[{"name":"form","type":3,"value":"acc","focused":true}]},"member":{"user":{"id":"2001"}}}`
	seedModal = `{"id":"1300000000000000007","application_id":"1","type":5,"token":"tok","guild_id":"900","channel_id":"100",` +
		`"data":{"custom_id":"form:access:0","components":[{"type":1,"components":[{"type":4,"custom_id":"system","value":"VPN"}]}]},` +
		`"member":{"user":{"id":"2001","username":"alice"},"roles":[]}}`
	seedFormButton = `{"id":"1300000000000000008","application_id":"1","type":3,"token":"tok","channel_id":"300","data":{"custom_id":"form:access","component_type":2},` +
		`"message":{"id":"1200000000000000012"},"user":{"id":"2001","username":"alice"}}`
	seedThread = `{"id":"7002","type":11,"parent_id":"100","guild_id":"900","name":"VPN drops"}`
)

// Kinds of dispatch FuzzDispatch decodes its input as.
var fuzzDispatches = []func() any{
	func() any { return &discordgo.MessageCreate{} },
	func() any { return &discordgo.MessageReactionAdd{} },
	func() any { return &discordgo.MessageReactionRemove{} },
	func() any { return &discordgo.InteractionCreate{} },
	func() any { return &discordgo.ThreadCreate{} },
}

// FuzzDispatch decodes arbitrary JSON as MESSAGE_CREATE, MESSAGE_REACTION_ADD and _REMOVE,
// INTERACTION_CREATE or THREAD_CREATE and runs it through onEvent, as discordgo does. It checks every event
// handed to the engine is well formed and respects the adapter's rules (not the bot's own, not another
// server's, only people's messages, threads reported as their channel and thread), and that every button
// press is answered exactly once: deferred when recorded, with an apology when not.
func FuzzDispatch(f *testing.F) {
	for kind, seeds := range [][]string{
		{seedMessage, seedThreadReply, seedDM, seedBotMessage, seedJoin, seedOtherGuild, `{"author":null}`, `null`},
		{seedReaction, seedCustomReaction, seedKeycap, `{"user_id":"1000","emoji":{"name":"\ud83d\udc4d"}}`, `{}`},
		{seedReaction, seedCustomReaction},
		{seedClick, seedDMClick, seedCommand, seedStatus, seedCreateTicket, seedAutocomplete, seedModal, seedFormButton,
			`{"type":3,"data":null,"message":{"id":"1"},"user":{"id":"2"}}`, `{"type":3}`},
		{seedThread, `{"id":"100","type":0}`},
	} {
		for _, s := range seeds {
			f.Add(uint8(kind), []byte(s), int64(kind+1))
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte, seq int64) {
		v := fuzzDispatches[int(kind)%len(fuzzDispatches)]()
		if err := json.Unmarshal(data, v); err != nil {
			return // discordgo drops a dispatch it cannot decode
		}
		api := &fuzzDiscordAPI{}
		a, err := New(Config{Token: "fuzz", Guild: fuzzGuild, HTTPClient: &http.Client{Transport: api},
			CustomEmoji: map[string]string{"555": "raising_hand", "claim": "arrow_up"}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		state := &discordgo.Guild{ID: fuzzGuild}
		for _, id := range fuzzThreads {
			state.Threads = append(state.Threads, &discordgo.Channel{ID: id, GuildID: fuzzGuild, ParentID: fuzzParent, Type: discordgo.ChannelTypeGuildPublicThread})
		}
		if err := a.s.State.GuildAdd(state); err != nil {
			t.Fatal(err)
		}
		h := &fuzzHandler{}
		a.ctx, a.handler, a.botID, a.sessionID = context.Background(), h, fuzzBotID, "s1"
		a.onEvent(a.s, &discordgo.Event{Sequence: seq, Struct: v})
		evs, callbacks := h.take(), api.take()

		if len(evs) > 1 {
			t.Fatalf("one dispatch made %d events", len(evs))
		}
		var guild, channel string // of the dispatch, to check the event against
		switch v := v.(type) {
		case *discordgo.MessageCreate:
			if m := v.Message; m != nil {
				guild, channel = m.GuildID, m.ChannelID
				if len(evs) == 1 && (m.Author == nil || m.Author.Bot || m.Author.ID == fuzzBotID ||
					(m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply)) {
					t.Fatalf("message %+v from a bot or the system became %+v", m, evs[0])
				}
			}
		case *discordgo.MessageReactionAdd:
			if v.MessageReaction != nil {
				guild, channel = v.GuildID, v.ChannelID
			}
		case *discordgo.MessageReactionRemove:
			if v.MessageReaction != nil {
				guild, channel = v.GuildID, v.ChannelID
			}
		case *discordgo.InteractionCreate:
			guild, channel = checkInteraction(t, v.Interaction, evs, callbacks)
			if guild == "-" {
				return
			}
		case *discordgo.ThreadCreate:
			if len(evs) > 0 {
				t.Fatalf("a thread made events %+v", evs)
			}
			return
		}
		if len(evs) == 0 {
			return
		}
		ev := evs[0]
		if _, interaction := v.(*discordgo.InteractionCreate); len(callbacks) > 0 && !interaction {
			t.Fatalf("%s answered as an interaction", ev.Kind)
		}
		checkDiscordEvent(t, ev, guild, channel)
	})
}

// checkInteraction checks what an interaction made: every interaction of a person in the desk's server
// (or a DM) is answered exactly once, with what fits its kind, and what the engine must know is recorded
// before it is answered (a failure to record is answered with an apology, privately). It returns the
// interaction's server and channel, or "-" when there is nothing more to check.
func checkInteraction(t *testing.T, i *discordgo.Interaction, evs []bot.Event, callbacks []fuzzCallback) (guild, channel string) {
	t.Helper()
	var u *discordgo.User
	if i != nil {
		u = i.User
		if i.Member != nil && i.Member.User != nil {
			u = i.Member.User
		}
	}
	known := false
	// Discord's ids and tokens are URL-safe; discordgo puts them in the callback's path as they are, so
	// one with "#", "?" or "/" never reaches the callback route, here or at Discord.
	urlSafe := i != nil && !strings.ContainsAny(i.ID+i.Token, "#?/%")
	if urlSafe && u != nil && u.ID != "" && (i.GuildID == "" || i.GuildID == fuzzGuild) {
		switch i.Data.(type) {
		case discordgo.MessageComponentInteractionData:
			known = i.Type == discordgo.InteractionMessageComponent && i.Message != nil
		case discordgo.ApplicationCommandInteractionData:
			known = i.Type == discordgo.InteractionApplicationCommand || i.Type == discordgo.InteractionApplicationCommandAutocomplete
		case discordgo.ModalSubmitInteractionData:
			known = i.Type == discordgo.InteractionModalSubmit
		}
	}
	if !known {
		if urlSafe && (len(evs) > 0 || len(callbacks) > 0) {
			t.Fatalf("interaction %+v that is none of the desk's made %+v and answers %+v", i, evs, callbacks)
		}
		return "-", ""
	}
	if len(callbacks) != 1 {
		t.Fatalf("interaction %+v answered %d times: %+v", i, len(callbacks), callbacks)
	}
	cb := callbacks[0]
	private := cb.Data != nil && cb.Data.Flags&discordgo.MessageFlagsEphemeral != 0
	failed := len(evs) == 0 && cb.Type == discordgo.InteractionResponseChannelMessageWithSource && cb.Data != nil &&
		strings.Contains(cb.Data.Content, "did not go through")
	if failed && !private {
		t.Fatalf("an interaction that was not recorded is answered %+v, not privately", cb)
	}
	switch data := i.Data.(type) {
	case discordgo.MessageComponentInteractionData:
		if strings.HasPrefix(data.CustomID, formPrefix) || strings.HasPrefix(data.CustomID, formPagePrefix) {
			if len(evs) > 0 || !(cb.Type == discordgo.InteractionResponseModal || private) {
				t.Fatalf("a form's button made %+v and %+v", evs, cb)
			}
			return "-", ""
		}
		if !failed && (cb.Type != discordgo.InteractionResponseDeferredMessageUpdate || len(evs) != 1 ||
			evs[0].Choice != data.CustomID || evs[0].Message != i.Message.ID) {
			t.Fatalf("button press %+v made %+v and %+v", i, evs, cb)
		}
	case discordgo.ApplicationCommandInteractionData:
		switch {
		case i.Type == discordgo.InteractionApplicationCommandAutocomplete:
			if cb.Type != discordgo.InteractionApplicationCommandAutocompleteResult || len(evs) > 0 {
				t.Fatalf("autocomplete made %+v and %+v", evs, cb)
			}
		case len(evs) == 1:
			if !private || (cb.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource && cb.Type != discordgo.InteractionResponseChannelMessageWithSource) ||
				!evs[0].Private || (evs[0].Kind != bot.EventMessage && evs[0].Kind != bot.EventCreateTicket) {
				t.Fatalf("command %+v made %+v and %+v", data, evs[0], cb)
			}
		case !failed && cb.Type != discordgo.InteractionResponseModal && !private:
			t.Fatalf("command %+v made no event and answered %+v", data, cb)
		}
	case discordgo.ModalSubmitInteractionData:
		if !private || (len(evs) == 1 && evs[0].Kind != bot.EventForm) {
			t.Fatalf("a form's submission made %+v and %+v", evs, cb)
		}
	}
	return i.GuildID, i.ChannelID
}

// checkDiscordEvent checks what every event from a dispatch in guild and channel must be.
func checkDiscordEvent(t *testing.T, ev bot.Event, guild, channel string) {
	t.Helper()
	if ev.Platform != Platform || !strings.HasPrefix(ev.User, "discord:") || ev.User == "discord:"+fuzzBotID {
		t.Fatalf("event %+v: not from a Discord user other than the bot", ev)
	}
	prefix := map[bot.EventKind]string{bot.EventMessage: "msg:", bot.EventReactionAdded: "rx:s1:", bot.EventReactionRemoved: "rx:s1:",
		bot.EventClick: "int:", bot.EventCreateTicket: "int:", bot.EventForm: "int:"}[ev.Kind]
	if ev.Private && ev.Kind == bot.EventMessage {
		prefix = "int:" // an application command
	}
	if prefix == "" || !strings.HasPrefix(ev.ID, prefix) {
		t.Fatalf("event %+v: kind %q or id without its prefix %q", ev, ev.Kind, prefix)
	}
	if ev.Kind != bot.EventClick && guild != "" && guild != fuzzGuild {
		t.Fatalf("event %+v from server %s, but the desk serves %s only", ev, guild, fuzzGuild)
	}
	if ev.Kind == bot.EventForm {
		// A form's ticket lives in the requester's DM, wherever the form was opened.
		if !ev.DM || ev.Channel != "" || ev.Thread != "" || ev.Form == nil {
			t.Fatalf("form event %+v", ev)
		}
		return
	}
	if ev.DM != (guild == "") {
		t.Fatalf("event %+v: DM %v in server %q", ev, ev.DM, guild)
	}
	switch {
	case slices.Contains(fuzzThreads, channel) && guild != "": // a thread, as the state knows
		if ev.Channel != fuzzParent || ev.Thread != channel {
			t.Fatalf("event %+v in thread %s not reported as in its channel and thread", ev, channel)
		}
	case ev.Channel != channel:
		t.Fatalf("event %+v in channel %q", ev, channel)
	}
	for _, r := range ev.Roles {
		if !strings.HasPrefix(r, "discord:role:") {
			t.Fatalf("role %q", r)
		}
	}
	if (ev.Kind == bot.EventReactionAdded || ev.Kind == bot.EventReactionRemoved) && (ev.Reaction == "" || ev.Reaction != normalizeName(ev.Reaction)) {
		t.Fatalf("reaction name %q", ev.Reaction)
	}
	if ev.Kind == bot.EventMessage && ev.Text != strings.TrimSpace(ev.Text) {
		t.Fatalf("message text %q", ev.Text)
	}
}

// messageSeeds are FuzzMessageSend's seeds besides its corpus files.
var messageSeeds = []messageSeed{
	{"", "Your ticket **T-12** is open. A technician will answer here.", "", "solved\x1eSolved\x1fhuman\x1eTalk to a person", 2, ""},
	{"", strings.Repeat("x", 1990), "", "", 0, "discord:role:123456789012345678,discord:role:876543210987654321"},
	{"", "```sh\n" + strings.Repeat("echo a line && true\n", 150) + "```", "", "a\x1e@everyone\x1fa\x1eduplicate\x1f\x1eempty id", 30, "discord:role:1"},
	{"T-12: VPN down", "Requester says <@123> and @here", "Tier\x1e2\x1fOwner\x1e<@&5>", "claim\x1eClaim", 1, "discord:role:<@&9>"},
	{"", "", "", strings.Repeat("y", 101) + "\x1elong id", 63, "slack:subteam:S1"},
}

type messageSeed struct {
	title, text, fields, choices string
	nChoices                     uint8
	notify                       string
}

// fuzzPost builds FuzzMessageSend's post: fields and choices are separated by \x1f, a name or id from
// its value or label by \x1e; choices repeat to make nChoices of them (mod 64).
func fuzzPost(title, text, fields, choices string, nChoices uint8, notify string) bot.Post {
	p := bot.Post{Title: title, Text: text}
	if fields != "" {
		for _, fv := range strings.Split(fields, "\x1f") {
			name, value, _ := strings.Cut(fv, "\x1e")
			p.Fields = append(p.Fields, bot.Field{Name: name, Value: value})
		}
	}
	if cs := strings.Split(choices, "\x1f"); choices != "" {
		for i := range int(nChoices % 64) {
			id, label, _ := strings.Cut(cs[i%len(cs)], "\x1e")
			p.Choices = append(p.Choices, bot.Choice{ID: id, Label: label, Style: []string{"", bot.StylePrimary, bot.StyleDanger}[i%3]})
		}
	}
	if notify != "" && len(notify) <= 256 {
		// The engine pings a tier's on-call role: a few ids of at most 21 digits, not a page of them.
		p.Notify = strings.Split(notify, ",")
	}
	return p
}

// FuzzMessageSend renders arbitrary posts (title, text, fields, up to 63 choices, roles to notify) as the
// messages and the edit Discord is sent, and checks Discord's limits on each: content of 1 to 2000
// characters, an embed within its limits, at most 5 rows of 5 buttons with unique custom ids of at most
// 100 characters and labels of at most 80, buttons on the last message only; that nothing mentions anyone
// but the roles named in Notify, and those only by id in allowed_mentions.
func FuzzMessageSend(f *testing.F) {
	for _, seed := range messageSeeds {
		f.Add(seed.title, seed.text, seed.fields, seed.choices, seed.nChoices, seed.notify)
	}
	f.Fuzz(func(t *testing.T, title, text, fields, choices string, nChoices uint8, notify string) {
		p := fuzzPost(title, text, fields, choices, nChoices, notify)
		roles := map[string]bool{}
		for _, id := range notifyRoles(p.Notify) {
			roles[id] = true
		}

		msgs := messageSend(p)
		if len(msgs) == 0 {
			t.Fatal("no message")
		}
		for i, m := range msgs {
			if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) > 0 {
				t.Fatalf("message %d allows mentions %+v", i, m.AllowedMentions)
			}
			for _, r := range m.AllowedMentions.Roles {
				if !roles[r] {
					t.Fatalf("message %d allows role %q, not in Notify", i, r)
				}
			}
			if len(m.Embeds) == 0 {
				if n := utf8.RuneCountInString(m.Content); n == 0 || n > maxContent {
					t.Fatalf("message %d of %d has %d characters", i, len(msgs), n)
				}
			}
			assertSafe(t, withoutRolePings(t, m.Content, roles))
			if i < len(msgs)-1 && len(m.Components) > 0 {
				t.Fatalf("buttons on message %d of %d", i, len(msgs))
			}
			for _, e := range m.Embeds {
				checkEmbed(t, e)
			}
		}
		checkRows(t, msgs[len(msgs)-1].Components)

		e := messageEdit("100", "1200", p)
		if e.Content == nil || e.Embeds == nil || e.Components == nil || e.AllowedMentions == nil || len(e.AllowedMentions.Parse) > 0 {
			t.Fatalf("the edit leaves part of the old message: %+v", e)
		}
		if n := utf8.RuneCountInString(*e.Content); len(*e.Embeds) == 0 && (n == 0 || n > maxContent) {
			t.Fatalf("an edit of %d characters", n)
		}
		assertSafe(t, *e.Content)
		for _, em := range *e.Embeds {
			checkEmbed(t, em)
		}
		checkRows(t, *e.Components)
	})
}

// withoutRolePings removes the mentions <@&ID> of roles from s, failing on any other role's.
func withoutRolePings(t *testing.T, s string, roles map[string]bool) string {
	t.Helper()
	for {
		i := strings.Index(s, "<@&")
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 || !roles[s[i+3:i+j]] {
			t.Fatalf("mention of a role not in Notify: %q", s)
		}
		s = s[:i] + s[i+j+1:]
	}
}

func checkEmbed(t *testing.T, e *discordgo.MessageEmbed) {
	t.Helper()
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	if utf8.RuneCountInString(e.Title) > maxTitle || utf8.RuneCountInString(e.Description) > maxDescription || len(e.Fields) > maxFields {
		t.Fatalf("embed over a limit: title %d, description %d, %d fields", utf8.RuneCountInString(e.Title), utf8.RuneCountInString(e.Description), len(e.Fields))
	}
	assertSafe(t, e.Title)
	assertSafe(t, e.Description)
	for _, fd := range e.Fields {
		if fd.Name == "" || fd.Value == "" || utf8.RuneCountInString(fd.Name) > maxFieldName || utf8.RuneCountInString(fd.Value) > maxFieldValue {
			t.Fatalf("embed field %q: %q", fd.Name, fd.Value)
		}
		assertSafe(t, fd.Name)
		assertSafe(t, fd.Value)
		n += utf8.RuneCountInString(fd.Name) + utf8.RuneCountInString(fd.Value)
	}
	if n > maxEmbed {
		t.Fatalf("embed of %d characters", n)
	}
}

func checkRows(t *testing.T, rows []discordgo.MessageComponent) {
	t.Helper()
	if len(rows) > maxRows {
		t.Fatalf("%d rows of buttons", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		row, ok := r.(discordgo.ActionsRow)
		if !ok || len(row.Components) == 0 || len(row.Components) > maxButtons {
			t.Fatalf("row %+v", r)
		}
		for _, c := range row.Components {
			b, ok := c.(discordgo.Button)
			if !ok || b.CustomID == "" || utf8.RuneCountInString(b.CustomID) > maxCustomID || seen[b.CustomID] ||
				b.Label == "" || utf8.RuneCountInString(b.Label) > maxLabel {
				t.Fatalf("button %+v", c)
			}
			assertSafe(t, b.Label)
			seen[b.CustomID] = true
		}
	}
}
