package bot

import "time"

// Observer is told what the engine does, for metrics; cmd/firstline implements it with Prometheus.
// Calls come from any goroutine, after the transaction that made what they report has committed (a
// transaction that fails, or that the store runs again, is not counted): they must be quick, must not
// block and must not call the engine.
type Observer interface {
	// EventHandled: an inbound event was recorded (err nil) or refused. d is the time to commit it, which
	// is what the platform waits for before it is acknowledged.
	EventHandled(platform string, kind EventKind, d time.Duration, err error)
	// EffectDone: an effect was performed (err nil) or failed and will be retried or dropped. job names
	// the job for EffectJob. age is how long since the effect was caused: for a post answering a
	// message, the reply latency.
	EffectDone(platform string, kind EffectKind, job string, age time.Duration, err error)
	// Transition: something happened to a ticket (TransitionOpened, TransitionEscalated,
	// TransitionSLABreached, ...); from and to are set when its status changed; detail says more ("first
	// response" for an SLA breach).
	Transition(typ TransitionType, from, to Status, tier, detail string)
}

// SetObserver has the engine report to o. Call it before events arrive.
func (e *Engine) SetObserver(o Observer) { e.obs, e.disp.obs = o, o }

type nopObserver struct{}

func (nopObserver) EventHandled(string, EventKind, time.Duration, error)        {}
func (nopObserver) EffectDone(string, EffectKind, string, time.Duration, error) {}
func (nopObserver) Transition(TransitionType, Status, Status, string, string)   {}
