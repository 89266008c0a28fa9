package storage

// Where the bot's messages went. Two buckets, written together by RecordPost after every post of a
// ticket's message: messages (the message → its ticket and key, for the events that arrive on it) and
// ticket_messages (the ticket and key → the message, for the edits, reactions and replies the dispatcher
// makes on it). Neither holds a ticket, so posting reads and writes none.

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/firstline-desk/firstline/bot"
	bolt "go.etcd.io/bbolt"
)

// postRefKey is a message's key in ticket_messages: its ticket's sequence (8 bytes, so a ticket's
// messages are one range) and its key.
func postRefKey(seq uint64, key string) []byte {
	return append(u64(seq), key...)
}

func (t *tx) RecordPost(ref bot.MessageRef, link bot.MessageLink) error {
	seq, err := ticketSeq(link.Ticket)
	if err != nil {
		return err
	}
	if t.bucket(bucketTickets).Get(u64(seq)) == nil {
		return bot.Errorf(bot.ENOTFOUND, "no ticket %s to record its message %q under", link.Ticket, link.Key)
	}
	if link.Key != "" {
		data, err := json.Marshal(ref)
		if err != nil {
			return fmt.Errorf("encode the message %s of %s: %w", link.Key, link.Ticket, err)
		}
		if err := t.bucket(bucketPostRefs).Put(postRefKey(seq, link.Key), data); err != nil {
			return fmt.Errorf("record the message %s of %s: %w", link.Key, link.Ticket, err)
		}
	}
	return t.LinkMessage(ref, link)
}

func (t *tx) PostRef(ticket, key string) (bot.MessageRef, error) {
	var ref bot.MessageRef
	seq, err := ticketSeq(ticket)
	if err != nil {
		return ref, err
	}
	v := t.bucket(bucketPostRefs).Get(postRefKey(seq, key))
	if v == nil {
		return ref, bot.Errorf(bot.ENOTFOUND, "ticket %s has no message %q", ticket, key)
	}
	err = decode(v, &ref, "message "+key+" of "+ticket)
	return ref, err
}

func (t *tx) PostRefs(ticket string) (map[string]bot.MessageRef, error) {
	seq, err := ticketSeq(ticket)
	if err != nil {
		return nil, err
	}
	out := map[string]bot.MessageRef{}
	prefix := u64(seq)
	c := t.bucket(bucketPostRefs).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var ref bot.MessageRef
		if err := decode(v, &ref, "message "+string(k[8:])+" of "+ticket); err != nil {
			return nil, err
		}
		out[string(k[8:])] = ref
	}
	return out, nil
}

func (t *tx) LinkMessage(ref bot.MessageRef, link bot.MessageLink) error {
	data, err := json.Marshal(link)
	if err != nil {
		return fmt.Errorf("encode message link: %w", err)
	}
	if err := t.bucket(bucketMessages).Put([]byte(ref.Key()), data); err != nil {
		return fmt.Errorf("link message to %s: %w", link.Ticket, err)
	}
	return nil
}

func (t *tx) MessageLink(ref bot.MessageRef) (bot.MessageLink, error) {
	var link bot.MessageLink
	v := t.bucket(bucketMessages).Get([]byte(ref.Key()))
	if v == nil {
		return link, bot.Errorf(bot.ENOTFOUND, "message %s is not linked to a ticket", ref.ID)
	}
	err := decode(v, &link, "message link")
	return link, err
}

// migrateMessageRefs is migration 7: every ticket's "messages" copied into ticket_messages.
func migrateMessageRefs(btx *bolt.Tx) error {
	refs, err := btx.CreateBucketIfNotExists(bucketPostRefs)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketPostRefs, err)
	}
	return btx.Bucket(bucketTickets).ForEach(func(k, v []byte) error {
		var old struct {
			ID       string                    `json:"id"`
			Messages map[string]bot.MessageRef `json:"messages"`
		}
		if err := decode(v, &old, "ticket"); err != nil {
			return err
		}
		for key, ref := range old.Messages {
			data, err := json.Marshal(ref)
			if err != nil {
				return err
			}
			if err := refs.Put(append(bytes.Clone(k), key...), data); err != nil {
				return fmt.Errorf("move the message %s of %s: %w", key, old.ID, err)
			}
		}
		return nil
	})
}

// deletePostRefs removes where the ticket's messages went, and the links of those messages while they
// are still the ticket's; it returns how many links it removed.
func (t *tx) deletePostRefs(ticket string, seq uint64) (links int, err error) {
	refs, msgs := t.bucket(bucketPostRefs), t.bucket(bucketMessages)
	prefix := u64(seq)
	var keys [][]byte
	c := refs.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		keys = append(keys, bytes.Clone(k)) // deleting under a cursor moves it
		var ref bot.MessageRef
		if json.Unmarshal(v, &ref) != nil {
			continue // the entry goes; check reported it
		}
		lk := []byte(ref.Key())
		var link bot.MessageLink
		if lv := msgs.Get(lk); lv != nil && json.Unmarshal(lv, &link) == nil && link.Ticket == ticket {
			if err := msgs.Delete(lk); err != nil {
				return links, fmt.Errorf("delete the message links of %s: %w", ticket, err)
			}
			links++
		}
	}
	for _, k := range keys {
		if err := refs.Delete(k); err != nil {
			return links, fmt.Errorf("delete the messages of %s: %w", ticket, err)
		}
	}
	return links, nil
}
