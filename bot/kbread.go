package bot

// The knowledge base read from chat: "!kb search" (a job), "show", "list", "history", "diff" and "stale".

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/firstline-desk/firstline/internal/plural"
	"github.com/firstline-desk/firstline/kb"
)

// kbListPage is how many articles "!kb list" shows at a time.
const kbListPage = 20

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
	fmt.Fprintf(&b, "%s (page %d of %d):", plural.Count(len(list), "article", "articles"), page, pages)
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
			why = append(why, fmt.Sprintf("offered %s: unhelpful %d, helpful %d", plural.Count(f.Offered, "time", "times"), f.NotHelpful, f.Solved))
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
