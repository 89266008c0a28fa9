package bot_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// ticketWatch is a Store that notes every ticket read or written while watching is on.
type ticketWatch struct {
	bot.Store
	watching atomic.Bool
	mu       sync.Mutex
	calls    []string
}

func (w *ticketWatch) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return w.Store.Update(ctx, func(tx bot.Tx) error { return fn(&watchedTx{Tx: tx, w: w}) })
}

func (w *ticketWatch) View(ctx context.Context, fn func(bot.Tx) error) error {
	return w.Store.View(ctx, func(tx bot.Tx) error { return fn(&watchedTx{Tx: tx, w: w}) })
}

func (w *ticketWatch) note(call string) {
	if w.watching.Load() {
		w.mu.Lock()
		w.calls = append(w.calls, call)
		w.mu.Unlock()
	}
}

type watchedTx struct {
	bot.Tx
	w *ticketWatch
}

func (t *watchedTx) Ticket(id string) (*bot.Ticket, error) {
	t.w.note("Ticket(" + id + ")")
	return t.Tx.Ticket(id)
}

func (t *watchedTx) PutTicket(tk *bot.Ticket) error {
	t.w.note("PutTicket(" + tk.ID + ")")
	return t.Tx.PutTicket(tk)
}

func (t *watchedTx) TicketByConversation(c bot.Conversation) (*bot.Ticket, error) {
	t.w.note("TicketByConversation")
	return t.Tx.TicketByConversation(c)
}

func (t *watchedTx) FindTickets(f bot.TicketFilter) ([]*bot.Ticket, error) {
	t.w.note("FindTickets")
	return t.Tx.FindTickets(f)
}

// TestDispatcherTouchesNoTicket checks that performing posts, edits and reactions reads and writes no
// ticket: where a ticket's messages went is stored apart from it (Tx.PostRef, RecordPost). A claim's
// effects (the card edited in place, the requester told in their thread, under the answer) are performed
// while a watch on the store notes every ticket read or written; none may be.
func TestDispatcherTouchesNoTicket(t *testing.T) {
	watch := &ticketWatch{Store: openStore(t, "")}
	d := bottest.NewDesk(t, testConfig(), watch, testLibrary())
	q := d.Say(alice, "help", "vpn broken")
	d.Click(alice, d.Chat.Thread("help", q)[0], "Talk to a human")
	card := d.Chat.Last("tier2")
	edits, posts := card.Edits, d.Chat.Count()

	ctx := context.Background()
	if err := d.Engine.Handle(ctx, bot.Event{Kind: bot.EventReactionAdded, ID: "claim-1", Platform: "test", Channel: "tier2",
		Message: card.Ref.ID, User: tom, UserName: "tom", Reaction: "raising_hand", Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	watch.watching.Store(true)
	if err := d.Engine.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	watch.watching.Store(false)
	if card.Edits == edits || d.Chat.Count() == posts {
		t.Fatalf("the claim's effects were not performed: %d edits of the card, %d posts (before %d, %d)", card.Edits, d.Chat.Count(), edits, posts)
	}
	mustContain(t, "the requester's thread", d.Chat.Last("help").Text(), "picked up")
	if len(watch.calls) > 0 {
		t.Errorf("performing posts, edits and reactions read or wrote tickets: %v", watch.calls)
	}
}
