package storage

// Erasing a person from what adapters keep in the data file (the console keeps its chat there: every
// message, the bot's cards and relays included).

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
)

// adapters erases the person from every adapter's stored records. Adapter state is JSON the adapter owns,
// so this goes by shape: an object with "channel" and "id" (and "thread") is a message there, which the
// desk's links relate to a ticket (the message itself, its thread's root, or the conversation it is in).
// A message of one of their tickets is erased whole: every string but its "id", "channel", "thread" and
// "author" becomes "[erased]", whoever wrote it. A message they wrote becomes "[erased]" likewise. In any
// other record every string is scrubbed as text of the ticket it belongs to (or of none).
func (e *eraser) adapters(t *tx, res *Erasure) error {
	platform, _ := bot.SplitID(e.user)
	root := t.bucket(bucketAdapters)
	var names [][]byte
	root.ForEachBucket(func(k []byte) error {
		names = append(names, bytes.Clone(k))
		return nil
	})
	for _, name := range names {
		b := root.Bucket(name)
		var keys, values [][]byte
		err := b.ForEach(func(k, v []byte) error {
			if v == nil {
				return nil
			}
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			var doc any
			if dec.Decode(&doc) != nil {
				return nil // not JSON: nothing this can read
			}
			c := 0
			doc = e.adapterRecord(t.btx, string(name), string(name) == platform, doc, &c)
			if c == 0 {
				return nil
			}
			data, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			keys, values = append(keys, bytes.Clone(k)), append(values, data)
			res.Mentions += c
			return nil
		})
		if err != nil {
			return err
		}
		for i := range keys {
			if err := b.Put(keys[i], values[i]); err != nil {
				return fmt.Errorf("rewrite %s state: %w", name, err)
			}
		}
		res.AdapterRecords += len(keys)
	}
	return nil
}

// messageKeys are the identifiers of a stored message, never erased.
var messageKeys = map[string]bool{"id": true, "channel": true, "thread": true, "author": true, "v": true}

// adapterRecord erases the person from one record of platform's adapter; theirs says the person is of
// that platform, so an "author" there may be their bare id.
func (e *eraser) adapterRecord(btx *bolt.Tx, platform string, theirs bool, doc any, c *int) any {
	m, ok := doc.(map[string]any)
	if !ok {
		return e.scrubJSON(doc, "", c)
	}
	author, _ := m["author"].(string)
	wrote := author == e.user || theirs && author == e.bare
	ticket, ok := messageTicket(btx, platform, m)
	if wrote || ok && e.own[ticket] {
		if wrote {
			m["author"] = erasedName
			*c++
		}
		for k, v := range m {
			if !messageKeys[k] {
				m[k] = eraseWhole(v, c)
			}
		}
		return m
	}
	return e.scrubJSON(m, ticket, c)
}

// messageTicket is the ticket a stored message belongs to, by the desk's links: a message the bot posted
// for a ticket (a card, an answer), a reply in the thread of one, a message in a ticket's conversation
// (its requester's thread, or a DM), or the message that opened one.
func messageTicket(btx *bolt.Tx, platform string, m map[string]any) (string, bool) {
	channel, _ := m["channel"].(string)
	id, _ := m["id"].(string)
	thread, _ := m["thread"].(string)
	if channel == "" || id == "" {
		return "", false
	}
	msgs, convs := btx.Bucket(bucketMessages), btx.Bucket(bucketByConv)
	ref := func(id string) (string, bool) {
		return linked(bucketMessages, msgs.Get([]byte(bot.MessageRef{Platform: platform, Channel: channel, ID: id}.Key())))
	}
	conv := func(thread string) (string, bool) {
		return linked(bucketByConv, convs.Get([]byte(bot.Conversation{Platform: platform, Channel: channel, Thread: thread}.Key())))
	}
	if tk, ok := ref(id); ok {
		return tk, true
	}
	root := thread
	if root == "" {
		root = id // a message at top level is the root of its own thread
	}
	if tk, ok := ref(root); ok {
		return tk, true
	}
	if tk, ok := conv(root); ok {
		return tk, true
	}
	return conv("") // a DM spoken at top level
}

// linked reads a link's ticket id.
func linked(bucket, v []byte) (string, bool) {
	if v == nil {
		return "", false
	}
	seq, ok := linkedTicket(bucket, v)
	if !ok {
		return "", false
	}
	return bot.TicketID(seq), true
}

// eraseWhole replaces every string in v with "[erased]", counting them.
func eraseWhole(v any, c *int) any {
	switch v := v.(type) {
	case string:
		if v != "" && v != erasedText {
			*c++
			return erasedText
		}
		return v
	case []any:
		for i := range v {
			v[i] = eraseWhole(v[i], c)
		}
		return v
	case map[string]any:
		for k := range v {
			if k != "id" { // a button's id is what a click reports, not text
				v[k] = eraseWhole(v[k], c)
			}
		}
		return v
	}
	return v
}

// scrubJSON scrubs every string in v as text of ticket ("" for none).
func (e *eraser) scrubJSON(v any, ticket string, c *int) any {
	switch v := v.(type) {
	case string:
		s, n := e.scrub(v, ticket)
		*c += n
		return s
	case []any:
		for i := range v {
			v[i] = e.scrubJSON(v[i], ticket, c)
		}
		return v
	case map[string]any:
		for k := range v {
			v[k] = e.scrubJSON(v[k], ticket, c)
		}
		return v
	}
	return v
}
