package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/redact"
)

// Clock tells the time. The engine never calls time.Now itself, so tests can move time.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Engine is the service desk: it handles inbound events and performs the effects they cause.
type Engine struct {
	cfg     Config
	store   Store
	library Library
	// reporter answers "!report"; nil disables it.
	reporter Reporter
	clock    Clock
	log      *slog.Logger

	// disp performs the outbox: posts, edits, reactions and jobs (dispatch.go).
	disp *dispatcher

	model     Model // nil: no model; answers are the articles themselves
	modelOpts ModelOptions
	canary    string // in every system prompt; a reply that repeats it is never posted

	// redactor redacts every event at the door and everything written through trackedTx; it remembers
	// the texts it found clean, so a ticket's transcript is not examined again on every rewrite.
	redactor *redact.Cache

	flood floodGuard
	obs   Observer

	// signIn makes the links "!web" sends to the web console; nil: there is no console.
	signIn SignIn

	// homes are the people whose homes (HomePublisher) are kept fresh.
	homes homes
	// instance names this engine's process on the action runs it starts: a run left running by another
	// instance was cut off by a crash (recoverRuns). recovered: that was looked for.
	instance  string
	recoverMu sync.Mutex
	recovered bool

	// leases divide the work among replicas when the store is shared (Leaser); nil with bbolt.
	leases *leases
}

// New returns an engine. Register the chat platforms with AddChat before events arrive.
func New(cfg Config, store Store, library Library, clock Clock, logger *slog.Logger) (*Engine, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("engine config: %w", err)
	}
	if cfg.Name == "" {
		cfg.Name = "Firstline"
	}
	if cfg.DefaultPriority == "" {
		cfg.DefaultPriority = "P3"
	}
	if cfg.SuggestConfidence == 0 {
		cfg.SuggestConfidence = cfg.MinConfidence
	}
	if cfg.Flood.Messages > 0 && cfg.Flood.Window <= 0 {
		cfg.Flood.Window = time.Minute
	}
	if cfg.Reactions == (Reactions{}) {
		cfg.Reactions = DefaultReactions
	}
	if cfg.Files.MaxBytes == 0 {
		cfg.Files.MaxBytes = DefaultMaxFileBytes
	}
	if cfg.HomeEvery == 0 {
		cfg.HomeEvery = DefaultHomeEvery
	}
	if clock == nil {
		clock = SystemClock{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		cfg:      cfg,
		store:    store,
		library:  library,
		clock:    clock,
		log:      logger.With("component", "engine"),
		obs:      nopObserver{},
		redactor: redact.NewCache(redactCacheSize),
		instance: newIdempotencyKey(),
	}
	e.disp = newDispatcher(store, clock, e.log, e.write, e.runJob)
	e.disp.forms, e.disp.maxFileBytes = cfg.Forms, cfg.Files.MaxBytes
	e.disp.idle = e.idleHomes
	if l, ok := store.(Leaser); ok {
		e.leases = newLeases(l, newOwnerID(), DefaultLeaseTTL)
		e.disp.leases = e.leases
	}
	return e, nil
}

// redactCacheSize is how many clean texts the engine remembers: the transcripts of the tickets being
// worked, a few hundred bytes each.
const redactCacheSize = 1 << 14

// AddChat registers a chat platform. Effects for a platform without a chat wait in the outbox.
func (e *Engine) AddChat(c Chat) { e.disp.chats.add(c) }

func (e *Engine) chat(platform string) (Chat, bool) { return e.disp.chat(platform) }

// Run performs effects as they arrive, and retries failed ones, until ctx is done. It returns once the
// jobs it started have finished.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.recoverRuns(ctx); err != nil {
		return err
	}
	homesDone := e.runHomes(ctx)
	defer homesDone()
	if w, ok := e.store.(Watcher); ok && e.leases != nil {
		// Other replicas edit the knowledge base too: their articles reach this library.
		go e.followKB(ctx, w)
	}
	return e.disp.run(ctx)
}

