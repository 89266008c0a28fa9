package bot

// Knowledge capture: a good answer in a ticket becomes a draft article in the review channel, which an
// admin publishes, edits or discards with one click.

import (
	"fmt"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// Choices of a capture draft in the review channel.
const (
	choicePublish = "kb-publish"
	choiceEdit    = "kb-edit"
	choiceDiscard = "kb-discard"
	keyDraft      = "kbdraft"
)

// KBDraft is an article drafted from a ticket, waiting in the review channel.
type KBDraft struct {
	Title   string    `json:"title"`
	Body    string    `json:"body"`
	Aliases []string  `json:"aliases,omitempty"`
	By      string    `json:"by" redact:"-"`
	At      time.Time `json:"at"`
	// Outcome is "published" or "discarded" once an admin decided; Article is what was published.
	Outcome string `json:"outcome,omitempty" redact:"-"`
	Article string `json:"article,omitempty" redact:"-"`
}

// kbCapture drafts an article from the ticket of the thread: the requester's question as title and alias,
// the technician's last reply as body, and posts it for review.
func (w *work) kbCapture() error {
	if !w.cfg().isTechnician(w.ev.User, w.ev.Roles) && !w.isAdmin() {
		return w.refuse("capture an article", "technicians and admins")
	}
	t, _, err := w.ticketInContext()
	if err != nil {
		return err
	}
	if t == nil {
		return w.reply("", "Use this in a ticket's thread or its card's thread.")
	}
	return w.capture(t)
}

// capture drafts an article from a ticket, for the technicians who work it (its tier's members) and
// admins: the same rule as every other action on a ticket.
func (w *work) capture(t *Ticket) error {
	tier := w.cfg().workTier(t)
	if v, why := w.cfg().mayAct(t, tier, w.actorIn(t, tier), actCapture); v != allow {
		if err := w.audit("refused", t.ID, "capture an article"); err != nil {
			return err
		}
		return w.reply(t.ID, why)
	}
	platform, channel := SplitID(w.cfg().KBReviewChannel)
	if channel == "" {
		return w.reply(t.ID, "Set `kb.review_channel` in the config to capture articles.")
	}
	var body string
	for i := len(t.Transcript) - 1; i >= 0; i-- {
		if e := t.Transcript[i]; e.Role == RoleTechnician && !e.Internal && strings.TrimSpace(e.Text) != "" {
			body = e.Text
			break
		}
	}
	if body == "" {
		return w.reply(t.ID, fmt.Sprintf("**%s** has no technician reply to turn into an article yet.", t.ID))
	}
	title := clip(firstLine(t.Subject), kb.MaxTitleLength)
	// A draft still waiting for review is replaced: its buttons go, so nobody publishes the old text.
	if err := w.withdraw(t, keyDraft, "_Replaced by a newer draft._"); err != nil {
		return err
	}
	t.offerChoices(keyDraft)
	t.Draft = &KBDraft{Title: title, Body: body, Aliases: []string{title}, By: w.ev.User, At: w.now}
	text := fmt.Sprintf("Draft article from **%s**, captured by %s:\n\n**%s**\n\n%s\n\nAliases: %s", t.ID, nameOf(w.ev.UserName, w.ev.User), title, body, title)
	if err := w.enqueue(Effect{Kind: EffectPost, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, Key: keyDraft,
		Post: Post{Channel: channel, Title: "Draft: " + title, Text: text, Choices: []Choice{
			{ID: choicePublish, Label: "Publish", Style: StylePrimary}, {ID: choiceEdit, Label: "Edit"},
			{ID: choiceDiscard, Label: "Discard", Style: StyleDanger}}}}); err != nil {
		return err
	}
	if err := w.audit("kb.capture", t.ID, title); err != nil {
		return err
	}
	if err := w.reply(t.ID, fmt.Sprintf("Drafted an article from **%s** for review.", t.ID)); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}

// draftChoice handles Publish and Discard on a draft in the review channel: admins only.
func (w *work) draftChoice(t *Ticket, choice string) error {
	d := t.Draft
	if d == nil || d.Outcome != "" {
		return nil
	}
	if !w.isAdmin() {
		return w.refuse("publish or discard drafts", "admins")
	}
	var text string
	switch choice {
	case choiceEdit:
		// Chat has no editor: the draft comes back as the "!kb add" message that publishes it, to copy,
		// change and send.
		p := w.cfg().CommandPrefix
		msg := fmt.Sprintf("Copy this, change what you like and send it to publish the article:\n\n%skb add\n%s\n%s\naliases: %s",
			p, d.Title, d.Body, strings.Join(d.Aliases, ", "))
		return w.reply(t.ID, msg)
	case choiceDiscard:
		d.Outcome = "discarded"
		text = fmt.Sprintf("Draft from **%s** discarded by %s.", t.ID, nameOf(w.ev.UserName, w.ev.User))
		if err := w.audit("kb.discard", t.ID, d.Title); err != nil {
			return err
		}
	case choicePublish:
		id, base := kb.IDFromTitle(d.Title), 0
		for n := 2; ; n++ {
			cur, err := w.tx.KBArticle(id)
			if IsNotFound(err) {
				break
			}
			if err != nil {
				return err
			}
			if cur.Deleted {
				base = cur.Version
				break
			}
			id = fmt.Sprintf("%s-%d", kb.IDFromTitle(d.Title), n)
		}
		a := kb.Article{ID: id, Title: d.Title, Body: d.Body, Aliases: d.Aliases, Updated: w.now.UTC().Truncate(24 * time.Hour)}
		if err := a.Validate(); err != nil {
			return w.reply(t.ID, fmt.Sprintf("The draft cannot be published as is (%v): edit it with `%skb add`.", err, w.cfg().CommandPrefix))
		}
		v, err := w.kbWrite(a, false, base)
		if err != nil {
			return err
		}
		d.Outcome, d.Article = "published", id
		text = fmt.Sprintf("Published as `%s` (version %d) by %s.", id, v, nameOf(w.ev.UserName, w.ev.User))
		if err := w.audit("kb.publish", id, "from "+t.ID); err != nil {
			return err
		}
	default:
		return nil
	}
	t.dropLive(keyDraft) // the update below replaces the draft, without its buttons
	platform, channel := SplitID(w.cfg().KBReviewChannel)
	if err := w.enqueue(Effect{Kind: EffectUpdate, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, Key: keyDraft,
		Post: Post{Title: "Draft: " + d.Title, Text: text}}); err != nil {
		return err
	}
	return w.tx.PutTicket(t)
}
