package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// This file is the knowledge base edited from chat ("!kb ...") and knowledge capture: a good answer in a
// ticket becomes a draft article in the review channel, which an admin publishes with one click.

// Choices of a capture draft in the review channel.
const (
	choicePublish = "kb-publish"
	choiceEdit    = "kb-edit"
	choiceDiscard = "kb-discard"
	keyDraft      = "kbdraft"
)

// kbListPage is how many articles "!kb list" shows at a time.
const kbListPage = 20

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

// kbText is what follows "!kb" in the message, newlines kept.
func (w *work) kbText() string {
	text := strings.TrimSpace(w.ev.Text)
	text = strings.TrimLeft(strings.TrimPrefix(text, w.cfg().CommandPrefix), " \t")
	// The command's name, in any case ("!KB search kbase" searches "kbase").
	if len(text) >= 2 && strings.EqualFold(text[:2], "kb") {
		return text[2:]
	}
	return ""
}

func (w *work) audit(action, target, detail string) error {
	return w.tx.Audit(AuditEntry{At: w.now, Actor: w.ev.User, Action: action, Target: target, Detail: detail})
}

// refuse answers a request the user's role does not allow, and audits it.
func (w *work) refuse(what, who string) error {
	if err := w.audit("refused", "", what); err != nil {
		return err
	}
	return w.reply("", fmt.Sprintf("Only %s can %s.", who, what))
}

func (w *work) isAdmin() bool { return w.cfg().isAdmin(w.ev.User, w.ev.Roles) }

func (w *work) cmdKB() error {
	c, err := ParseKB(w.kbText())
	if err != nil {
		msg := err.Error()
		var be *Error
		if errors.As(err, &be) {
			msg = be.Message
		}
		return w.reply("", msg+"\n\n"+w.kbHelp())
	}
	switch c.Sub {
	case "search":
		return w.kbSearch(c)
	case "show":
		return w.kbShow(c)
	case "list":
		return w.kbList(c)
	case "history", "diff":
		// Earlier versions keep what was taken out of an article on purpose (a wrong step, an internal
		// address): the desk's staff see them, employees see what is published now.
		if !w.isStaff() {
			return w.refuse("see earlier versions of articles", "technicians and admins")
		}
		if c.Sub == "history" {
			return w.kbHistory(c)
		}
		return w.kbDiff(c)
	case "purge":
		if !w.isAdmin() {
			return w.refuse("purge articles", "admins")
		}
		return w.kbPurge(c)
	case "stale":
		if !w.isAdmin() && !w.cfg().isTechnician(w.ev.User, w.ev.Roles) {
			return w.refuse("list stale articles", "technicians and admins")
		}
		return w.kbStale()
	case "capture":
		return w.kbCapture()
	case "add", "edit", "delete", "restore":
		if !w.isAdmin() {
			return w.refuse("change the knowledge base", "admins")
		}
		switch c.Sub {
		case "add":
			return w.kbAdd(c)
		case "edit":
			return w.kbEdit(c)
		case "delete":
			return w.kbDelete(c)
		default:
			return w.kbRestore(c)
		}
	}
	return w.replyKB(w.kbHelp())
}

func (w *work) kbHelp() string {
	p := w.cfg().CommandPrefix + "kb"
	return strings.Join([]string{
		"Knowledge base commands:",
		"- `" + p + " search QUERY`, `" + p + " show ID`, `" + p + " list [TAG]`: anyone, for the articles published now",
		"- `" + p + " show ID vN`, `" + p + " history ID`, `" + p + " diff ID V1 V2`: technicians and admins",
		"- `" + p + " add` with the title on the next line, then the body (and `tags:` / `aliases:` lines): admins",
		"- `" + p + " edit ID vN` with a new body, or `title:` / `tags:` / `aliases:`; `" + p + " delete ID vN`; `" + p + " restore ID N`: admins",
		"- `" + p + " purge ID`: admins: the old versions go (a deleted article goes entirely)",
		"- `" + p + " capture` in a ticket's thread: draft an article from its answer; `" + p + " stale`: technicians",
	}, "\n")
}

// kbSearch answers "!kb search QUERY" from a job: the search may call out (to embed the query), which
// is never done inside a transaction.
func (w *work) kbSearch(c KBCommand) error {
	p := w.here()
	return w.enqueue(Effect{Kind: EffectJob, Platform: w.ev.Platform, Lane: w.replyLane(p), Job: jobKBSearch, Query: c.Query, Post: p})
}

