package storetest

import (
	"testing"

	"github.com/firstline-desk/firstline/bot"
)

// testOutboxOrderAndRewrite: Enqueue sets increasing sequence numbers; Effects reads in that order after
// a sequence number, up to a limit (0: all), effects whole; PutEffect rewrites one; DeleteEffect removes
// one (and deleting one that is gone is no error).
func testOutboxOrderAndRewrite(t *testing.T, h Harness) {
	s := h.Open(t)
	first := bot.Effect{Kind: bot.EffectPost, Platform: "slack", Lane: "slack:help:1", Ticket: "T-000001", Key: "answer-1",
		ThreadKey: "card-1", Post: bot.Post{Channel: "help", Thread: "1.2", Text: "one", Choices: []bot.Choice{{ID: "solved", Label: "Solved"}}},
		CreatedAt: base}
	var seqs []uint64
	update(t, s, func(tx bot.Tx) error {
		seqs = nil
		for i, text := range []string{"one", "two", "three", "four"} {
			e := first
			e.Post.Text = text
			if i == 3 {
				e = bot.Effect{Kind: bot.EffectJob, Lane: "slack:help:1", Job: "search", Query: "vpn", CreatedAt: at(1)}
			}
			if err := tx.Enqueue(&e); err != nil {
				return err
			}
			seqs = append(seqs, e.Seq)
		}
		return nil
	})
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] || seqs[0] == 0 {
			t.Fatalf("sequences %v, want increasing from 1 or more", seqs)
		}
	}
	effects := func(after uint64, limit int) []bot.Effect {
		var out []bot.Effect
		view(t, s, func(tx bot.Tx) error {
			var err error
			out, err = tx.Effects(after, limit)
			return err
		})
		return out
	}
	all := effects(0, 0)
	want := first
	want.Seq = seqs[0]
	if len(all) != 4 {
		t.Fatalf("%d effects, want 4", len(all))
	}
	sameJSON(t, "the first effect", all[0], want)
	if all[3].Kind != bot.EffectJob || all[3].Query != "vpn" || all[3].Seq != seqs[3] {
		t.Fatalf("the job: %+v", all[3])
	}
	if got := effects(seqs[0], 2); len(got) != 2 || got[0].Seq != seqs[1] || got[1].Seq != seqs[2] {
		t.Fatalf("Effects(after %d, 2): %+v", seqs[0], got)
	}
	if got := effects(seqs[3], 0); len(got) != 0 {
		t.Fatalf("Effects after the last: %+v", got)
	}
	update(t, s, func(tx bot.Tx) error {
		e := all[1]
		e.Attempts, e.NotBefore = 3, at(10)
		if err := tx.PutEffect(e); err != nil {
			return err
		}
		if err := tx.DeleteEffect(seqs[0]); err != nil {
			return err
		}
		return tx.DeleteEffect(seqs[0])
	})
	got := effects(0, 1)
	if len(got) != 1 || got[0].Post.Text != "two" || got[0].Attempts != 3 || !got[0].NotBefore.Equal(at(10)) {
		t.Fatalf("after the rewrite: %+v", got)
	}
	update(t, s, func(tx bot.Tx) error {
		e := bot.Effect{Kind: bot.EffectPost, Lane: "l", CreatedAt: base}
		if err := tx.Enqueue(&e); err != nil {
			return err
		}
		if e.Seq <= seqs[3] {
			t.Errorf("an effect enqueued after deletions has %d, not after %d", e.Seq, seqs[3])
		}
		return nil
	})
}
