package fakediscord_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
)

const (
	channelID = "800000000000000001"
	userID    = "800000000000000002"
	intents   = discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentMessageContent
)

// recorder collects the gateway events a session's handlers see.
type recorder struct {
	mu          sync.Mutex
	changed     chan struct{}
	readies     []*discordgo.Ready
	resumed     int
	connects    int
	disconnects int
	messages    []string // contents of MessageCreate events, in order
}

func record(sess *discordgo.Session) *recorder {
	r := &recorder{changed: make(chan struct{})}
	note := func(f func()) {
		r.mu.Lock()
		defer r.mu.Unlock()
		f()
		close(r.changed)
		r.changed = make(chan struct{})
	}
	sess.AddHandler(func(_ *discordgo.Session, e *discordgo.Ready) { note(func() { r.readies = append(r.readies, e) }) })
	sess.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) { note(func() { r.resumed++ }) })
	sess.AddHandler(func(_ *discordgo.Session, _ *discordgo.Connect) { note(func() { r.connects++ }) })
	sess.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) { note(func() { r.disconnects++ }) })
	sess.AddHandler(func(_ *discordgo.Session, e *discordgo.MessageCreate) {
		note(func() { r.messages = append(r.messages, e.Content) })
	})
	return r
}

// waitFor waits until cond, called with r.mu held, is true; it fails the test after 10 s.
func (r *recorder) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		done, changed := cond(), r.changed
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no %s within 10s", what)
		}
	}
}

func (r *recorder) snapshot() (readies, resumed int, messages []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.readies), r.resumed, slices.Clone(r.messages)
}

// openSession opens a real discordgo session on the fake and closes it, before the fake, when the test
// ends. Handlers are added before Open, so READY is seen.
func openSession(t *testing.T, fake *fakediscord.Server) (*discordgo.Session, *recorder) {
	t.Helper()
	sess := fake.Session(t, "test-token")
	sess.Identify.Intents = intents
	// The tests check the fake's protocol, not discordgo's state, which would write into the guilds of the
	// READY the recorder keeps when GUILD_CREATE follows.
	sess.StateEnabled = false
	rec := record(sess)
	if err := sess.Open(); err != nil {
		t.Fatalf("open: %v", err)
	}
	// Registered after fakediscord.New's cleanup, so it runs first. Close sleeps 1 s (discordgo).
	t.Cleanup(func() {
		fake.WaitHeartbeat(t)
		_ = sess.Close()
	})
	return sess, rec
}

func messageCreate(id, content string) map[string]any {
	return map[string]any{
		"id": id, "channel_id": channelID, "guild_id": fakediscord.GuildID, "type": 0, "content": content,
		"author":    map[string]any{"id": userID, "username": "alice", "discriminator": "0"},
		"timestamp": "2024-05-01T10:00:00.000000+00:00",
	}
}

func restError(t *testing.T, err error) *discordgo.RESTError {
	t.Helper()
	var re *discordgo.RESTError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v (%T), want *discordgo.RESTError", err, err)
	}
	return re
}

func TestReadyAndDispatch(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	sess, rec := openSession(t, fake)

	rec.waitFor(t, "READY", func() bool { return len(rec.readies) == 1 })
	r := rec.readies[0]
	if r.Version != 10 || r.SessionID == "" || r.User.ID != fakediscord.BotID || !r.User.Bot ||
		r.Application == nil || r.Application.ID != fakediscord.AppID || len(r.Guilds) != 1 || r.Guilds[0].ID != fakediscord.GuildID {
		t.Fatalf("READY = %+v", r)
	}
	if got := fake.Intents(); got != int(intents) {
		t.Fatalf("intents = %d, want %d", got, intents)
	}
	if fake.Identifies() != 1 || fake.Resumes() != 0 || fake.Connections() != 1 {
		t.Fatalf("identifies %d, resumes %d, connections %d", fake.Identifies(), fake.Resumes(), fake.Connections())
	}

	if seq := fake.Dispatch(t, "MESSAGE_CREATE", messageCreate("700000000000000001", "printer on fire")); seq != 3 {
		t.Fatalf("seq = %d, want 3 (READY is 1, GUILD_CREATE 2)", seq)
	}
	rec.waitFor(t, "MESSAGE_CREATE", func() bool { return len(rec.messages) == 1 })
	if rec.messages[0] != "printer on fire" {
		t.Fatalf("messages = %q", rec.messages)
	}

	// A dispatched message exists on the fake's Discord, as it would on the real one.
	m, err := sess.ChannelMessage(channelID, "700000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if m.Content != "printer on fire" || m.Author.ID != userID {
		t.Fatalf("message = %+v", m)
	}
}

