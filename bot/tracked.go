package bot

// The engine's one write path: a transaction that redacts what is written, keeps SLA clocks in step,
// audits every transition, and runs what the commit makes true only once it has committed.

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// trackedTx is the transaction the engine writes through, and the only one: Engine.write is the one
// place the engine opens a write transaction, and it hands fn a trackedTx. It does four things to what is
// written, whichever code path writes it:
//
//   - It redacts. Redaction is structural: every ticket, effect, audit entry and article written through
//     it has every string field passed through redact.Text (secrets out, bidi overrides and control
//     characters out), whatever its fields are, except those tagged `redact:"-"`, which are identifiers
//     (ids, keys, platform references, enum values). A field added later is redacted unless someone
//     decides it is an identifier, and TestEveryStringFieldIsDecided makes them decide. Redacting again
//     what was read back changes nothing.
//   - It keeps a ticket's SLA clocks in step with what happened to it (SLAPolicy.Sync) on every write.
//   - It writes every new transition of a ticket to the audit log, in the same transaction, so the log
//     cannot miss one that a code path forgot to audit. To know which transitions are new it remembers
//     how many each ticket had when it was read through it, so the hot path (an event: read, change,
//     write) does not read the ticket twice.
//   - It keeps the transaction's after-commit list (afterCommit): what is true only once the
//     transaction has committed (an info log such as "ticket opened", a transition reported to the
//     Observer, an article put in the Library, the dispatcher woken for the effects enqueued) runs after
//     the commit, and never for a transaction that failed or that the store runs again.
//
// Reads, and the writes it does not track (dedup keys, links, the outbox's bookkeeping), go to the
// store's Tx as they are.
type trackedTx struct {
	Tx
	e      *Engine
	stored map[string]storedTicket // ticket id -> what it was when read
	after  []func()                // the after-commit list, in the order added
	wake   bool                    // wake the dispatcher after the commit: effects were enqueued
}

// write runs fn in one write transaction of the store, through a trackedTx, and once the transaction has
// committed runs its after-commit list, then wakes the dispatcher if effects were enqueued. Each time the
// store runs fn the list starts empty, so only the run that commits counts. It is the engine's only
// write path: nothing else in the engine calls Store.Update (TestOneWritePath).
func (e *Engine) write(ctx context.Context, fn func(tx *trackedTx) error) error {
	var tx *trackedTx
	err := e.store.Update(ctx, func(raw Tx) error {
		tx = &trackedTx{Tx: raw, e: e, stored: map[string]storedTicket{}}
		return fn(tx)
	})
	if err != nil {
		return err
	}
	for _, f := range tx.after {
		f()
	}
	if tx.wake {
		e.disp.kick()
	}
	return nil
}

// afterCommit adds f to the transaction's after-commit list: f runs once the transaction has committed,
// and not at all if it fails.
func (s *trackedTx) afterCommit(f func()) { s.after = append(s.after, f) }

// wakeDispatcher has the dispatcher woken once the transaction has committed.
func (s *trackedTx) wakeDispatcher() { s.wake = true }

func (s *trackedTx) remember(t *Ticket) {
	if t != nil {
		s.stored[t.ID] = storedTicket{transitions: len(t.Transitions), tier: t.Tier, assignee: t.Assignee}
	}
}

func (s *trackedTx) Ticket(id string) (*Ticket, error) {
	t, err := s.Tx.Ticket(id)
	s.remember(t)
	return t, err
}

func (s *trackedTx) TicketByConversation(c Conversation) (*Ticket, error) {
	t, err := s.Tx.TicketByConversation(c)
	s.remember(t)
	return t, err
}

func (s *trackedTx) FindTickets(f TicketFilter) ([]*Ticket, error) {
	ts, err := s.Tx.FindTickets(f)
	for _, t := range ts {
		s.remember(t)
	}
	return ts, err
}

func (s *trackedTx) CreateTicket(t *Ticket) error {
	s.e.redactor.Fields(t)
	s.e.syncSLA(t)
	if err := s.Tx.CreateTicket(t); err != nil {
		return err
	}
	err := s.auditTransitions(t, 0)
	s.noteTicket(t, nil, storedTicket{})
	s.remember(t)
	return err
}

func (s *trackedTx) PutTicket(t *Ticket) error {
	s.e.redactor.Fields(t)
	s.e.syncSLA(t)
	before, ok := s.stored[t.ID]
	if !ok {
		// Not read in this transaction (a ticket read in an earlier one and written blind): ask the store.
		if old, err := s.Tx.Ticket(t.ID); err == nil {
			before = storedTicket{transitions: len(old.Transitions), tier: old.Tier, assignee: old.Assignee}
		}
	}
	seen := before.transitions
	if err := s.Tx.PutTicket(t); err != nil {
		return err
	}
	err := s.auditTransitions(t, seen)
	var by []string
	for _, tr := range t.Transitions[min(seen, len(t.Transitions)):] {
		by = append(by, tr.By)
	}
	s.noteTicket(t, by, before)
	s.remember(t)
	return err
}

