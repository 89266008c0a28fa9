package bot

// Knowledge-base actions: an article saved, deleted or restored, and a draft captured from a ticket
// published or discarded, from outside chat (the web console's editor and buttons). Each keeps the rules
// of the same change from chat ("!kb add", "!kb edit ID vN", the draft's buttons): admins only, the
// same audit, the search index updated once it is committed, and an edit made from a version that is no
// longer the newest refused (ECONFLICT), so a concurrent edit is never lost.

import (
	"fmt"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// The knowledge-base actions. Who may take each: the desk's admins.
const (
	// ActionKBSave saves Event.KB as a new version of its article: a new article when KB.ID is ""
	// (its id is made from the title), else an edit of KB.ID made from version KB.Base. KB.Draft, when
	// set, names the ticket whose captured draft this publishes.
	ActionKBSave Action = "kb-save"
	// ActionKBDelete deletes KB.ID, seen at version KB.Base.
	ActionKBDelete Action = "kb-delete"
	// ActionKBRestore makes version Choice of KB.ID its newest again, seen at version KB.Base.
	ActionKBRestore Action = "kb-restore"
	// ActionDraftPublish publishes the draft captured from Ticket as it is; ActionDraftDiscard discards it.
	ActionDraftPublish Action = "draft-publish"
	ActionDraftDiscard Action = "draft-discard"
)

// KBEdit is what a knowledge-base action says of its article.
type KBEdit struct {
	ID      string `redact:"-"`
	Title   string
	Body    string
	Tags    []string
	Aliases []string
	// Base is the version the change was made from (0 for a new article).
	Base int
	// Draft is the ticket whose captured draft a save publishes ("" for none).
	Draft string `redact:"-"`
}

// kbAction handles ActionKBSave, ActionKBDelete and ActionKBRestore.
func (w *work) kbAction() error {
	k := w.ev.KB
	if k == nil {
		return Errorf(EINVALID, "Say which article.")
	}
	if !w.isAdmin() {
		return Errorf(EUNAUTHORIZED, "Only the desk's admins can change the knowledge base.")
	}
	switch w.ev.Action {
	case ActionKBSave:
		return w.kbSaveAction(k)
	case ActionKBDelete:
		return w.kbDeleteAction(k)
	}
	return w.kbRestoreAction(k)
}

// staleEdit is the refusal of a change made from a version that is no longer the newest.
func staleEdit(id string, base int, cur KBArticle) error {
	return Errorf(ECONFLICT, "`%s` changed since version %d: it is at version %d (by %s).", id, base, cur.Version, nameOf("", cur.Author))
}

func (w *work) kbSaveAction(k *KBEdit) error {
	title := strings.TrimSpace(k.Title)
	a := kb.Article{ID: k.ID, Title: title, Body: strings.TrimSpace(strings.ReplaceAll(k.Body, "\r\n", "\n")), Tags: k.Tags, Aliases: k.Aliases,
		Updated: w.now.UTC().Truncate(24 * time.Hour)}
	base := k.Base
	action := "kb.edit"
	var cur KBArticle
	if k.ID == "" {
		action = "kb.add"
		if a.ID = kb.IDFromTitle(title); a.ID == "" {
			return Errorf(EINVALID, "Give the article a title with letters or digits.")
		}
		c, err := w.tx.KBArticle(a.ID)
		switch {
		case err == nil && !c.Deleted:
			return Errorf(ECONFLICT, "There is already an article `%s` (%s): edit it, or give this one another title.", a.ID, c.Article.Title)
		case err == nil:
			base = c.Version // a deleted article's id is taken again
		case !IsNotFound(err):
			return err
		}
	} else {
		c, err := w.tx.KBArticle(k.ID)
		switch {
		case IsNotFound(err):
			return Errorf(ENOTFOUND, "There is no article `%s`.", k.ID)
		case err != nil:
			return err
		case c.Deleted:
			return Errorf(ECONFLICT, "`%s` is deleted: restore it first.", k.ID)
		case c.Version != k.Base:
			return staleEdit(k.ID, k.Base, c)
		}
		cur = c
		// What the editor does not show is kept.
		a.Category, a.Owner = c.Article.Category, c.Article.Owner
	}
	if err := a.Validate(); err != nil {
		return Errorf(EINVALID, "That article is not valid: %v.", err)
	}
	v, err := w.kbWrite(a, false, base)
	if ErrorCode(err) == ECONFLICT {
		return Errorf(ECONFLICT, "`%s` changed while you edited it.", a.ID)
	}
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("v%d %s", v, a.Title)
	if action == "kb.edit" {
		detail = fmt.Sprintf("v%d: %s", v, kb.DiffSummary(cur.Article, a))
	}
	if err := w.audit(action, a.ID, detail); err != nil {
		return err
	}
	if k.Draft != "" {
		return w.publishedDraft(k.Draft, a.ID, v)
	}
	return nil
}

func (w *work) kbDeleteAction(k *KBEdit) error {
	cur, err := w.tx.KBArticle(k.ID)
	if IsNotFound(err) || (err == nil && cur.Deleted) {
		return Errorf(ENOTFOUND, "There is no article `%s` to delete.", k.ID)
	}
	if err != nil {
		return err
	}
	if cur.Version != k.Base {
		return staleEdit(k.ID, k.Base, cur)
	}
	v, err := w.kbWrite(cur.Article, true, k.Base)
	if err != nil {
		return err
	}
	return w.audit("kb.delete", k.ID, fmt.Sprintf("v%d", v))
}

func (w *work) kbRestoreAction(k *KBEdit) error {
	var want int
	if _, err := fmt.Sscanf(w.ev.Choice, "%d", &want); err != nil || want < 1 {
		return Errorf(EINVALID, "Say which version to restore.")
	}
	old, err := w.kbVersion(k.ID, want)
	if IsNotFound(err) || (err == nil && old.Deleted) {
		return Errorf(ENOTFOUND, "`%s` has no version %d to restore.", k.ID, want)
	}
	if err != nil {
		return err
	}
	cur, err := w.tx.KBArticle(k.ID)
	if err != nil {
		return err
	}
	if cur.Version != k.Base {
		return staleEdit(k.ID, k.Base, cur)
	}
	v, err := w.kbWrite(old.Article, false, cur.Version)
	if err != nil {
		return err
	}
	return w.audit("kb.restore", k.ID, fmt.Sprintf("v%d from v%d", v, want))
}

// actDraft publishes or discards the draft captured from t, as its buttons in the review channel do.
func (w *work) actDraft(t *Ticket) error {
	if !w.isAdmin() {
		return Errorf(EUNAUTHORIZED, "Only the desk's admins can publish or discard drafts.")
	}
	if t.Draft == nil {
		return Errorf(ENOTFOUND, "No article was drafted from **%s**.", t.ID)
	}
	if t.Draft.Outcome != "" {
		return Errorf(ECONFLICT, "The draft from **%s** was already %s.", t.ID, t.Draft.Outcome)
	}
	choice := choicePublish
	if w.ev.Action == ActionDraftDiscard {
		choice = choiceDiscard
	}
	return w.draftChoice(t, choice)
}

// publishedDraft marks the draft of ticket id as published as article (version v), as its Publish
// button does: the review channel's message loses its buttons and says so.
func (w *work) publishedDraft(id, article string, v int) error {
	t, err := w.tx.Ticket(id)
	if err != nil {
		return err
	}
	d := t.Draft
	if d == nil || d.Outcome != "" {
		return Errorf(ECONFLICT, "The draft from **%s** was already dealt with; the article was not saved.", id)
	}
	d.Outcome, d.Article = "published", article
	if err := w.audit("kb.publish", article, "from "+t.ID); err != nil {
		return err
	}
	t.dropLive(keyDraft)
	platform, channel := SplitID(w.cfg().KBReviewChannel)
	if channel != "" {
		if err := w.enqueue(Effect{Kind: EffectUpdate, Platform: platform, Lane: lane(platform, channel), Ticket: t.ID, Key: keyDraft,
			Post: Post{Title: "Draft: " + d.Title, Text: fmt.Sprintf("Published as `%s` (version %d) by %s, after an edit.", article, v, nameOf(w.ev.UserName, w.ev.User))}}); err != nil {
			return err
		}
	}
	return w.tx.PutTicket(t)
}
