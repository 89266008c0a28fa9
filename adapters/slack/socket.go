package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/firstline-desk/firstline/bot"
)

// Reconnect backoff of the supervisor, when slack-go's client gives up on a connection.
const (
	minReconnectDelay = time.Second
	maxReconnectDelay = time.Minute
)

// RunSocket receives the workspace's events over Socket Mode and hands them to h until ctx ends. Each
// envelope is acknowledged only after h has durably recorded its event, so an event is either in the
// data file or redelivered by Slack; an event h fails on is left unacknowledged for Slack to retry.
//
// slack-go's client reconnects by itself when Slack asks (disconnect) or when the socket goes quiet (no
// ping for 30 s); RunSocket is the supervisor around it: when the client gives up, it starts a new one with
// backoff, so the process never exits because Slack blipped. Only a rejected token stops it, with an error
// that says so.
func (a *Adapter) RunSocket(ctx context.Context, h bot.Handler) error {
	delay := minReconnectDelay
	for {
		started := time.Now()
		err := a.runSocketOnce(ctx, h)
		if ctx.Err() != nil {
			return nil
		}
		if isFatalAuth(err) {
			return fmt.Errorf("slack socket mode: the app token was refused (%v): check app_token (xapp-, connections:write) and that Socket Mode is on in the app's settings", err)
		}
		if time.Since(started) > maxReconnectDelay {
			delay = minReconnectDelay // it ran fine for a while: start the backoff over
		}
		a.log.Warn("slack socket mode stopped, reconnecting", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		delay = min(2*delay, maxReconnectDelay)
	}
}

// IsAuthError reports whether Slack refused a token: retrying will not help.
func IsAuthError(err error) bool { return isFatalAuth(err) }

func isFatalAuth(err error) bool {
	switch slackError(err) {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked":
		return true
	}
	if err == nil {
		return false
	}
	switch err.Error() {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked":
		return true
	}
	var sc slackapi.StatusCodeError
	return errors.As(err, &sc) && sc.Code == 404
}

// runSocketOnce runs one slack-go client until it returns, handling its events in order on this
// goroutine. The client reads the socket on its own goroutines, so a slow Handle delays acks, never the
// reading.
func (a *Adapter) runSocketOnce(ctx context.Context, h bot.Handler) error {
	client := socketmode.New(a.api)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- client.RunContext(ctx) }()
	defer a.setConnected(false)

	connected := 0
	for {
		select {
		case err := <-done:
			return err
		case evt, ok := <-client.Events:
			if !ok {
				return <-done
			}
			switch evt.Type {
			case socketmode.EventTypeConnecting:
				// A first connection, or slack-go replacing a connection it lost or was asked to drop.
				a.setConnected(false)
			case socketmode.EventTypeConnected:
				a.setConnected(true)
				if connected > 0 {
					a.log.Info("slack socket mode reconnected")
				} else {
					a.log.Info("slack socket mode connected")
				}
				connected++
			case socketmode.EventTypeConnectionError:
				a.setConnected(false)
				if e, ok := evt.Data.(*slackapi.ConnectionErrorEvent); ok && e.Attempt <= 1 {
					a.log.Warn("slack socket mode connection failed, retrying", "err", e.ErrorObj)
				}
			case socketmode.EventTypeInvalidAuth:
				return errors.New("invalid_auth")
			case socketmode.EventTypeDisconnect:
				a.setConnected(false)
				a.log.Info("slack asked to reconnect")
			case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive, socketmode.EventTypeSlashCommand:
				if evt.Request != nil {
					a.handleEnvelope(ctx, client, evt.Type, evt.Request, h)
				}
			}
		}
	}
}

// handleEnvelope translates one envelope, hands its event to h and acknowledges it once recorded, or
// refused (a form with bad answers: the acknowledgement carries the problems).
func (a *Adapter) handleEnvelope(ctx context.Context, client *socketmode.Client, typ socketmode.EventType, req *socketmode.Request, h bot.Handler) {
	var (
		ev  bot.Event
		ok  bool
		err error
	)
	switch typ {
	case socketmode.EventTypeEventsAPI:
		ev, ok, err = a.eventsAPI(req.Payload)
	case socketmode.EventTypeInteractive:
		ev, ok, err = a.interaction(req.Payload)
	case socketmode.EventTypeSlashCommand:
		var cmd slackapi.SlashCommand
		if err = json.Unmarshal(req.Payload, &cmd); err == nil {
			ev, ok, err = a.slashCommand(cmd)
		}
	}
	var reply any
	if err != nil {
		// A payload that cannot be read will not read better on redelivery: acknowledge and log it.
		a.log.Error("slack envelope dropped", "type", req.Type, "envelope_id", req.EnvelopeID, "err", err)
	} else if ok {
		if err := h.Handle(ctx, ev); err != nil {
			resp := a.refused(req.Payload, ev, err)
			if resp == nil {
				a.log.Error("slack event not recorded, leaving it for Slack to redeliver", "event_id", ev.ID, "err", err)
				return
			}
			reply = resp // the desk said no: the answer goes back with the acknowledgement
		}
	}
	if err := client.AckCtx(ctx, req.EnvelopeID, reply); err != nil {
		a.log.Warn("slack ack failed; Slack will redeliver and the desk will skip it", "envelope_id", req.EnvelopeID, "err", err)
	}
}