// storedTicket is what a ticket was when the transaction read it: how many transitions it had (those
// after are new, to audit), and the tier and owner whose homes showed it.
type storedTicket struct {
	transitions    int
	tier, assignee string
}

func (s *trackedTx) auditTransitions(t *Ticket, from int) error {
	for _, tr := range t.Transitions[min(from, len(t.Transitions)):] {
		s.afterCommit(func() { s.e.obs.Transition(tr.Type, tr.From, tr.To, tr.Tier, tr.Detail) })
		detail := tr.Detail
		if tr.To != "" {
			detail = strings.TrimSpace(string(tr.From) + " → " + string(tr.To) + " " + detail)
		}
		if err := s.Audit(AuditEntry{At: tr.At, Actor: tr.By, Action: "ticket." + string(tr.Type), Target: t.ID, Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}

// Enqueue redacts what the effect will post (text, title, fields, button labels) before it is stored in
// the outbox, and so before any platform sees it.
// Once the transaction has committed, the dispatcher is woken to perform the effect.
func (s *trackedTx) Enqueue(eff *Effect) error {
	s.e.redactor.Fields(eff)
	if err := s.Tx.Enqueue(eff); err != nil {
		return err
	}
	s.wake = true
	return nil
}

// PutEffect redacts a rewritten effect like a new one. An effect no longer in the outbox is not stored
// again (errEffectGone): see DeleteEffect.
func (s *trackedTx) PutEffect(eff Effect) error {
	if err := s.pending(eff.Seq); err != nil {
		return err
	}
	s.e.redactor.Fields(&eff)
	return s.Tx.PutEffect(eff)
}

// DeleteEffect removes a done effect, in the transaction that records what doing it changed (where a
// post went, a job's answer), and fails with errEffectGone when the effect is no longer in the outbox.
// In a store shared by replicas that happens when this replica's lease on the effect's lane expired
// (it stalled) and another replica performed the effect: what this one was about to record is then
// that replica's to record, and writing it too would answer twice. The check and the removal are in one
// serializable transaction, so of two replicas recording one effect exactly one succeeds.
func (s *trackedTx) DeleteEffect(seq uint64) error {
	if err := s.pending(seq); err != nil {
		return err
	}
	return s.Tx.DeleteEffect(seq)
}

// pending fails with errEffectGone when the effect seq is not in the outbox.
func (s *trackedTx) pending(seq uint64) error {
	if seq == 0 {
		return errEffectGone
	}
	effs, err := s.Tx.Effects(seq-1, 1)
	if err != nil {
		return err
	}
	if len(effs) == 0 || effs[0].Seq != seq {
		return errEffectGone
	}
	return nil
}

// errEffectGone: an effect the dispatcher was finishing is no longer in the outbox (another replica
// finished it). Nothing is retried or recorded for it.
var errEffectGone = errors.New("the effect is no longer in the outbox: another replica performed it")

// Audit redacts an audit entry's detail: it quotes what people typed (a vendor's reference, a title).
func (s *trackedTx) Audit(a AuditEntry) error {
	s.e.redactor.Fields(&a)
	return s.Tx.Audit(a)
}

// CreateActionRun redacts a new run like a ticket: its parameters are what someone typed.
func (s *trackedTx) CreateActionRun(r *ActionRun) error {
	s.e.redactor.Fields(r)
	return s.Tx.CreateActionRun(r)
}

// PutActionRun redacts a changed run: its output and preview are what a target answered.
func (s *trackedTx) PutActionRun(r *ActionRun) error {
	s.e.redactor.Fields(r)
	return s.Tx.PutActionRun(r)
}

// PutKBArticle redacts an article written from chat like any other text: an article is shown to everyone
// who asks, so a password in one would be a leak to the whole company. Once the transaction has committed,
// the article as stored reaches the engine's Library (or leaves it, when deleted), so the next question
// finds it.
func (s *trackedTx) PutKBArticle(a kb.Article, deleted bool, author string, at time.Time, base int) (int, error) {
	s.e.redactor.Fields(&a)
	v, err := s.Tx.PutKBArticle(a, deleted, author, at, base)
	if err != nil {
		return 0, err
	}
	if deleted {
		s.afterCommit(func() { s.e.library.Delete(a.ID) })
	} else {
		s.afterCommit(func() { s.e.library.Put(a) })
	}
	return v, nil
}
