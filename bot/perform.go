package bot

// Performing one effect: a post (at most once, where the platform can), an edit, a reaction, through the
// platform's Chat; then, in one transaction, the effect's removal and where the message went. No ticket is
// read or written here: where a ticket's messages went is stored apart from it (Tx.PostRef, RecordPost).

import (
	"context"
	"fmt"
	"strconv"
	"sync"
)

// chatSet is the chat platforms registered, by name.
type chatSet struct {
	mu sync.RWMutex
	m  map[string]Chat
}

func (s *chatSet) add(c Chat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]Chat{}
	}
	s.m[c.Platform()] = c
}

func (s *chatSet) get(platform string) (Chat, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.m[platform]
	return c, ok
}

// chat returns the chat platform effects for platform go to.
func (d *dispatcher) chat(platform string) (Chat, bool) { return d.chats.get(platform) }

func (d *dispatcher) perform(ctx context.Context, eff Effect) error {
	chat, ok := d.chat(eff.Platform)
	if !ok {
		return Errorf(EUNAVAILABLE, "no chat platform %q is connected", eff.Platform)
	}
	switch eff.Kind {
	case EffectPost:
		return d.performPost(ctx, chat, eff)
	case EffectUpload:
		return d.performUpload(ctx, chat, eff)
	case EffectForm:
		if err := d.performForm(ctx, chat, eff); err != nil {
			return err
		}
	case EffectUpdate:
		ref, err := d.postRef(ctx, eff, eff.Key, "update")
		if err != nil {
			return err
		}
		if eff.DropChoices {
			return d.performDropChoices(ctx, chat, eff, ref)
		}
		if ed, ok := chat.(Editor); ok {
			if err := ed.Update(ctx, ref, eff.Post); err != nil {
				return err
			}
		} else {
			p := eff.Post
			p.Channel, p.Thread, p.DM = ref.Channel, ref.ID, ""
			p.Title = "Update: " + p.Title
			if _, err := chat.Post(ctx, p); err != nil {
				return err
			}
		}
	case EffectReact:
		ref, err := d.postRef(ctx, eff, eff.Key, "react to")
		if err != nil {
			return err
		}
		if r, ok := chat.(Reactor); ok {
			if err := r.React(ctx, ref, eff.Reaction); err != nil {
				return err
			}
		}
	default:
		return Errorf(EINVALID, "unknown effect kind %q", eff.Kind)
	}
	return d.write(ctx, func(tx *trackedTx) error { return tx.DeleteEffect(eff.Seq) })
}

// postRef reads where the effect's ticket's message under key was posted: the message an edit, a
// reaction or a reply acts on. It reads no ticket.
func (d *dispatcher) postRef(ctx context.Context, eff Effect, key, what string) (MessageRef, error) {
	var ref MessageRef
	err := d.store.View(ctx, func(tx Tx) error {
		var err error
		ref, err = tx.PostRef(eff.Ticket, key)
		return err
	})
	switch {
	case IsNotFound(err):
		return ref, Errorf(ENOTFOUND, "ticket %s has no message %q to %s", eff.Ticket, key, what)
	case err != nil:
		return ref, fmt.Errorf("read the message %s of %s: %w", key, eff.Ticket, err)
	}
	return ref, nil
}

// inThread puts p under the effect's ThreadKey message, when it has one.
func (d *dispatcher) inThread(ctx context.Context, eff Effect, p *Post) error {
	if eff.ThreadKey == "" {
		return nil
	}
	root, err := d.postRef(ctx, eff, eff.ThreadKey, "reply under")
	if err != nil {
		return err
	}
	p.Channel, p.Thread, p.DM = root.Channel, root.ID, ""
	return nil
}

// performPost posts, then in one transaction removes the effect and records where the message went
// (recordPost). Neither reads nor writes the ticket.
func (d *dispatcher) performPost(ctx context.Context, chat Chat, eff Effect) error {
	p := eff.Post
	if err := d.inThread(ctx, eff, &p); err != nil {
		return err
	}
	ref, err := d.send(ctx, chat, eff, p)
	if err != nil {
		return err
	}
	return d.recordPost(ctx, eff, ref, p)
}

// send posts p for eff: privately, at most once, or plainly, as the platform can.
func (d *dispatcher) send(ctx context.Context, chat Chat, eff Effect, p Post) (MessageRef, error) {
	var ref MessageRef
	var err error
	pp, private := chat.(PrivatePoster)
	if p.To != "" && !private {
		// A platform that cannot show a post to one person gets it as a DM: never in the channel.
		p.DM, p.Channel, p.Thread = p.To, "", ""
	}
	switch op, once := chat.(OncePoster); {
	case p.To != "" && private:
		ref, err = pp.PostPrivate(ctx, p)
	case once:
		ref, err = op.PostOnce(ctx, p, eff.onceKey(), eff.Attempts > 0 || eff.CreatedAt.Before(d.started) || eff.maybePosted)
	default:
		ref, err = chat.Post(ctx, p)
	}
	return ref, err
}

// recordPost removes a performed post's effect and records where its message went (RecordPost), in one
// transaction, so later reactions, edits and thread replies find it and its ticket.
func (d *dispatcher) recordPost(ctx context.Context, eff Effect, ref MessageRef, p Post) error {
	return d.write(ctx, func(tx *trackedTx) error {
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		if eff.Ticket == "" {
			return nil
		}
		// Every message of a ticket is linked, notices too, so a reaction on one is known to be on the
		// desk's message; one with choices keeps what it said, to be sent again without them.
		link := MessageLink{Ticket: eff.Ticket, Key: eff.Key}
		if len(p.Choices) > 0 {
			link.Post = &p
		}
		return tx.RecordPost(ref, link)
	})
}

// performDropChoices sends a message again as it was posted, without its choices and with the effect's
// note as its last line, and then forgets what it said. A platform that cannot edit keeps the buttons:
// a press on them gets a short reply.
func (d *dispatcher) performDropChoices(ctx context.Context, chat Chat, eff Effect, ref MessageRef) error {
	var link MessageLink
	err := d.store.View(ctx, func(tx Tx) error {
		var err error
		link, err = tx.MessageLink(ref)
		return err
	})
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("read the message %s of %s: %w", eff.Key, eff.Ticket, err)
	}
	ed, canEdit := chat.(Editor)
	if link.Post != nil && canEdit {
		p := *link.Post
		p.Choices = nil
		p.Text = appendNote(p.Text, eff.Post.Text)
		if err := ed.Update(ctx, ref, p); err != nil {
			return err
		}
	}
	return d.write(ctx, func(tx *trackedTx) error {
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		if link.Post == nil {
			return nil
		}
		link.Post = nil
		return tx.LinkMessage(ref, link)
	})
}

// onceKey names an effect across processes, for OncePoster: its outbox sequence and the second it was
// made, so a data file restored from a backup does not reuse a key. At most 25 characters (Discord's
// nonce limit).
func (eff Effect) onceKey() string {
	return "fl" + strconv.FormatUint(eff.Seq, 36) + "." + strconv.FormatInt(eff.CreatedAt.Unix(), 36)
}
