package storage_test

import (
	"context"
	"encoding/binary"
	"maps"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// TestPostRefs checks where a ticket's messages went: recorded by RecordPost with their links, read by
// key or all at once, replaced when a key is posted again (its first message keeps its link), refused
// for a ticket that does not exist, and removed with the ticket by the retention purge.
func TestPostRefs(t *testing.T) {
	path := mustDesk(t)
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = db.View(ctx, func(tx bot.Tx) error {
		refs, err := tx.PostRefs("T-000001")
		if err != nil {
			return err
		}
		want := map[string]bot.MessageRef{"card-1": ref("tier2", "c-1"), "answer-1": ref("help", "a-1")}
		if !maps.Equal(refs, want) {
			t.Errorf("T-000001's messages %v, want %v", refs, want)
		}
		if r, err := tx.PostRef("T-000002", "csat"); err != nil || r != ref("help", "q-2b") {
			t.Errorf("T-000002's csat: %+v, %v; want the second one asked", r, err)
		}
		if l, err := tx.MessageLink(ref("help", "q-2a")); err != nil || l.Ticket != "T-000002" || l.Key != "csat" {
			t.Errorf("the first rating question's link: %+v, %v", l, err)
		}
		if _, err := tx.PostRef("T-000001", "csat"); !bot.IsNotFound(err) {
			t.Errorf("a key never posted: %v, want ENOTFOUND", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx bot.Tx) error {
		return tx.RecordPost(ref("help", "x"), bot.MessageLink{Ticket: "T-000099", Key: "csat"})
	})
	if !bot.IsNotFound(err) {
		t.Fatalf("a post recorded for a ticket that does not exist: %v", err)
	}
	// T-000002 goes with the retention purge, and where its messages went with it.
	if _, err := db.PurgeResolved(ctx, deskNow.Add(-90*day), 0); err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx bot.Tx) error {
		if _, err := tx.MessageLink(ref("help", "q-2b")); !bot.IsNotFound(err) {
			t.Errorf("a purged ticket's message is still linked: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	mustCheckClean(t, path)
}

// TestMigrationMovesMessageRefs writes tickets as schema 7 stored them, with where their messages went
// inside them ("messages"), and checks that opening the file moves that into ticket_messages, where the
// desk reads it, and leaves a file that checks clean.
func TestMigrationMovesMessageRefs(t *testing.T) {
	path := mustDesk(t)
	rawUpdate(t, path, func(btx *bolt.Tx) error {
		if err := btx.DeleteBucket([]byte("ticket_messages")); err != nil {
			return err
		}
		// As schema 7 stored T-000001: its messages in it.
		tickets := btx.Bucket([]byte("tickets"))
		old := append([]byte(nil), tickets.Get(be(1))...)
		old = append(old[:len(old)-1], `,"messages":{"card-1":{"platform":"test","channel":"tier2","id":"c-1"},"answer-1":{"platform":"test","channel":"help","id":"a-1"}}}`...)
		if err := tickets.Put(be(1), old); err != nil {
			return err
		}
		return btx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 7))
	})
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(context.Background(), func(tx bot.Tx) error {
		refs, err := tx.PostRefs("T-000001")
		want := map[string]bot.MessageRef{"card-1": ref("tier2", "c-1"), "answer-1": ref("help", "a-1")}
		if err != nil || !maps.Equal(refs, want) {
			t.Errorf("after the migration T-000001's messages are %v, %v; want %v", refs, err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	mustCheckClean(t, path)
}