// runKBSearch is the job of "!kb search": it searches, then posts the hits where the command was typed,
// and removes the job, in one transaction.
func (e *Engine) runKBSearch(ctx context.Context, eff Effect) error {
	text := kbSearchText(eff.Query, e.library.Search(ctx, eff.Query, 5))
	return e.write(ctx, func(tx *trackedTx) error {
		if err := tx.DeleteEffect(eff.Seq); err != nil {
			return err
		}
		p := eff.Post
		p.Text = text
		w := &work{e: e, tx: tx, now: e.clock.Now(), ev: Event{Platform: eff.Platform}}
		return w.enqueue(Effect{Kind: EffectPost, Platform: eff.Platform, Lane: eff.Lane, Post: p})
	})
}

// kbSearchText lists the articles a search found.
func kbSearchText(query string, hits []kb.Hit) string {
	if len(hits) == 0 {
		return fmt.Sprintf("No article matches %q.", query)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Articles for %q:", query)
	for i, h := range hits {
		fmt.Fprintf(&b, "\n%d. %s (`%s`, confidence %.2f)", i+1, h.Title, h.ID, h.Confidence)
	}
	return b.String()
}

// kbVersion returns version v of an article, or its newest when v is 0.
func (w *work) kbVersion(id string, v int) (KBArticle, error) {
	if v == 0 {
		return w.tx.KBArticle(id)
	}
	all, err := w.tx.KBVersions(id)
	if err != nil {
		return KBArticle{}, err
	}
	for _, a := range all {
		if a.Version == v {
			return a, nil
		}
	}
	return KBArticle{}, Errorf(ENOTFOUND, "article %s has no version %d", id, v)
}

func (w *work) kbShow(c KBCommand) error {
	if !w.isStaff() {
		// Employees read what is published now: a deleted article is no article, an old version not theirs.
		cur, err := w.tx.KBArticle(c.ID)
		if IsNotFound(err) || (err == nil && cur.Deleted) {
			return w.reply("", fmt.Sprintf("There is no article `%s`.", c.ID))
		}
		if err != nil {
			return err
		}
		if c.Version != 0 && c.Version != cur.Version {
			return w.refuse("see earlier versions of articles", "technicians and admins")
		}
		c.Version = 0
	}
	a, err := w.kbVersion(c.ID, c.Version)
	if IsNotFound(err) {
		return w.reply("", fmt.Sprintf("There is no article `%s`%s.", c.ID, versionText(c.Version)))
	}
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** (`%s`, version %d by %s, %s)", a.Article.Title, a.Article.ID, a.Version, nameOf("", a.Author), a.At.UTC().Format("2006-01-02 15:04"))
	if a.Deleted {
		b.WriteString(" — deleted")
	}
	if len(a.Article.Tags) > 0 {
		fmt.Fprintf(&b, "\nTags: %s", strings.Join(a.Article.Tags, ", "))
	}
	if len(a.Article.Aliases) > 0 {
		fmt.Fprintf(&b, "\nAliases: %s", strings.Join(a.Article.Aliases, "; "))
	}
	// The whole article, a page at a time (the engine splits a page into messages where the platform
	// needs it).
	pages := articlePages(a.Article.Body)
	page := min(max(c.Page, 1), len(pages))
	if len(pages) > 1 {
		fmt.Fprintf(&b, "\nPage %d of %d", page, len(pages))
	}
	fmt.Fprintf(&b, "\n\n%s", pages[page-1])
	if page < len(pages) {
		fmt.Fprintf(&b, "\n\n%s", w.e.readOn(a.Article, c.Version, page, len(pages)))
	} else if w.isAdmin() && !a.Deleted {
		fmt.Fprintf(&b, "\n\nEdit it with `%skb edit %s v%d`.", w.cfg().CommandPrefix, a.Article.ID, a.Version)
	}
	return w.reply("", b.String())
}

func versionText(v int) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf(" version %d", v)
}

