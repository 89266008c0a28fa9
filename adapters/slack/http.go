package slack

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/firstline-desk/firstline/bot"
)

// maxRequestBody bounds what the request URL reads: Slack's payloads are a few kB.
const maxRequestBody = 1 << 20

// HTTPHandler is the request URL of HTTP mode, for events, interactivity and the slash command alike
// (point all three at it in the app's settings). Every request's X-Slack-Signature is checked with the
// signing secret, and requests older than 5 minutes are refused, so a recorded request cannot be
// replayed. An event is answered 200 only once h has recorded it; on failure the answer is 500 and Slack
// retries (X-Slack-Retry-Num), which the engine deduplicates.
func (a *Adapter) HTTPHandler(h bot.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "Slack sends POST requests here", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
		if err != nil || len(body) > maxRequestBody {
			http.Error(w, "request body too large or unreadable", http.StatusBadRequest)
			return
		}
		if err := a.verify(r.Header, body); err != nil {
			a.log.Warn("slack request refused: bad signature", "remote", r.RemoteAddr, "err", err)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var (
			ev   bot.Event
			ok   bool
			form url.Values
		)
		switch media {
		case "application/json":
			var probe struct {
				Type      string `json:"type"`
				Challenge string `json:"challenge"`
			}
			if err := json.Unmarshal(body, &probe); err != nil {
				http.Error(w, "bad JSON", http.StatusBadRequest)
				return
			}
			if probe.Type == slackevents.URLVerification {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = io.WriteString(w, probe.Challenge)
				return
			}
			ev, ok, err = a.eventsAPI(body)
		case "application/x-www-form-urlencoded":
			var perr error
			form, perr = url.ParseQuery(string(body))
			if perr != nil {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			switch {
			case form.Has("payload"):
				ev, ok, err = a.interaction([]byte(form.Get("payload")))
			case form.Has("command"):
				ev, ok, err = a.slashCommand(slashCommandFromForm(form))
			}
		default:
			http.Error(w, "unexpected content type", http.StatusUnsupportedMediaType)
			return
		}
		if err != nil {
			a.log.Error("slack request dropped", "err", err)
			http.Error(w, "unreadable payload", http.StatusBadRequest)
			return
		}
		if ok {
			if err := h.Handle(r.Context(), ev); err != nil {
				resp := a.refused([]byte(form.Get("payload")), ev, err)
				if resp == nil {
					a.log.Error("slack event not recorded, Slack will retry", "event_id", ev.ID, "err", err)
					http.Error(w, "not recorded, retry", http.StatusInternalServerError)
					return
				}
				// The desk said no to a form: the problems are the answer, shown in the modal.
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(resp)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	})
}

func (a *Adapter) verify(header http.Header, body []byte) error {
	v, err := slackapi.NewSecretsVerifier(header, a.cfg.SigningSecret)
	if err != nil {
		return err
	}
	if _, err := v.Write(body); err != nil {
		return err
	}
	return v.Ensure()
}

func slashCommandFromForm(f url.Values) slackapi.SlashCommand {
	return slackapi.SlashCommand{
		Command: f.Get("command"), Text: f.Get("text"), UserID: f.Get("user_id"), UserName: f.Get("user_name"),
		ChannelID: f.Get("channel_id"), ChannelName: f.Get("channel_name"), TeamID: f.Get("team_id"),
		TriggerID: f.Get("trigger_id"), ResponseURL: f.Get("response_url"),
	}
}
