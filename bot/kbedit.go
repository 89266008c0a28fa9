package bot

// The knowledge base edited from chat, by admins: "!kb add", "edit", "delete", "restore" and "purge".
// Every change is a new version, audited; the search follows once it has committed (trackedTx).

import (
	"fmt"
	"time"

	"github.com/firstline-desk/firstline/internal/plural"
	"github.com/firstline-desk/firstline/kb"
)

// kbWrite stores a new version as the event's user; the knowledge base follows once it has committed
// (trackedTx.PutKBArticle).
func (w *work) kbWrite(a kb.Article, deleted bool, base int) (int, error) {
	return w.tx.PutKBArticle(a, deleted, w.ev.User, w.now, base)
}

func (w *work) kbAdd(c KBCommand) error {
	id := kb.IDFromTitle(c.Title)
	if id == "" {
		return w.reply("", "Give the article a title with letters or digits on the line after `!kb add`.")
	}
	base := 0
	if cur, err := w.tx.KBArticle(id); err == nil {
		if !cur.Deleted {
			return w.reply("", fmt.Sprintf("There is already an article `%s` (%s). Edit it with `%skb edit %s v%d`.", id, cur.Article.Title, w.cfg().CommandPrefix, id, cur.Version))
		}
		base = cur.Version
	} else if !IsNotFound(err) {
		return err
	}
	a := kb.Article{ID: id, Title: c.Title, Body: c.Body, Tags: c.Tags, Aliases: c.Aliases, Updated: w.now.UTC().Truncate(24 * time.Hour)}
	if err := a.Validate(); err != nil {
		return w.reply("", fmt.Sprintf("That article is not valid: %v", err))
	}
	v, err := w.kbWrite(a, false, base)
	if err != nil {
		return err
	}
	if err := w.audit("kb.add", id, fmt.Sprintf("v%d %s", v, a.Title)); err != nil {
		return err
	}
	return w.reply("", fmt.Sprintf("Added `%s` (version %d). It answers questions now.", id, v))
}

func (w *work) kbEdit(c KBCommand) error {
	cur, err := w.tx.KBArticle(c.ID)
	if IsNotFound(err) {
		return w.reply("", fmt.Sprintf("There is no article `%s`.", c.ID))
	}
	if err != nil {
		return err
	}
	if cur.Deleted {
		return w.reply("", fmt.Sprintf("`%s` is deleted; restore it first with `%skb restore %s %d`.", c.ID, w.cfg().CommandPrefix, c.ID, cur.Version-1))
	}
	if cur.Version != c.Version {
		return w.reply("", fmt.Sprintf("`%s` changed since version %d: it is at version %d (by %s). See `%skb diff %s %d %d`, then edit v%d.",
			c.ID, c.Version, cur.Version, nameOf("", cur.Author), w.cfg().CommandPrefix, c.ID, c.Version, cur.Version, cur.Version))
	}
	a := cur.Article
	switch c.Field {
	case "title":
		a.Title = c.Title
	case "tags":
		a.Tags = c.Tags
	case "aliases":
		a.Aliases = c.Aliases
	default:
		if c.Title != "" {
			a.Title = c.Title
		}
		if c.Body != "" {
			a.Body = c.Body
		}
		if c.Tags != nil {
			a.Tags = c.Tags
		}
		if c.Aliases != nil {
			a.Aliases = c.Aliases
		}
	}
	a.Updated = w.now.UTC().Truncate(24 * time.Hour)
	if err := a.Validate(); err != nil {
		return w.reply("", fmt.Sprintf("That edit makes the article invalid: %v", err))
	}
	summary := kb.DiffSummary(cur.Article, a)
	v, err := w.kbWrite(a, false, c.Version)
	if ErrorCode(err) == ECONFLICT {
		return w.reply("", fmt.Sprintf("`%s` changed while you edited it; see `%skb show %s`.", c.ID, w.cfg().CommandPrefix, c.ID))
	}
	if err != nil {
		return err
	}
	if err := w.audit("kb.edit", c.ID, fmt.Sprintf("v%d: %s", v, summary)); err != nil {
		return err
	}
	return w.reply("", fmt.Sprintf("Saved `%s` as version %d: %s.", c.ID, v, summary))
}

func (w *work) kbDelete(c KBCommand) error {
	cur, err := w.tx.KBArticle(c.ID)
	if IsNotFound(err) || (err == nil && cur.Deleted) {
		return w.reply("", fmt.Sprintf("There is no article `%s` to delete.", c.ID))
	}
	if err != nil {
		return err
	}
	if cur.Version != c.Version {
		return w.reply("", fmt.Sprintf("`%s` is at version %d, not %d: look at it again (`%skb show %s`) before deleting it.", c.ID, cur.Version, c.Version, w.cfg().CommandPrefix, c.ID))
	}
	v, err := w.kbWrite(cur.Article, true, c.Version)
	if err != nil {
		return err
	}
	if err := w.audit("kb.delete", c.ID, fmt.Sprintf("v%d", v)); err != nil {
		return err
	}
	return w.reply("", fmt.Sprintf("Deleted `%s`. It no longer answers questions; `%skb restore %s %d` brings it back.", c.ID, w.cfg().CommandPrefix, c.ID, c.Version))
}

func (w *work) kbRestore(c KBCommand) error {
	old, err := w.kbVersion(c.ID, c.Version)
	if err != nil || old.Deleted {
		return w.reply("", fmt.Sprintf("`%s` has no version %d to restore.", c.ID, c.Version))
	}
	cur, err := w.tx.KBArticle(c.ID)
	if err != nil {
		return err
	}
	v, err := w.kbWrite(old.Article, false, cur.Version)
	if err != nil {
		return err
	}
	if err := w.audit("kb.restore", c.ID, fmt.Sprintf("v%d from v%d", v, c.Version)); err != nil {
		return err
	}
	return w.reply("", fmt.Sprintf("Restored `%s` from version %d as version %d.", c.ID, c.Version, v))
}

// kbPurge removes an article's old versions (admins): a live article keeps its newest, a deleted one
// goes entirely. Audited, like every change to the knowledge base.
func (w *work) kbPurge(c KBCommand) error {
	cur, err := w.tx.KBArticle(c.ID)
	if IsNotFound(err) {
		return w.reply("", fmt.Sprintf("There is no article `%s`.", c.ID))
	}
	if err != nil {
		return err
	}
	n, err := w.tx.PurgeKBArticle(c.ID)
	if err != nil {
		return err
	}
	if cur.Deleted {
		if err := w.audit("kb.purge", c.ID, fmt.Sprintf("deleted article removed entirely (%s)", plural.Count(n, "version", "versions"))); err != nil {
			return err
		}
		return w.reply("", fmt.Sprintf("Purged `%s`: it was deleted, and all %d of its versions are gone. It can no longer be restored.", c.ID, n))
	}
	if err := w.audit("kb.purge", c.ID, fmt.Sprintf("kept v%d, removed %s", cur.Version, plural.Count(n, "earlier version", "earlier versions"))); err != nil {
		return err
	}
	if n == 0 {
		return w.reply("", fmt.Sprintf("`%s` has no earlier versions to purge.", c.ID))
	}
	return w.reply("", fmt.Sprintf("Purged `%s`: %s gone; version %d, the current one, stays.", c.ID, plural.Count(n, "earlier version is", "earlier versions are"), cur.Version))
}