func (w *work) kbList(c KBCommand) error {
	all, err := w.tx.KBArticles()
	if err != nil {
		return err
	}
	var list []KBArticle
	for _, a := range all {
		if !a.Deleted && (c.Tag == "" || slices.ContainsFunc(a.Article.Tags, func(t string) bool { return strings.EqualFold(t, c.Tag) })) {
			list = append(list, a)
		}
	}
	if len(list) == 0 {
		if c.Tag != "" {
			return w.replyKB("No articles tagged " + c.Tag + ".")
		}
		return w.replyKB("No articles.")
	}
	page := max(c.Page, 1)
	pages := (len(list) + kbListPage - 1) / kbListPage
	page = min(page, pages)
	var b strings.Builder
	fmt.Fprintf(&b, "%d articles (page %d of %d):", len(list), page, pages)
	for _, a := range list[(page-1)*kbListPage : min(page*kbListPage, len(list))] {
		fmt.Fprintf(&b, "\n- `%s`: %s (v%d)", a.Article.ID, a.Article.Title, a.Version)
	}
	if page < pages {
		fmt.Fprintf(&b, "\nMore: `%skb list %s page %d`", w.cfg().CommandPrefix, c.Tag, page+1)
	}
	return w.replyKB(b.String())
}

func (w *work) kbHistory(c KBCommand) error {
	all, err := w.tx.KBVersions(c.ID)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return w.reply("", fmt.Sprintf("There is no article `%s`.", c.ID))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "History of `%s`:", c.ID)
	for i, a := range all {
		what := "created"
		if i > 0 {
			what = kb.DiffSummary(all[i-1].Article, a.Article)
		}
		if a.Deleted {
			what = "deleted"
		} else if i > 0 && all[i-1].Deleted {
			what = "restored; " + what
		}
		fmt.Fprintf(&b, "\n- v%d by %s, %s: %s", a.Version, nameOf("", a.Author), a.At.UTC().Format("2006-01-02 15:04"), what)
	}
	return w.reply("", b.String())
}

func (w *work) kbDiff(c KBCommand) error {
	a, err := w.kbVersion(c.ID, c.Version)
	if err != nil {
		return w.reply("", fmt.Sprintf("No version %d of `%s`.", c.Version, c.ID))
	}
	b, err := w.kbVersion(c.ID, c.Version2)
	if err != nil {
		return w.reply("", fmt.Sprintf("No version %d of `%s`.", c.Version2, c.ID))
	}
	text := fmt.Sprintf("`%s` v%d → v%d: %s", c.ID, a.Version, b.Version, kb.DiffSummary(a.Article, b.Article))
	if d := kb.DiffLines(a.Article.Body, b.Article.Body, 30); d != "" {
		text += "\n```\n" + d + "\n```"
	}
	return w.reply("", text)
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
		if err := w.audit("kb.purge", c.ID, fmt.Sprintf("deleted article removed entirely (%d versions)", n)); err != nil {
			return err
		}
		return w.reply("", fmt.Sprintf("Purged `%s`: it was deleted, and all %d of its versions are gone. It can no longer be restored.", c.ID, n))
	}
	if err := w.audit("kb.purge", c.ID, fmt.Sprintf("kept v%d, removed %d earlier versions", cur.Version, n)); err != nil {
		return err
	}
	if n == 0 {
		return w.reply("", fmt.Sprintf("`%s` has no earlier versions to purge.", c.ID))
	}
	return w.reply("", fmt.Sprintf("Purged `%s`: %d earlier versions are gone; version %d, the current one, stays.", c.ID, n, cur.Version))
}

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

// kbStale lists articles people often found unhelpful, or not updated for StaleAfter.
func (w *work) kbStale() error {
	all, err := w.tx.KBArticles()
	if err != nil {
		return err
	}
	feedback, err := w.tx.Feedback()
	if err != nil {
		return err
	}
	var lines []string
	for _, a := range all {
		if a.Deleted {
			continue
		}
		var why []string
		if f := feedback[a.Article.ID]; f.NotHelpful >= 3 && f.NotHelpful > f.Solved {
			why = append(why, fmt.Sprintf("offered %d times: unhelpful %d, helpful %d", f.Offered, f.NotHelpful, f.Solved))
		}
		updated := a.Article.Updated
		if updated.IsZero() {
			updated = a.At
		}
		if d := w.cfg().KBStaleAfter; d > 0 && w.now.Sub(updated) > d {
			why = append(why, "not updated since "+updated.UTC().Format("2006-01-02"))
		}
		if len(why) > 0 {
			lines = append(lines, fmt.Sprintf("- `%s` (%s): %s", a.Article.ID, a.Article.Title, strings.Join(why, "; ")))
		}
	}
	if len(lines) == 0 {
		return w.reply("", "No stale articles.")
	}
	return w.reply("", "Articles to look at:\n"+strings.Join(lines, "\n"))
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
