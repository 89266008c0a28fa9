package storage_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/redact"
	"github.com/firstline-desk/firstline/storage"
)

// fill makes every pointer, slice and map in v hold one element, so that redact.Walk reaches every text
// field a value of its type can have.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() && v.CanSet() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if !v.IsNil() {
			fill(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 && v.CanSet() {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := range v.Len() {
			fill(v.Index(i))
		}
	case reflect.Map:
		if v.Len() == 0 && v.CanSet() {
			v.Set(reflect.MakeMap(v.Type()))
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e)
			v.SetMapIndex(reflect.New(v.Type().Key()).Elem(), e)
		}
	}
}

// quoting sets every text field of the record at ptr to a different way the bot quotes what someone
// wrote: as it is, run onto one line, or cut short with "…", inside other words.
func quoting(ptr any, said string) {
	flat := strings.Join(strings.Fields(said), " ")
	ways := []string{"alice wrote: " + said, "> " + flat, "User said: " + string([]rune(flat)[:40]) + "…; and more", "Problem: " + said + "\nTried: nothing"}
	i := 0
	redact.Walk(ptr, func(string) string { i++; return ways[i%len(ways)] })
}

// mustQuoteNothing fails when a text field of the record at ptr still holds a word of said.
func mustQuoteNothing(t *testing.T, what string, ptr any, words ...string) {
	t.Helper()
	redact.Walk(ptr, func(s string) string {
		for _, w := range words {
			if strings.Contains(strings.ToLower(s), w) {
				t.Errorf("%s still quotes %q: %q", what, w, s)
			}
		}
		return s
	})
}

// TestEraseReachesEveryTextField: every text field of a ticket, an effect, an audit entry and a stored
// adapter message quoting what the person wrote in that ticket (found by walking the types, so a field
// added later is in the test without changing it) is erased; every stored message of their own ticket is
// erased whole, whoever wrote it.
func TestEraseReachesEveryTextField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "firstline.db")
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	said := "My   zorblax printer\nleaks periwinkle ink onto the quasimodo tray every single morning since Tuesday"
	words := []string{"zorblax", "periwinkle", "quasimodo"}

	// bob's ticket, where alice wrote; every other text of it quotes her.
	other := &bot.Ticket{}
	fill(reflect.ValueOf(other))
	quoting(other, said)
	other.ID, other.Requester, other.Status = "", "test:bob", bot.StatusEscalated
	other.Conversation = bot.Conversation{Platform: "test", Channel: "help", Thread: "b1"}
	other.Transcript = append(other.Transcript, bot.Entry{Author: "test:alice", Name: "Alice", Role: bot.RoleRequester, Text: said})
	// alice's own ticket.
	own := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusClaimed, Requester: "test:alice", RequesterName: "Alice",
		Subject: "printer leaks", Conversation: bot.Conversation{Platform: "test", Channel: "help", Thread: "a1"},
		Transcript: []bot.Entry{{Author: "test:alice", Text: "hello there"}}}
	var effect bot.Effect
	var entry bot.AuditEntry
	err = db.Update(ctx, func(tx bot.Tx) error {
		for _, tk := range []*bot.Ticket{other, own} {
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
		}
		for ticket, id := range map[*bot.Ticket]string{other: "c-b", own: "c-a"} {
			if err := tx.RecordPost(bot.MessageRef{Platform: "test", Channel: "tier2", ID: id}, bot.MessageLink{Ticket: ticket.ID, Key: "card-1"}); err != nil {
				return err
			}
		}
		fill(reflect.ValueOf(&effect))
		quoting(&effect, said)
		effect.Kind, effect.Platform, effect.Lane, effect.Ticket, effect.Post.DM, effect.Post.To = bot.EffectPost, "test", "test/tier2", other.ID, "", ""
		if err := tx.Enqueue(&effect); err != nil {
			return err
		}
		fill(reflect.ValueOf(&entry))
		quoting(&entry, said)
		entry.Action, entry.Actor, entry.Target = "refused", "test:tom", other.ID
		return tx.Audit(entry)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The console's stored chat: the card of bob's ticket and a relay in its thread quote her; the card of
	// her own ticket, and tom's answer in its thread, are hers to lose whole.
	state := db.Adapter("test")
	put := func(key string, m map[string]any) {
		b, _ := json.Marshal(m)
		if err := state.Put(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	put("message/c-b", map[string]any{"id": "c-b", "channel": "tier2", "author": "firstline", "title": "T-000001: something",
		"text": "Conversation so far:\n> Alice: " + strings.Join(strings.Fields(said), " "), "fields": []any{map[string]any{"name": "Summary", "value": said}}})
	put("message/r-b", map[string]any{"id": "r-b", "channel": "tier2", "thread": "c-b", "author": "firstline", "text": "Alice: " + said})
	put("message/c-a", map[string]any{"id": "c-a", "channel": "tier2", "author": "firstline", "text": "**Alice** asked: the teal gizmo is broken"})
	put("message/t-a", map[string]any{"id": "t-a", "channel": "tier2", "thread": "c-a", "author": "tom", "text": "Is the teal gizmo still broken?",
		"choices": []any{map[string]any{"id": "solved", "label": "Solved"}}})

	if _, err := db.EraseUser(ctx, "test:alice", false); err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx bot.Tx) error {
		tk, err := tx.Ticket(other.ID)
		if err != nil {
			return err
		}
		mustQuoteNothing(t, "bob's ticket", tk, words...)
		effects, err := tx.Effects(0, 0)
		if err != nil || len(effects) != 1 {
			t.Fatalf("outbox %+v %v", effects, err)
		}
		mustQuoteNothing(t, "the effect waiting for bob's ticket", &effects[0], words...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := db.AuditEntries(ctx, time.Time{}, 0)
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit %+v %v", entries, err)
	}
	mustQuoteNothing(t, "the audit entry about bob's ticket", &entries[0], words...)
	for _, key := range []string{"message/c-b", "message/r-b", "message/c-a", "message/t-a"} {
		b, err := state.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range append(words, "teal", "gizmo") {
			if strings.Contains(strings.ToLower(string(b)), w) {
				t.Errorf("the stored message %s still holds %q: %s", key, w, b)
			}
		}
		if key == "message/t-a" && !strings.Contains(string(b), `"id":"solved"`) {
			t.Errorf("a button's id was erased: %s", b)
		}
	}
}
