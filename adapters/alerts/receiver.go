// Package alerts receives monitors' alert notifications over HTTP and hands each to the desk as a
// bot.EventAlert: Prometheus Alertmanager's webhook (payload version 4) at AlertmanagerPath, and a small
// JSON shape of Firstline's own for any other monitor at GenericPath. It checks the caller's bearer token
// and the payload, and answers only once the engine has committed what the notification did, so a
// monitor that got 200 lost nothing, and one that got a 5xx sends it again (Alertmanager retries 5xx
// answers, never 4xx ones). The engine learns nothing of HTTP.
package alerts

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/firstline-desk/firstline/bot"
)

// The paths the receiver serves, POST only.
const (
	AlertmanagerPath = "/alerts/alertmanager"
	GenericPath      = "/alerts/generic"
)

// MaxBody is the most a notification may weigh: Alertmanager sends every alert of a group in one
// (max_alerts in its webhook_config bounds them). The desk's HTTP listener has the same limit.
const MaxBody = 1 << 20

// Config is what the receiver needs.
type Config struct {
	// Token is the bearer token every caller must send (Authorization: Bearer TOKEN).
	Token string
}

// Receiver is the HTTP receiver of alert notifications.
type Receiver struct {
	token   [sha256.Size]byte
	handler bot.Handler
	log     *slog.Logger
}

// New returns a receiver that hands notifications to h. A token is required.
func New(cfg Config, h bot.Handler, logger *slog.Logger) (*Receiver, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, bot.Errorf(bot.EINVALID, "the alert receiver needs a token")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Receiver{token: sha256.Sum256([]byte(cfg.Token)), handler: h, log: logger.With("component", "alerts")}, nil
}

// Register adds the receiver's routes to mux.
func (r *Receiver) Register(mux *http.ServeMux) {
	mux.Handle("POST "+AlertmanagerPath, r.serve("alertmanager", parseAlertmanager))
	mux.Handle("POST "+GenericPath, r.serve("generic", parseGeneric))
}

// refusal is a notification refused: the status to answer and why, in a sentence for whoever set up the
// monitor (it never quotes the payload's values, which may hold secrets).
type refusal struct {
	status int
	reason string
}

func (e *refusal) Error() string { return e.reason }

func refuse(status int, format string, args ...any) *refusal {
	return &refusal{status: status, reason: fmt.Sprintf(format, args...)}
}

// serve is the handler of one kind of notification: the token, the body, the payload, then the engine.
func (r *Receiver) serve(kind string, parse func([]byte) (*bot.AlertNotice, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n, err := r.read(w, req, parse)
		if err == nil {
			err = r.handle(req, n)
		}
		var rf *refusal
		if errors.As(err, &rf) {
			if rf.status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="firstline alerts"`)
			}
			level := slog.LevelWarn
			if rf.status >= 500 {
				level = slog.LevelError
			}
			r.log.Log(req.Context(), level, "alert notification refused", "kind", kind, "status", rf.status, "reason", rf.reason,
				"remote", req.RemoteAddr)
			answer(w, rf.status, map[string]string{"error": rf.reason})
			return
		}
		if err != nil {
			r.log.Error("alert notification", "kind", kind, "err", err)
			answer(w, http.StatusInternalServerError, map[string]string{"error": "the desk could not take the notification; send it again"})
			return
		}
		r.log.Debug("alert notification taken", "kind", kind, "status", n.Status, "alerts", len(n.Alerts))
		answer(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// read checks the caller and reads the notification, refusing what is not one.
func (r *Receiver) read(w http.ResponseWriter, req *http.Request, parse func([]byte) (*bot.AlertNotice, error)) (*bot.AlertNotice, error) {
	if !r.authorized(req) {
		return nil, refuse(http.StatusUnauthorized, "missing or wrong bearer token: send the header Authorization: Bearer and the desk's alerts.token")
	}
	if mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, refuse(http.StatusUnsupportedMediaType, "the body must be JSON, sent with Content-Type: application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, refuse(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes: send fewer alerts at once (Alertmanager: max_alerts in the webhook_config)", MaxBody)
		}
		return nil, refuse(http.StatusBadRequest, "the body could not be read: %v", err)
	}
	n, err := parse(body)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "%s", err.Error())
	}
	return n, nil
}

// authorized compares the bearer token in constant time (of hashes, so not even its length leaks).
func (r *Receiver) authorized(req *http.Request) bool {
	scheme, token, ok := strings.Cut(req.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], r.token[:]) == 1
}

// handle hands the notification to the engine: nil once what it did is committed.
func (r *Receiver) handle(req *http.Request, n *bot.AlertNotice) error {
	ev := bot.Event{Kind: bot.EventAlert, Platform: bot.AlertPlatform, User: bot.JoinID(bot.AlertPlatform, n.Source),
		UserName: n.Monitor, Alert: n}
	err := r.handler.Handle(req.Context(), ev)
	switch code := bot.ErrorCode(err); {
	case err == nil:
		return nil
	case code == bot.EINVALID:
		var be *bot.Error
		if errors.As(err, &be) {
			return refuse(http.StatusUnprocessableEntity, "%s", be.Message)
		}
		return refuse(http.StatusUnprocessableEntity, "the desk cannot take this notification")
	case code == bot.EUNAVAILABLE:
		// Nothing was kept: a 5xx has Alertmanager send it again.
		return refuse(http.StatusServiceUnavailable, "the desk cannot take notifications now (its data file takes no writes); send it again")
	}
	return fmt.Errorf("handle alert notification: %w", err)
}

func answer(w http.ResponseWriter, status int, body map[string]string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
