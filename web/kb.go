package web

// The knowledge base's page (/kb): a search, the articles by tag, and for the desk's staff the articles
// to look at (stale: often unhelpful, or not updated for long) and the drafts captured from tickets that
// wait for review.

import (
	"net/http"
	"slices"
	"strings"

	"github.com/firstline-desk/firstline/bot"
)

type articleItem struct {
	ID, Title string
	Tags      []string
	Version   int
	Updated   when
	Deleted   bool
	Offered   int
	Helpful   int // percent of the answers judged that solved it; -1 when none was judged
	Why       string
	Score     int // a search's confidence, percent
}

type draftItem struct {
	Ticket, Title, By string
	At                when
}

type kbPage struct {
	Q, Tag   string
	Tags     []string
	Searched bool
	Hits     []articleItem
	Articles []articleItem
	Stale    []articleItem
	Drafts   []draftItem
	Staff    bool
	Admin    bool
	Deleted  int
}

// draftBudget bounds how much of the audit log the drafts waiting for review are looked for in.
const draftBudget = 500000

func (s *Server) kbList(w http.ResponseWriter, r *http.Request, v *Viewer) {
	p := kbPage{Q: strings.TrimSpace(r.URL.Query().Get("q")), Tag: r.URL.Query().Get("tag"), Staff: v.Staff(), Admin: v.Admin}
	var all []bot.KBArticle
	var feedback map[string]bot.ArticleFeedback
	var captures bot.AuditPage
	err := s.cfg.Store.View(r.Context(), func(tx bot.Tx) error {
		var err error
		if all, err = tx.KBArticles(); err != nil {
			return err
		}
		if feedback, err = tx.Feedback(); err != nil {
			return err
		}
		if v.Staff() {
			captures, err = tx.FindAudit(bot.AuditFilter{Action: "kb.capture", Limit: 200, Budget: draftBudget})
		}
		return err
	})
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	byID := map[string]bot.KBArticle{}
	tags := map[string]bool{}
	for _, a := range all {
		byID[a.Article.ID] = a
		if a.Deleted {
			p.Deleted++
			continue
		}
		for _, t := range a.Article.Tags {
			tags[strings.ToLower(t)] = true
		}
		item := s.articleItem(a, feedback[a.Article.ID])
		if p.Tag == "" || slices.ContainsFunc(a.Article.Tags, func(t string) bool { return strings.EqualFold(t, p.Tag) }) {
			p.Articles = append(p.Articles, item)
		}
		if why := s.staleReason(a, feedback[a.Article.ID]); why != "" && v.Staff() {
			item.Why = why
			p.Stale = append(p.Stale, item)
		}
	}
	p.Tags = slices.Sorted(mapKeys(tags))
	slices.SortFunc(p.Articles, func(a, b articleItem) int { return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title)) })
	if p.Q != "" && s.cfg.Library != nil {
		p.Searched = true
		for _, h := range s.cfg.Library.Search(r.Context(), p.Q, 10) {
			a, ok := byID[h.ID]
			if !ok || a.Deleted {
				continue
			}
			item := s.articleItem(a, feedback[h.ID])
			item.Score = int(h.Confidence*100 + 0.5)
			p.Hits = append(p.Hits, item)
		}
	}
	if v.Staff() {
		p.Drafts = s.pendingDrafts(r, captures)
	}
	s.render(w, r, v, http.StatusOK, "kb", "Knowledge base", p)
}

func (s *Server) articleItem(a bot.KBArticle, f bot.ArticleFeedback) articleItem {
	it := articleItem{ID: a.Article.ID, Title: a.Article.Title, Tags: a.Article.Tags, Version: a.Version, Deleted: a.Deleted, Offered: f.Offered, Helpful: -1}
	updated := a.Article.Updated
	if updated.IsZero() || a.At.After(updated) {
		updated = a.At
	}
	it.Updated = s.when(updated)
	if judged := f.Solved + f.NotHelpful; judged > 0 {
		it.Helpful = f.Solved * 100 / judged
	}
	return it
}

// staleReason says why an article wants a look, as "!kb stale" does: people often found it unhelpful,
// or it was not updated for [kb] stale_after.
func (s *Server) staleReason(a bot.KBArticle, f bot.ArticleFeedback) string {
	var why []string
	if f.NotHelpful >= 3 && f.NotHelpful > f.Solved {
		why = append(why, "often unhelpful")
	}
	updated := a.Article.Updated
	if updated.IsZero() {
		updated = a.At
	}
	if d := s.cfg.Desk.KBStaleAfter; d > 0 && s.now().Sub(updated) > d {
		why = append(why, "not updated since "+s.when(updated).Short)
	}
	return strings.Join(why, "; ")
}

// pendingDrafts reads the tickets the log says an article was captured from, and keeps the drafts no
// admin has published or discarded yet.
func (s *Server) pendingDrafts(r *http.Request, captures bot.AuditPage) []draftItem {
	var out []draftItem
	seen := map[string]bool{}
	_ = s.cfg.Store.View(r.Context(), func(tx bot.Tx) error {
		for _, e := range captures.Entries {
			if seen[e.Target] {
				continue
			}
			seen[e.Target] = true
			t, err := tx.Ticket(e.Target)
			if err != nil || t.Draft == nil || t.Draft.Outcome != "" {
				continue
			}
			out = append(out, draftItem{Ticket: t.ID, Title: t.Draft.Title, By: s.personOn(t, t.Draft.By), At: s.when(t.Draft.At)})
		}
		return nil
	})
	return out
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