func TestSendEditReactThread(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	sess := fake.Session(t, "test-token")

	m, err := sess.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
		Content: "Ticket T-1 opened",
		Embeds:  []*discordgo.MessageEmbed{{Title: "T-1"}},
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Claim", Style: discordgo.PrimaryButton, CustomID: "claim:T-1"},
		}}},
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == "" || m.ChannelID != channelID || m.Author.ID != fakediscord.BotID || m.Content != "Ticket T-1 opened" ||
		len(m.Embeds) != 1 || len(m.Components) != 1 {
		t.Fatalf("returned message = %+v", m)
	}
	sent := fake.WaitSent(t, 1)
	if sent[0].ID != m.ID || sent[0].ChannelID != channelID || sent[0].Content != "Ticket T-1 opened" || sent[0].Edited {
		t.Fatalf("sent = %+v", sent[0])
	}
	if got := string(sent[0].AllowedMentions); got != `{"parse":[],"replied_user":false}` {
		t.Fatalf("allowed_mentions = %s", got)
	}
	var embeds []map[string]any
	if err := json.Unmarshal(sent[0].Embeds, &embeds); err != nil || len(embeds) != 1 || embeds[0]["title"] != "T-1" {
		t.Fatalf("embeds = %s (%v)", sent[0].Embeds, err)
	}

	// Editing with a nil components slice sends "components": null, which clears the buttons.
	content := "Ticket T-1 claimed"
	var noComponents []discordgo.MessageComponent
	edited, err := sess.ChannelMessageEditComplex(&discordgo.MessageEdit{
		Channel: channelID, ID: m.ID, Content: &content, Components: &noComponents,
	})
	if err != nil {
		t.Fatal(err)
	}
	if edited.Content != content || len(edited.Components) != 0 || edited.EditedTimestamp == nil {
		t.Fatalf("edited = %+v", edited)
	}
	edits := fake.Edits()
	if len(edits) != 1 || edits[0].ID != m.ID || edits[0].Content != content || string(edits[0].Components) != "null" ||
		edits[0].Embeds != nil || !edits[0].Edited {
		t.Fatalf("edits = %+v", edits)
	}
	if !fake.Sent()[0].Edited || fake.Sent()[0].Content != "Ticket T-1 opened" {
		t.Fatalf("sent after edit = %+v", fake.Sent()[0])
	}
	if got, err := sess.ChannelMessage(channelID, m.ID); err != nil || got.Content != content {
		t.Fatalf("message after edit = %+v, %v", got, err)
	}

	// Only the bot's own messages can be edited.
	fake.AddHistory(channelID, messageCreate("700000000000000009", "mine"))
	_, err = sess.ChannelMessageEdit(channelID, "700000000000000009", "hijacked")
	if re := restError(t, err); re.Response.StatusCode != http.StatusForbidden || re.Message.Code != 50005 {
		t.Fatalf("edit of another's message: %v", err)
	}

	for _, emoji := range []string{"👍", "done:123456789012345678"} {
		if err := sess.MessageReactionAdd(channelID, m.ID, emoji); err != nil {
			t.Fatal(err)
		}
	}
	want := []fakediscord.Reaction{
		{ChannelID: channelID, MessageID: m.ID, Emoji: "👍"},
		{ChannelID: channelID, MessageID: m.ID, Emoji: "done:123456789012345678"},
	}
	if got := fake.Reactions(); !slices.Equal(got, want) {
		t.Fatalf("reactions = %+v, want %+v", got, want)
	}

	start := &discordgo.ThreadStart{Name: "T-1", AutoArchiveDuration: 1440, Type: discordgo.ChannelTypeGuildPublicThread}
	th, err := sess.MessageThreadStartComplex(channelID, m.ID, start)
	if err != nil {
		t.Fatal(err)
	}
	if th.ID != m.ID || th.ParentID != channelID || th.Type != discordgo.ChannelTypeGuildPublicThread || th.Name != "T-1" {
		t.Fatalf("thread = %+v", th)
	}
	if got := fake.Threads(); !slices.Equal(got, []fakediscord.Thread{{ID: m.ID, ParentID: channelID, Name: "T-1"}}) {
		t.Fatalf("threads = %+v", got)
	}
	if ch, err := sess.Channel(m.ID); err != nil || ch.Type != discordgo.ChannelTypeGuildPublicThread || ch.ParentID != channelID {
		t.Fatalf("thread channel = %+v, %v", ch, err)
	}
	_, err = sess.MessageThreadStartComplex(channelID, m.ID, start)
	if re := restError(t, err); re.Response.StatusCode != http.StatusBadRequest || re.Message.Code != 160004 {
		t.Fatalf("second thread start: %v", err)
	}

	// A message sent into the thread lands in the thread's history.
	reply, err := sess.ChannelMessageSend(th.ID, "On it")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sess.ChannelMessages(th.ID, 10, "", "", ""); err != nil || len(got) != 1 || got[0].ID != reply.ID {
		t.Fatalf("thread history = %+v, %v", got, err)
	}
}