// Flush performs every effect that is due, including the jobs and the effects they cause, and returns
// when nothing due is left and no job is running. Effects that failed wait for their retry time.
func (e *Engine) Flush(ctx context.Context) error {
	if err := e.recoverRuns(ctx); err != nil {
		return err
	}
	return e.disp.dispatch(ctx, true)
}

// SetSequential makes the dispatcher perform effects one at a time in outbox order, and run each job
// itself, to its end, before the next effect: the same events then always give the same posts in the
// same order. The console demo needs that (its message ids are given in post order, and the README's
// walkthrough names them); a server does not, and leaves it off to post to eight conversations at once
// and run jobs side by side. Call it before Run or Flush.
func (e *Engine) SetSequential() { e.disp.sequential = true }

// Handle records an event and the effects it causes in one transaction. When it returns nil the event is
// durable and the platform may be acknowledged; the effects are performed later by the dispatcher (Run or
// Flush). A redelivered event (same ID) changes nothing.
func (e *Engine) Handle(ctx context.Context, ev Event) error {
	// What people type is redacted at the door, before anything is derived from it: a subject clipped
	// from the text, a rating comment, a vendor's reference, an article's body. Clipping first could cut a
	// secret where no detector knows it any more.
	e.redactor.Fields(&ev)
	if ev.Kind == EventMessage && strings.TrimSpace(ev.Text) == "" && len(ev.Files) == 0 {
		return nil
	}
	if ev.User == "" || ev.Platform == "" {
		return Errorf(EINVALID, "event without user or platform")
	}
	now := e.clock.Now()
	counts := ev.Kind == EventMessage && !e.cfg.isTechnician(ev.User, ev.Roles) && !e.cfg.isAdmin(ev.User, ev.Roles)
	// What the flood guard noted for this event: taken back when the transaction fails or is run again,
	// so only a committed, new event counts.
	var mark floodMark
	err := e.write(ctx, func(tx *trackedTx) error {
		e.flood.undo(&mark)
		// A commit, whatever the event did: the data file takes writes again, so what failed only because
		// it did not need not wait out the backoff it got meanwhile; and the dispatcher looks again.
		tx.afterCommit(e.disp.unsaved.dueNow)
		tx.wakeDispatcher()
		for _, key := range dedupKeys(ev) {
			seen, err := tx.RecordDedupKey(key, now)
			if err != nil {
				return err
			}
			if seen {
				e.log.Debug("duplicate event ignored", "platform", ev.Platform, "event_id", ev.ID)
				return nil
			}
		}
		// Counted only once the event is known to be new: a redelivery, or the twin of a message that
		// arrives as two events (Slack's message and app_mention share the message's dedup key), is one
		// message.
		var throttled, notify bool
		if counts {
			throttled, notify = e.flood.note(e.cfg.Flood, ev.User, now, &mark)
		}
		w := &work{e: e, tx: tx, ev: ev, now: now, throttled: throttled, notify: notify, flood: &mark}
		if err := w.handle(); err != nil {
			// Taken back at once, not once Update returns: the store runs the events grouped with this
			// one again without it first, and they must not see its count or its ticket.
			e.flood.undo(&mark)
			return err
		}
		return nil
	})
	if err != nil {
		e.flood.undo(&mark)
	}
	e.obs.EventHandled(ev.Platform, ev.Kind, e.clock.Now().Sub(now), err)
	if err != nil {
		return fmt.Errorf("handle %s from %s: %w", ev.Kind, ev.User, err)
	}
	return nil
}

// dedupKeys are the keys that make an event a duplicate when one was seen before: its id, and for a
// message the message itself (platform, channel, id), so one message that arrives as two events with
// different ids (Slack's message and app_mention) is handled, and counted, once.
func dedupKeys(ev Event) []string {
	var keys []string
	if ev.ID != "" {
		keys = append(keys, ev.Platform+"\x1f"+ev.ID)
	}
	if ev.Kind == EventMessage && ev.Message != "" && ev.Channel != "" {
		keys = append(keys, ev.Platform+"\x1fmessage\x1f"+ev.Channel+"\x1f"+ev.Message)
	}
	return keys
}
