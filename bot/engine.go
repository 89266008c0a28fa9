package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/redact"
)

// Searcher finds knowledge-base articles. *kb.Library implements it; the engine calls it from jobs, never
// inside a storage transaction.
type Searcher interface {
	// Search returns the best articles for query, best first, with confidences comparable across queries.
	// Articles in exclude (already offered) are ranked as if absent, so the confidence of the next best
	// is among what is left.
	Search(query string, limit int, exclude ...string) []kb.Hit
	// Article returns the article with id.
	Article(id string) (kb.Article, bool)
}

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
	cfg    Config
	store  Store
	search Searcher
	// reporter answers "!report"; nil disables it.
	reporter Reporter
	clock    Clock
	log      *slog.Logger

	chatsMu sync.RWMutex
	chats   map[string]Chat

	dispatchMu sync.Mutex // one dispatcher pass at a time keeps lanes in order
	wake       chan struct{}

	// Jobs (searches, model calls, reports) run in their own goroutines, so one slow model call does
	// not hold up every other conversation's replies; their lane waits for them.
	jobsMu   sync.Mutex
	jobsLive map[uint64]bool // outbox seq of the jobs running
	// jobsEnded are jobs that ended since the dispatcher last read the outbox: that read may still list
	// them, and they must not run twice.
	jobsEnded map[uint64]bool
	jobsWG    sync.WaitGroup
	jobDone   chan struct{}

	// unsaved are failed effects whose retry (attempts, next try) could not be recorded because the data
	// file takes no writes (a full disk). The dispatcher reads them with this schedule laid over the
	// stored one, so a failing job or post waits for its retry time instead of running again at once, and
	// a post that was made but not recorded counts as maybe sent and is looked up, not posted twice.
	unsavedMu sync.Mutex
	unsaved   map[uint64]Effect

	model     Model // nil: no model; answers are the articles themselves
	modelOpts ModelOptions
	canary    string // in every system prompt; a reply that repeats it is never posted

	// redactor redacts every event at the door and everything written through slaTx; it remembers
	// the texts it found clean, so a ticket's transcript is not examined again on every rewrite.
	redactor *redact.Cache

	// sequential: effects one at a time in outbox order, jobs run by the dispatcher itself
	// (SetSequential).
	sequential bool

	flood floodGuard
	obs   Observer
	// started is when this engine was made: effects older than that may have been performed by the
	// process before a crash.
	started time.Time
}

// New returns an engine. Register the chat platforms with AddChat before events arrive.
func New(cfg Config, store Store, search Searcher, clock Clock, logger *slog.Logger) (*Engine, error) {
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
	if clock == nil {
		clock = SystemClock{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{
		cfg:       cfg,
		store:     store,
		search:    search,
		clock:     clock,
		log:       logger.With("component", "engine"),
		chats:     map[string]Chat{},
		wake:      make(chan struct{}, 1),
		jobsLive:  map[uint64]bool{},
		jobsEnded: map[uint64]bool{},
		jobDone:   make(chan struct{}, 1),
		unsaved:   map[uint64]Effect{},
		obs:       nopObserver{},
		redactor:  redact.NewCache(redactCacheSize),
		started:   clock.Now(),
	}, nil
}

// redactCacheSize is how many clean texts the engine remembers: the transcripts of the tickets being
// worked, a few hundred bytes each.
const redactCacheSize = 1 << 14

// AddChat registers a chat platform. Effects for a platform without a chat wait in the outbox.
func (e *Engine) AddChat(c Chat) {
	e.chatsMu.Lock()
	defer e.chatsMu.Unlock()
	e.chats[c.Platform()] = c
}

func (e *Engine) chat(platform string) (Chat, bool) {
	e.chatsMu.RLock()
	defer e.chatsMu.RUnlock()
	c, ok := e.chats[platform]
	return c, ok
}

// Handle records an event and the effects it causes in one transaction. When it returns nil the event is
// durable and the platform may be acknowledged; the effects are performed later by the dispatcher (Run or
// Flush). A redelivered event (same ID) changes nothing.
func (e *Engine) Handle(ctx context.Context, ev Event) error {
	// What people type is redacted at the door, before anything is derived from it: a subject clipped
	// from the text, a rating comment, a vendor's reference, an article's body. Clipping first could cut a
	// secret where no detector knows it any more.
	e.redactor.Fields(&ev)
	if ev.Kind == EventMessage && strings.TrimSpace(ev.Text) == "" {
		return nil
	}
	if ev.User == "" || ev.Platform == "" {
		return Errorf(EINVALID, "event without user or platform")
	}
	now := e.clock.Now()
	counts := ev.Kind == EventMessage && !e.cfg.isTechnician(ev.User, ev.Roles) && !e.cfg.isAdmin(ev.User, ev.Roles)
	var w *work
	var committed []func()
	// What the flood guard noted for this event: taken back when the transaction fails or is run again,
	// so only a committed, new event counts.
	var mark floodMark
	err := e.store.Update(ctx, func(tx Tx) error {
		w = nil
		e.flood.undo(&mark)
		for _, key := range dedupKeys(ev) {
			seen, err := tx.SeenEvent(key, now)
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
		committed = nil
		w = &work{e: e, tx: e.slaTx(tx, &committed), ev: ev, now: now, throttled: throttled, notify: notify, committed: &committed, flood: &mark}
		return w.handle()
	})
	if err != nil {
		e.flood.undo(&mark)
	}
	e.obs.EventHandled(ev.Platform, ev.Kind, e.clock.Now().Sub(now), err)
	if err != nil {
		return fmt.Errorf("handle %s from %s: %w", ev.Kind, ev.User, err)
	}
	runAll(committed)
	e.retryUnsavedNow()
	// Committed: edits from chat reach the search index now, so the next question finds them.
	if ix, ok := e.search.(KBIndex); ok && w != nil {
		for _, a := range w.indexPut {
			ix.Put(a)
		}
		for _, id := range w.indexDel {
			ix.Delete(id)
		}
	}
	e.kick()
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