func TestRESTErrors(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	sess := fake.Session(t, "test-token")

	tests := []struct {
		name       string
		call       func() error
		wantStatus int
		wantCode   int
	}{
		{"unknown channel", func() error { _, err := sess.Channel("1"); return err }, 404, 10003},
		{"unknown message", func() error { _, err := sess.ChannelMessage(channelID, "1"); return err }, 404, 10008},
		{"empty message", func() error { _, err := sess.ChannelMessageSend(channelID, ""); return err }, 400, 50006},
		{"unknown member", func() error { _, err := sess.GuildMember(fakediscord.GuildID, userID); return err }, 404, 10007},
		{"unknown guild", func() error { _, err := sess.GuildMember("1", userID); return err }, 404, 10004},
		{"thread on unknown message", func() error {
			_, err := sess.MessageThreadStart(channelID, "1", "x", 60)
			return err
		}, 404, 10008},
		{"route the fake does not serve", func() error { _, err := sess.GuildRoles(fakediscord.GuildID); return err }, 404, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re := restError(t, tt.call())
			if re.Response.StatusCode != tt.wantStatus || re.Message == nil || re.Message.Code != tt.wantCode {
				t.Fatalf("got HTTP %d %s, want %d code %d", re.Response.StatusCode, re.ResponseBody, tt.wantStatus, tt.wantCode)
			}
		})
	}

	calls := fake.Calls()
	var unknown []string
	for _, c := range calls {
		if c.Unknown {
			unknown = append(unknown, c.Method+" "+c.Path)
		}
	}
	if want := []string{"GET /api/v9/guilds/" + fakediscord.GuildID + "/roles"}; !slices.Equal(unknown, want) {
		t.Fatalf("unknown calls = %q, want %q", unknown, want)
	}

	// Without "Bot " the token is refused, as Discord refuses it.
	bare, err := discordgo.New("test-token")
	if err != nil {
		t.Fatal(err)
	}
	bare.Client = fake.Client()
	_, err = bare.User("@me")
	if re := restError(t, err); re.Response.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bare token: %v", err)
	}

	// The fake's client never reaches the network.
	if resp, err := fake.Client().Get("https://example.com/"); err == nil {
		_ = resp.Body.Close()
		t.Fatal("request to example.com went through")
	}
}

