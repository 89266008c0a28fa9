package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
)

// The fuzzers here feed the adapter what Slack sends: request bodies on the request URL (signed, so that
// parsing is reached), Socket Mode payloads, Block Kit button presses, and message text; and render
// arbitrary posts as Block Kit. FuzzMrkdwn is in render_test.go.
// `go test -run '^$' -fuzz FuzzHTTPHandler -parallel=1 ./adapters/slack` explores.

const (
	fuzzSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	fuzzBot    = "UBOT"
)

// fuzzSlackAPI answers the Web API calls of the directory (users.info, usergroups.list) in memory, so a
// fuzzer's thousands of events a second open no sockets, should translation ever make one again.
type fuzzSlackAPI struct{}

func (fuzzSlackAPI) RoundTrip(r *http.Request) (*http.Response, error) {
	body := `{"ok":false,"error":"unknown_method"}`
	switch {
	case strings.HasSuffix(r.URL.Path, "/users.info"):
		_ = r.ParseForm()
		if u := r.Form.Get("user"); u == "UALICE" {
			body = `{"ok":true,"user":{"id":"UALICE","name":"alice","real_name":"Alice Smith","profile":{"display_name":"alice"}}}`
		} else {
			body = `{"ok":false,"error":"user_not_found"}`
		}
	case strings.HasSuffix(r.URL.Path, "/usergroups.list"):
		body = `{"ok":true,"usergroups":[{"id":"S0TIER2","users":["UALICE"]}]}`
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// fuzzAdapter is an adapter in HTTP mode whose Web API is fuzzSlackAPI and whose bot is UBOT.
func fuzzAdapter(tb testing.TB) *Adapter {
	tb.Helper()
	a, err := New(Config{Mode: ModeHTTP, BotToken: "xoxb-fuzz", SigningSecret: fuzzSecret, CommandPrefix: "!"},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	a.api = slackapi.New("xoxb-fuzz", slackapi.OptionHTTPClient(&http.Client{Transport: fuzzSlackAPI{}}),
		slackapi.OptionAPIURL("http://slack.invalid/api/"))
	a.botUserID = fuzzBot
	return a
}

// fuzzHandler keeps the events the adapter hands over.
type fuzzHandler struct {
	mu     sync.Mutex
	events []bot.Event
}

func (h *fuzzHandler) Handle(_ context.Context, ev bot.Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
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

// signedRequest is a POST to the request URL signed as Slack signs it: v0=HMAC-SHA256(secret,
// "v0:TIMESTAMP:BODY").
func signedRequest(body []byte, contentType, secret string, at time.Time) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/slack/events", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", contentType)
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

var fuzzContentTypes = []string{
	"application/json", "application/x-www-form-urlencoded", "application/json; charset=utf-8", "text/plain", "",
}

// Realistic payloads, written for these fuzzers after Slack's documented shapes.
const (
	seedMessage = `{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"Ev01","event_time":1700000000,` +
		`"event":{"type":"message","channel":"C0HELP","channel_type":"channel","user":"UALICE","text":"<@UBOT>: my VPN drops every 5 min &amp; <https://vpn.example.com|the portal> is down","ts":"1700000000.000100"}}`
	seedThreadReply = `{"type":"event_callback","event_id":"Ev02","event":{"type":"message","subtype":"thread_broadcast","channel":"C0HELP","user":"UBOB",` +
		`"text":"still broken for <!here> and <#C0IT|it>","ts":"1700000100.000200","thread_ts":"1700000000.000100"}}`
	seedDM      = `{"type":"event_callback","event_id":"Ev03","event":{"type":"message","channel":"D0DM","user":"UALICE","text":"!status","ts":"1700000200.000300"}}`
	seedMention = `{"type":"event_callback","event_id":"Ev04","event":{"type":"app_mention","channel":"C0HELP","user":"UALICE",` +
		`"text":"<@UBOT> printer on floor 3 jams","ts":"1700000300.000400"}}`
	seedReaction = `{"type":"event_callback","event_id":"Ev05","event":{"type":"reaction_added","user":"UALICE","reaction":"+1::skin-tone-3",` +
		`"item":{"type":"message","channel":"C0TIER2","ts":"1700000000.000100"},"event_ts":"1700000400.000500"}}`
	seedUnreaction = `{"type":"event_callback","event":{"type":"reaction_removed","user":"UALICE","reaction":"raising_hand",` +
		`"item":{"type":"message","channel":"C0TIER2","ts":"1700000000.000100"},"event_ts":"1700000500.000600"}}`
	seedEdit       = `{"type":"event_callback","event_id":"Ev06","event":{"type":"message","subtype":"message_changed","channel":"C0HELP","ts":"1700000600.000700"}}`
	seedBotMessage = `{"type":"event_callback","event_id":"Ev07","event":{"type":"message","channel":"C0HELP","user":"UBOT","bot_id":"B1","text":"Hi","ts":"1"}}`
	seedChallenge  = `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	seedClick      = `{"type":"block_actions","user":{"id":"UALICE","username":"alice","name":"alice","team_id":"T1"},"api_app_id":"A1",` +
		`"container":{"type":"message","message_ts":"1700000000.000100","channel_id":"C0HELP","is_ephemeral":false,"thread_ts":"1699999999.000100"},` +
		`"trigger_id":"123.456.abc","team":{"id":"T1","domain":"acme"},"channel":{"id":"C0HELP","name":"help"},` +
		`"message":{"type":"message","ts":"1700000000.000100","text":"Did this help?"},` +
		`"actions":[{"type":"button","block_id":"firstline_choices","action_id":"solved","value":"solved","text":{"type":"plain_text","text":"Solved"},"action_ts":"1700000001.000200"}]}`
	seedClickNoValue = `{"type":"block_actions","user":{"id":"UBOB","name":"bob"},"channel":{"id":"D0DM"},"message":{"ts":"1700000000.000100"},` +
		`"actions":[{"type":"button","action_id":"rate_5","block_id":"firstline_choices_2","action_ts":"1700000002.5"}]}`
	seedShortcut = `{"type":"shortcut","callback_id":"x","trigger_id":"1.2.3","user":{"id":"UALICE"}}`
	// The desk's own interactions: the shortcuts, a home tab's buttons, a submitted form, the home tab.
	seedNewRequest   = `{"type":"shortcut","callback_id":"new_request","trigger_id":"1.2.4","action_ts":"1700000001.000100","user":{"id":"UALICE"}}`
	seedCreateTicket = `{"type":"message_action","callback_id":"create_ticket","trigger_id":"1.2.5","action_ts":"1700000001.000100","response_url":"https://hooks.slack.com/app/T1/1/x","user":{"id":"UALICE"},"channel":{"id":"C0RAND"},"message":{"type":"message","user":"UBOB","ts":"1700000000.000200","thread_ts":"1700000000.000100","text":"printer jam"}}`
	seedHomeClaim    = `{"type":"block_actions","trigger_id":"1.2.6","user":{"id":"UTOM"},"container":{"type":"view","view_id":"V1"},"view":{"id":"V1","type":"home"},"actions":[{"type":"button","action_id":"claim_T-000001","value":"claim:T-000001","action_ts":"1700000001.000100"}]}`
	seedHomeForm     = `{"type":"block_actions","trigger_id":"1.2.7","user":{"id":"UALICE"},"container":{"type":"view","view_id":"V1"},"view":{"id":"V1","type":"home"},"actions":[{"type":"button","action_id":"form_access","value":"form:access","action_ts":"1700000001.000100"}]}`
	seedSubmission   = `{"type":"view_submission","trigger_id":"1.2.8","user":{"id":"UALICE"},"view":{"id":"V2","type":"modal","callback_id":"firstline_form","private_metadata":"{"form":"access"}","state":{"values":{"system":{"value":{"type":"static_select","selected_option":{"value":"VPN"}}},"approver":{"value":{"type":"users_select","selected_user":"UADA"}},"by":{"value":{"type":"datepicker","selected_date":"2026-12-01"}},"why":{"value":{"type":"plain_text_input","value":"month end"}}}}}}`
	seedHomeOpened   = `{"type":"event_callback","team_id":"T1","event_id":"EvH1","event":{"type":"app_home_opened","user":"UALICE","channel":"D0DM","tab":"home","event_ts":"1700000001.000100"}}`
	seedFileShare    = `{"type":"event_callback","team_id":"T1","event_id":"EvF1","event":{"type":"message","subtype":"file_share","channel":"D0DM","channel_type":"im","user":"UALICE","text":"see","ts":"1700000002.000100","files":[{"id":"F1","name":"a.png","mimetype":"image/png","size":20,"permalink":"https://x.slack.com/files/U/F1/a.png"}]}}`
	seedGroupDM      = `{"type":"event_callback","team_id":"T1","event_id":"EvG1","event":{"type":"message","channel":"G0MPIM","channel_type":"mpim","user":"UALICE","text":"both of us","ts":"1700000003.000100"}}`
	seedSlash        = `token=x&team_id=T1&channel_id=C0HELP&channel_name=help&user_id=UALICE&user_name=alice&command=%2Ffirstline&text=status+T-12&trigger_id=13345224609.738474920.8088930838d88f008e0`
)

// FuzzHTTPHandler sends arbitrary bodies, correctly signed, to the request URL. It checks the answer is
// one the handler means (200, 400 for an unreadable body, 415 for another content type, never a
// refused signature); a url_verification is answered with its challenge; every event handed over is
// well formed; and the same body signed with another secret or too long ago is refused before anything
// is read.
func FuzzHTTPHandler(f *testing.F) {
	for _, s := range []string{seedMessage, seedThreadReply, seedDM, seedMention, seedReaction, seedUnreaction, seedEdit, seedBotMessage, seedChallenge,
		`{"type":"app_rate_limited"}`, `{"type":"event_callback","event":{"type":"message"}}`, `{"type":"event_callback","event":null}`, `[1,2]`, `{`} {
		f.Add([]byte(s), uint8(0))
	}
	for _, s := range []string{"payload=" + url.QueryEscape(seedClick), "payload=" + url.QueryEscape(seedClickNoValue), "payload=" + url.QueryEscape(seedShortcut),
		seedSlash, "command=%2Ffirstline&user_id=UALICE&channel_id=D0DM", "payload=%zz", "payload=&command=x", "a=b;c=d"} {
		f.Add([]byte(s), uint8(1))
	}
	f.Add([]byte(seedChallenge), uint8(2))
	f.Add([]byte(seedMessage), uint8(3))

	a := fuzzAdapter(f)
	h := &fuzzHandler{}
	handler := a.HTTPHandler(h)
	f.Fuzz(func(t *testing.T, body []byte, kind uint8) {
		contentType := fuzzContentTypes[int(kind)%len(fuzzContentTypes)]
		now := time.Now()

		for _, bad := range []*http.Request{
			signedRequest(body, contentType, "another-secret", now),
			signedRequest(body, contentType, fuzzSecret, now.Add(-10*time.Minute)),
		} {
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, bad)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("a badly signed request was answered %d", w.Code)
			}
		}
		if evs := h.take(); len(evs) > 0 {
			t.Fatalf("a badly signed request was handled: %+v", evs)
		}

		w := httptest.NewRecorder()
		handler.ServeHTTP(w, signedRequest(body, contentType, fuzzSecret, now))
		evs := h.take()
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest:
		case http.StatusUnsupportedMediaType:
			if strings.HasPrefix(contentType, "application/") {
				t.Fatalf("%s refused as an unsupported media type", contentType)
			}
		default:
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
		if len(evs) > 1 || (len(evs) == 1 && w.Code != http.StatusOK) {
			t.Fatalf("answered %d with %d events", w.Code, len(evs))
		}
		var probe struct{ Type, Challenge string }
		if strings.HasPrefix(contentType, "application/json") && json.Unmarshal(body, &probe) == nil && probe.Type == "url_verification" {
			if w.Code != http.StatusOK || w.Body.String() != probe.Challenge || len(evs) != 0 {
				t.Fatalf("url_verification answered %d %q, want the challenge %q", w.Code, w.Body, probe.Challenge)
			}
		}
		for _, ev := range evs {
			checkEvent(t, ev)
		}
	})
}

// FuzzSocketPayload feeds Socket Mode payloads to the translation handleEnvelope runs for each envelope
// type (events_api, interactive, slash_commands), and checks each event is well formed and, for events
// and button presses, the same as the HTTP request URL makes of the same payload: the transports must
// not behave differently.
func FuzzSocketPayload(f *testing.F) {
	for _, s := range []string{seedMessage, seedThreadReply, seedDM, seedMention, seedReaction, seedUnreaction, seedEdit, seedBotMessage, seedChallenge,
		seedHomeOpened, seedFileShare, seedGroupDM} {
		f.Add([]byte(s), uint8(0))
	}
	for _, s := range []string{seedClick, seedClickNoValue, seedShortcut, `{"type":"block_actions","actions":[]}`,
		seedNewRequest, seedCreateTicket, seedHomeClaim, seedHomeForm, seedSubmission} {
		f.Add([]byte(s), uint8(1))
	}
	for _, s := range []string{`{"command":"/firstline","text":"kb search vpn","user_id":"UALICE","channel_id":"C0HELP","trigger_id":"1.2.3"}`,
		`{"command":"/firstline","text":"","user_id":"UALICE","channel_id":"D0DM"}`, `{"user_id":7}`} {
		f.Add([]byte(s), uint8(2))
	}
	a := fuzzAdapter(f)
	h := &fuzzHandler{}
	handler := a.HTTPHandler(h)
	f.Fuzz(func(t *testing.T, payload []byte, kind uint8) {
		var (
			ev      bot.Event
			ok      bool
			err     error
			viaHTTP *http.Request
		)
		switch kind % 3 {
		case 0:
			ev, ok, err = a.eventsAPI(payload)
			viaHTTP = signedRequest(payload, "application/json", fuzzSecret, time.Now())
		case 1:
			ev, ok, err = a.interaction(payload)
			viaHTTP = signedRequest([]byte("payload="+url.QueryEscape(string(payload))), "application/x-www-form-urlencoded", fuzzSecret, time.Now())
		default:
			var cmd slackapi.SlashCommand
			if err = json.Unmarshal(payload, &cmd); err == nil {
				ev, ok, err = a.slashCommand(cmd)
			}
		}
		if err != nil && ok {
			t.Fatalf("an error (%v) with an event %+v", err, ev)
		}
		if !ok {
			return
		}
		checkEvent(t, ev)
		if viaHTTP == nil {
			return // a slash command over HTTP is a form, not this JSON, and its event has the time it came
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, viaHTTP)
		got := h.take()
		if w.Code != http.StatusOK || len(got) != 1 || !reflect.DeepEqual(got[0], ev) {
			t.Fatalf("over HTTP the payload gives %d %+v, over Socket Mode %+v", w.Code, got, ev)
		}
	})
}

// checkEvent checks what every event the adapter hands the engine must be.
func checkEvent(t *testing.T, ev bot.Event) {
	t.Helper()
	if ev.Platform != Platform || !strings.HasPrefix(ev.User, "slack:") {
		t.Fatalf("event %+v: not from a Slack user", ev)
	}
	var prefixes []string
	switch ev.Kind {
	case bot.EventMessage:
		prefixes = []string{"msg:", "cmd:", "act:"} // act: the global shortcut "New request"
		if ev.User == "slack:" || ev.User == "slack:"+fuzzBot {
			t.Fatalf("message %+v from nobody or from the bot itself", ev)
		}
		if strings.HasPrefix(ev.ID, "cmd:") && !strings.HasPrefix(ev.Text, "!") {
			t.Fatalf("slash command %+v does not read as a command", ev)
		}
		if ev.Text != strings.TrimSpace(ev.Text) {
			t.Fatalf("message text %q", ev.Text)
		}
	case bot.EventReactionAdded, bot.EventReactionRemoved:
		prefixes = []string{"ev:"}
		if ev.User == "slack:" || ev.User == "slack:"+fuzzBot {
			t.Fatalf("reaction %+v from nobody or from the bot itself", ev)
		}
		if r := ev.Reaction; strings.Contains(r, "::") || strings.HasPrefix(r, ":") || strings.HasSuffix(r, ":") || r != strings.ToLower(r) {
			t.Fatalf("reaction name %q is not normalized", r)
		}
	case bot.EventClick:
		prefixes = []string{"act:"}
		if ev.Thread != "" && ev.Thread == ev.Message {
			t.Fatalf("click %+v: a thread's root reported as in its own thread", ev)
		}
	case bot.EventCreateTicket:
		prefixes = []string{"act:"}
		if ev.Channel == "" || ev.Message == "" || ev.Thread == ev.Message || !ev.Private {
			t.Fatalf("create ticket %+v: no message, or not private", ev)
		}
	case bot.EventAction:
		prefixes = []string{"act:"}
		if ev.Action != bot.ActionClaim || ev.Ticket == "" {
			t.Fatalf("home action %+v", ev)
		}
	case bot.EventForm:
		prefixes = []string{"view:"}
		if ev.Form == nil || ev.Form.Form == "" {
			t.Fatalf("form %+v without its form", ev)
		}
		for _, v := range ev.Form.Values {
			if strings.HasPrefix(v, "slack:") && strings.ContainsAny(v[6:], " :") {
				t.Fatalf("a person's value %q", v)
			}
		}
	case bot.EventHome:
		prefixes = []string{"ev:"}
	default:
		t.Fatalf("event of kind %q", ev.Kind)
	}
	if !slicesHasPrefix(ev.ID, prefixes) {
		t.Fatalf("event %+v: id without its kind's prefix %v", ev, prefixes)
	}
	if ev.Kind == bot.EventMessage && ev.Thread != "" && ev.Thread == ev.Message {
		t.Fatalf("message %+v: the root of a thread reported as in its own thread", ev)
	}
}

func slicesHasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// FuzzFromSlack checks the text of inbound messages turned into Markdown: the result is trimmed, and a
// message addressed to the bot ("<@UBOT> ...") loses the mention.
func FuzzFromSlack(f *testing.F) {
	for _, s := range []string{
		"<@UBOT>: reset my password", "<@UBOT>, <@UALICE> says <#C0IT|it> is down", "see <https://x.example.com/a?b=1&amp;c=2|the doc> &lt;now&gt;",
		"<mailto:help@example.com|help@example.com>", "<!here> <!channel> <!subteam^S0TIER2|@tier2> <!date^1700000000^{date}|Nov 14>",
		"<@UBOT", "<<@UBOT>>", "a <b> c", "&amp;lt;", "<|>", "<@>", "<#>", "<!>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := fromSlack(text, names{bot: fuzzBot, user: func(id string) string {
			if id == "UALICE" {
				return "alice"
			}
			return ""
		}})
		if got != strings.TrimSpace(got) {
			t.Fatalf("fromSlack(%q) = %q, not trimmed", text, got)
		}
		if strings.Count(text, "<") == 1 && strings.Count(text, fuzzBot) == 1 && strings.HasPrefix(text, "<@"+fuzzBot+">") && strings.Contains(got, fuzzBot) {
			t.Fatalf("fromSlack(%q) = %q keeps the bot's mention", text, got)
		}
	})
}

// FuzzBlocks renders arbitrary posts (title, text, up to 63 fields and choices, groups to notify) as
// Block Kit and checks every limit Slack enforces and that nothing mentions anyone (assertValid), that
// the notification text is short, safe and never empty, that every choice is a button whose value is
// its id, and that the one deliberate mention is a user group named in Notify.
func FuzzBlocks(f *testing.F) {
	for _, seed := range blocksSeeds {
		f.Add(seed.title, seed.text, seed.fields, seed.choices, seed.nFields, seed.nChoices, seed.notify)
	}
	f.Fuzz(func(t *testing.T, title, text, fields, choices string, nFields, nChoices uint8, notify string) {
		p := fuzzPost(title, text, fields, choices, nFields, nChoices)
		fallback, blks := blocks(p)
		assertValid(t, blks)
		if fallback == "" || utf8.RuneCountInString(fallback) > maxFallback {
			t.Fatalf("fallback %q", fallback)
		}
		assertSafe(t, fallback)
		var values []string
		for _, b := range blks {
			if ab, ok := b.(*slackapi.ActionBlock); ok {
				for _, e := range ab.Elements.ElementSet {
					values = append(values, e.(*slackapi.ButtonBlockElement).Value)
				}
			}
		}
		if len(values) != len(p.Choices) {
			t.Fatalf("%d choices made %d buttons", len(p.Choices), len(values))
		}
		for i, c := range p.Choices {
			if len(c.ID) <= maxButtonValue && values[i] != c.ID {
				t.Fatalf("choice %q has a button whose value is %q", c.ID, values[i])
			}
		}

		// With groups to notify, the only mentions are <!subteam^ID> of the Slack groups named.
		p.Notify = strings.Split(notify, ",")
		allowed := map[string]bool{}
		for _, g := range p.Notify {
			if id, ok := strings.CutPrefix(g, "slack:subteam:"); ok && id != "" && strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == "" {
				allowed[id] = true
			}
		}
		fallback, blks = blocks(p)
		for _, b := range blks {
			if sb, ok := b.(*slackapi.SectionBlock); ok && sb.Text != nil {
				if utf8.RuneCountInString(sb.Text.Text) > maxSectionText {
					t.Fatalf("section of %d characters", utf8.RuneCountInString(sb.Text.Text))
				}
				sb.Text.Text = withoutPings(t, sb.Text.Text, allowed)
			}
		}
		assertValid(t, blks)
		assertSafe(t, withoutPings(t, fallback, allowed))
	})
}

// blocksSeeds are FuzzBlocks's seeds besides its corpus files: title, text, fields, choices, how many
// fields and choices, and the groups to notify.
var blocksSeeds = []blocksSeed{
	{"Ticket T-12: VPN down", "**Requester** reports the VPN is down.\nSee [the guide](https://kb.example.com/vpn).", "Tier\x1e1\x1fOwner\x1enobody",
		"claim\x1eClaim\x1fresolve\x1eResolve", uint8(2), uint8(2), "slack:subteam:S0TIER2"},
	{"", strings.Repeat("A long article line with `code` and <tags>.\n", 120), "", "", uint8(0), uint8(0), ""},
	{"@here <!channel>", "```\n" + strings.Repeat("x = 1\n", 700) + "```", "<@U1>\x1e@everyone", "\x1e", uint8(30), uint8(60), "slack:subteam:<!here>,discord:role:1"},
	{"T", "", "", "same\x1eA\x1fsame\x1eB\x1f" + strings.Repeat("x", 300) + "\x1elong id", uint8(1), uint8(255), "slack:subteam:"},
	{"\xff\xfe", "\r\n\r\n", "\x1e", "", uint8(255), uint8(0), "slack:subteam:SABC,slack:subteam:SABC"},
}

type blocksSeed struct {
	title, text, fields, choices string
	nFields, nChoices            uint8
	notify                       string
}

// fuzzPost builds FuzzBlocks's post: fields and choices are separated by \x1f, a name or id from its
// value or label by \x1e, and repeated to make nFields and nChoices of them (mod 64).
func fuzzPost(title, text, fields, choices string, nFields, nChoices uint8) bot.Post {
	p := bot.Post{Title: title, Text: text}
	if fs := strings.Split(fields, "\x1f"); fields != "" {
		for i := range int(nFields % 64) {
			name, value, _ := strings.Cut(fs[i%len(fs)], "\x1e")
			p.Fields = append(p.Fields, bot.Field{Name: name, Value: value})
		}
	}
	if cs := strings.Split(choices, "\x1f"); choices != "" {
		for i := range int(nChoices % 64) {
			id, label, _ := strings.Cut(cs[i%len(cs)], "\x1e")
			style := []string{"", bot.StylePrimary, bot.StyleDanger}[i%3]
			p.Choices = append(p.Choices, bot.Choice{ID: id, Label: label, Style: style})
		}
	}
	return p
}

// withoutPings removes the user-group mentions <!subteam^ID> of allowed groups from s, failing on any
// other group's.
func withoutPings(t *testing.T, s string, allowed map[string]bool) string {
	t.Helper()
	var b strings.Builder
	for {
		i := strings.Index(s, "<!subteam^")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 || !allowed[s[i+len("<!subteam^"):i+j]] {
			t.Fatalf("mention of a group not in Notify: %q", s)
		}
		b.WriteString(s[:i])
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}