func TestUsersDMsAndMembers(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	sess := fake.Session(t, "test-token")

	me, err := sess.User("@me")
	if err != nil || me.ID != fakediscord.BotID || !me.Bot || me.Username != fakediscord.BotName {
		t.Fatalf("@me = %+v, %v", me, err)
	}

	dm, err := sess.UserChannelCreate(userID)
	if err != nil {
		t.Fatal(err)
	}
	again, err := sess.UserChannelCreate(userID)
	if err != nil {
		t.Fatal(err)
	}
	if dm.ID == "" || dm.ID != again.ID || dm.Type != discordgo.ChannelTypeDM || len(dm.Recipients) != 1 || dm.Recipients[0].ID != userID {
		t.Fatalf("DM channels = %+v, %+v", dm, again)
	}
	if ch, err := sess.Channel(dm.ID); err != nil || ch.Type != discordgo.ChannelTypeDM || ch.GuildID != "" {
		t.Fatalf("DM channel = %+v, %v", ch, err)
	}
	if _, err := sess.ChannelMessageSend(dm.ID, "Your ticket T-1 is resolved"); err != nil {
		t.Fatal(err)
	}
	if got := fake.Sent(); len(got) != 1 || got[0].ChannelID != dm.ID {
		t.Fatalf("sent = %+v", got)
	}

	fake.AddChannel("800000000000000005", "", 0)
	fake.AddChannel("800000000000000006", "800000000000000005", 11)
	ch, err := sess.Channel("800000000000000006")
	if err != nil || ch.Type != discordgo.ChannelTypeGuildPublicThread || ch.ParentID != "800000000000000005" || ch.GuildID != fakediscord.GuildID {
		t.Fatalf("thread channel = %+v, %v", ch, err)
	}

	fake.AddMember(userID, "600000000000000001", "600000000000000002")
	member, err := sess.GuildMember(fakediscord.GuildID, userID)
	if err != nil || member.User.ID != userID || !slices.Equal(member.Roles, []string{"600000000000000001", "600000000000000002"}) {
		t.Fatalf("member = %+v, %v", member, err)
	}
}

func TestHistoryPages(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	sess := fake.Session(t, "test-token")
	// Added out of order, and one id shorter than the rest: history is ordered by snowflake value.
	for _, id := range []string{"700000000000000003", "700000000000000001", "99", "700000000000000004", "700000000000000002"} {
		fake.AddHistory(channelID, messageCreate(id, "m"+id))
	}

	tests := []struct {
		name          string
		limit         int
		before, after string
		want          []string // ids, as Discord returns them: newest first
	}{
		{name: "latest", limit: 2, want: []string{"700000000000000004", "700000000000000003"}},
		{name: "all", want: []string{"700000000000000004", "700000000000000003", "700000000000000002", "700000000000000001", "99"}},
		{name: "after: the oldest newer ones, newest first", limit: 2, after: "99", want: []string{"700000000000000002", "700000000000000001"}},
		{name: "after the newest", after: "700000000000000004", want: []string{}},
		{name: "before", limit: 2, before: "700000000000000003", want: []string{"700000000000000002", "700000000000000001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, err := sess.ChannelMessages(channelID, tt.limit, tt.before, tt.after, "")
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, m := range msgs {
				got = append(got, m.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("ids = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInteractionRespond(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	sess := fake.Session(t, "test-token")

	in := &discordgo.Interaction{ID: "500000000000000001", AppID: fakediscord.AppID, Token: "interaction-token"}
	resp := &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseUpdateMessage,
		Data: &discordgo.InteractionResponseData{Content: "Claimed by Bob"},
	}
	if err := sess.InteractionRespond(in, resp); err != nil {
		t.Fatal(err)
	}
	got := fake.WaitInteractionResponses(t, 1)
	var data map[string]any
	if err := json.Unmarshal(got[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	if got[0].InteractionID != in.ID || got[0].Token != in.Token || got[0].Type != 7 || data["content"] != "Claimed by Bob" {
		t.Fatalf("response = %+v", got[0])
	}
	// LIBRARY-NOTES: an update that sets only content sends "components": null, which clears buttons.
	if c, sent := data["components"]; !sent || c != nil {
		t.Fatalf("components = %v (sent %v), want null", c, sent)
	}

	err := sess.InteractionRespond(in, resp)
	if re := restError(t, err); re.Response.StatusCode != http.StatusBadRequest || re.Message.Code != 40060 {
		t.Fatalf("second response: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	const retryAfter = 100 * time.Millisecond
	tests := []struct {
		name   string
		retry  bool
		global bool
	}{
		{name: "no retry", retry: false},
		{name: "retry after route limit", retry: true},
		{name: "retry after global limit", retry: true, global: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := fakediscord.New(t)
			sess := fake.Session(t, "test-token")
			sess.ShouldRetryOnRateLimit = tt.retry
			fake.RateLimit("/api/v9/channels/", retryAfter, tt.global, 1)

			start := time.Now()
			_, err := sess.ChannelMessageSend(channelID, "hello")
			elapsed := time.Since(start)

			calls := fake.Calls()
			if !tt.retry {
				var rl *discordgo.RateLimitError
				if !errors.As(err, &rl) {
					t.Fatalf("error = %v (%T), want *discordgo.RateLimitError", err, err)
				}
				if rl.RetryAfter != retryAfter || rl.Message != "You are being rate limited." {
					t.Fatalf("rate limit = %+v", rl.TooManyRequests)
				}
				if len(fake.Sent()) != 0 || len(calls) != 1 || calls[0].Status != http.StatusTooManyRequests {
					t.Fatalf("sent %d, calls %+v", len(fake.Sent()), calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if elapsed < retryAfter {
				t.Fatalf("retried after %v, before retry_after %v", elapsed, retryAfter)
			}
			if len(fake.Sent()) != 1 || len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 {
				t.Fatalf("sent %d, calls %+v", len(fake.Sent()), calls)
			}
		})
	}
}

func TestDropResumesAndReplays(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	_, rec := openSession(t, fake)
	fake.Dispatch(t, "MESSAGE_CREATE", messageCreate("700000000000000001", "before"))
	rec.waitFor(t, "first message", func() bool { return len(rec.messages) == 1 })

	fake.Drop()
	// discordgo needs about a second to reconnect (its Close sleeps 1 s), so this goes out while it is away.
	fake.Dispatch(t, "MESSAGE_CREATE", messageCreate("700000000000000002", "while away"))
	fake.WaitResumes(t, 1)
	rec.waitFor(t, "RESUMED", func() bool { return rec.resumed == 1 })

	// On one connection events arrive in order: once "after" is in, a duplicate would be too.
	fake.Dispatch(t, "MESSAGE_CREATE", messageCreate("700000000000000003", "after"))
	rec.waitFor(t, "third message", func() bool { return len(rec.messages) >= 3 })
	readies, resumed, messages := rec.snapshot()
	if want := []string{"before", "while away", "after"}; !slices.Equal(messages, want) {
		t.Fatalf("messages = %q, want %q", messages, want)
	}
	if readies != 1 || resumed != 1 || fake.Identifies() != 1 || fake.Resumes() != 1 || fake.Connections() != 2 {
		t.Fatalf("readies %d, resumed %d; identifies %d, resumes %d, connections %d",
			readies, resumed, fake.Identifies(), fake.Resumes(), fake.Connections())
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.disconnects != 1 || rec.connects != 2 {
		t.Fatalf("disconnects %d, connects %d", rec.disconnects, rec.connects)
	}
}

func TestRefusedResumeReidentifiesAndLosesTheGap(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	sess, rec := openSession(t, fake)

	fake.RefuseNextResume()
	fake.Drop()
	fake.Dispatch(t, "MESSAGE_CREATE", messageCreate("700000000000000001", "lost in the gap"))
	fake.WaitIdentifies(t, 2)
	rec.waitFor(t, "second READY", func() bool { return len(rec.readies) == 2 })

	fake.Dispatch(t, "MESSAGE_CREATE", messageCreate("700000000000000002", "after"))
	rec.waitFor(t, "message after READY", func() bool { return len(rec.messages) >= 1 })
	readies, resumed, messages := rec.snapshot()
	if want := []string{"after"}; !slices.Equal(messages, want) {
		t.Fatalf("messages = %q, want %q", messages, want)
	}
	// The client re-identified on the connection that was refused: no new connection.
	if readies != 2 || resumed != 0 || fake.Resumes() != 1 || fake.Connections() != 2 {
		t.Fatalf("readies %d, resumed %d; resumes %d, connections %d", readies, resumed, fake.Resumes(), fake.Connections())
	}
	rec.mu.Lock()
	first, second := rec.readies[0].SessionID, rec.readies[1].SessionID
	rec.mu.Unlock()
	if first == second {
		t.Fatalf("session id %s reused after op 9", first)
	}

	// What the gateway lost, the channel's history still has.
	msgs, err := sess.ChannelMessages(channelID, 100, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[1].Content != "lost in the gap" {
		t.Fatalf("history = %+v", msgs)
	}
}

func TestZombieConnectionEndsTheSession(t *testing.T) {
	t.Parallel()
	fake := fakediscord.New(t)
	// discordgo gives up after five intervals without an ACK: 500 ms here.
	fake.SetHeartbeatInterval(100 * time.Millisecond)
	_, rec := openSession(t, fake)

	fake.AckHeartbeats(false)
	// The next connection gets a long interval again: only the first one is meant to turn zombie.
	fake.SetHeartbeatInterval(time.Minute)
	fake.WaitConnections(t, 2)
	fake.AckHeartbeats(true)
	// discordgo closed the zombie with 1000, which ends the session: its RESUME is refused, it re-identifies.
	fake.WaitIdentifies(t, 2)
	rec.waitFor(t, "second READY", func() bool { return len(rec.readies) >= 2 })
	if fake.Resumes() < 1 {
		t.Fatalf("resumes = %d, want the refused one", fake.Resumes())
	}
}

func TestCloseCodes(t *testing.T) {
	t.Parallel()
	for _, code := range []int{4004, 4014} {
		t.Run("open rejected", func(t *testing.T) {
			t.Parallel()
			fake := fakediscord.New(t)
			fake.RejectIdentify(code)
			sess := fake.Session(t, "bad-token")
			err := sess.Open()
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != code {
				t.Fatalf("open = %v (%T), want *websocket.CloseError %d", err, err, code)
			}
			if fake.Identifies() != 1 {
				t.Fatalf("identifies = %d", fake.Identifies())
			}
		})
	}

	t.Run("4004 on a live session", func(t *testing.T) {
		t.Parallel()
		fake := fakediscord.New(t)
		_, rec := openSession(t, fake)

		fake.RejectIdentify(4004)
		fake.Close(4004)
		// discordgo does not stop: it tries to RESUME, with backoff (1 s, 2 s, … up to 10 min).
		fake.WaitResumes(t, 1)
		fake.RejectIdentify(0)
		// The next attempt's RESUME is refused (4004 ended the session) and it identifies afresh.
		fake.WaitIdentifies(t, 2)
		rec.waitFor(t, "second READY", func() bool { return len(rec.readies) == 2 })
		// At least the one during the rejection and the refused one; a loaded machine may fit in another
		// attempt while the rejection is lifted.
		if fake.Resumes() < 2 {
			t.Fatalf("resumes = %d, want 2 or more", fake.Resumes())
		}
	})
}
