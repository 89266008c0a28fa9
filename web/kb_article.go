package web

// An article's page (/kb/ID): the article rendered, and for the desk's staff its versions, a diff
// between any two of them (/kb/ID/diff?a=1&b=3) and, for admins, editing, deleting and restoring. An
// employee reads what is published now, as "!kb show" gives them.

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

type versionItem struct {
	Version          int
	By, What         string
	At               when
	Deleted, Current bool
}

type articlePage struct {
	ID, Title     string
	Body          string
	HTML          any
	Tags, Aliases []string
	Version       int
	Current       int
	Old, Deleted  bool
	By            string
	At            when
	Feedback      bot.ArticleFeedback
	Versions      []versionItem
	Staff, Admin  bool
	Event         string
}

// loadVersions reads every version of article id; ENOTFOUND when there is none.
func (s *Server) loadVersions(r *http.Request, id string) ([]bot.KBArticle, bot.ArticleFeedback, error) {
	var all []bot.KBArticle
	var f bot.ArticleFeedback
	err := s.cfg.Store.View(r.Context(), func(tx bot.Tx) error {
		var err error
		if all, err = tx.KBVersions(id); err != nil {
			return err
		}
		fb, err := tx.Feedback()
		f = fb[id]
		return err
	})
	if err == nil && len(all) == 0 {
		err = bot.Errorf(bot.ENOTFOUND, "no article %s", id)
	}
	return all, f, err
}

func (s *Server) kbArticle(w http.ResponseWriter, r *http.Request, v *Viewer) {
	id := r.PathValue("id")
	all, fb, err := s.loadVersions(r, id)
	cur := bot.KBArticle{}
	if err == nil {
		cur = all[len(all)-1]
	}
	if bot.IsNotFound(err) || (err == nil && cur.Deleted && !v.Staff()) {
		s.notFound(w, r, v, "article "+id)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	shown := cur
	if n, _ := strconv.Atoi(r.URL.Query().Get("v")); n > 0 && n != cur.Version {
		if !v.Staff() {
			// Earlier versions keep what was taken out on purpose: the desk's staff see them.
			s.refuse(w, r, v, http.StatusForbidden, "Earlier versions of articles are for the desk's technicians and admins.")
			return
		}
		found := false
		for _, a := range all {
			if a.Version == n {
				shown, found = a, true
			}
		}
		if !found {
			s.notFound(w, r, v, "version "+strconv.Itoa(n)+" of "+id)
			return
		}
	}
	p := articlePage{
		ID: id, Title: shown.Article.Title, HTML: renderMarkdown(shown.Article.Body, 1), Tags: shown.Article.Tags, Aliases: shown.Article.Aliases,
		Version: shown.Version, Current: cur.Version, Old: shown.Version != cur.Version, Deleted: shown.Deleted,
		By: actorName(shown.Author), At: s.when(shown.At), Feedback: fb, Staff: v.Staff(), Admin: v.Admin, Event: NewEventID(),
	}
	if v.Staff() {
		p.Versions = versionItems(s, all)
	}
	s.render(w, r, v, http.StatusOK, "kb_article", shown.Article.Title, p)
}

// versionItems is an article's history, newest first, each version with what changed from the one before.
func versionItems(s *Server, all []bot.KBArticle) []versionItem {
	var out []versionItem
	for i, a := range all {
		what := "created"
		if i > 0 {
			what = kb.DiffSummary(all[i-1].Article, a.Article)
			if all[i-1].Deleted {
				what = "restored; " + what
			}
		}
		if a.Deleted {
			what = "deleted"
		}
		out = append(out, versionItem{Version: a.Version, By: actorName(a.Author), What: what, At: s.when(a.At), Deleted: a.Deleted, Current: i == len(all)-1})
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// diffLine is one line of a diff: kept (" "), removed ("-") or added ("+").
type diffLine struct {
	Op, Text string
}

type diffPage struct {
	ID, Title string
	A, B      int
	Summary   string
	Lines     []diffLine
	Versions  []versionItem
	Same      bool
}

func (s *Server) kbDiff(w http.ResponseWriter, r *http.Request, v *Viewer) {
	id := r.PathValue("id")
	all, _, err := s.loadVersions(r, id)
	if bot.IsNotFound(err) {
		s.notFound(w, r, v, "article "+id)
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	q := r.URL.Query()
	a, _ := strconv.Atoi(q.Get("a"))
	b, _ := strconv.Atoi(q.Get("b"))
	if b == 0 {
		b = all[len(all)-1].Version
	}
	if a == 0 {
		a = max(b-1, all[0].Version)
	}
	var va, vb *bot.KBArticle
	for i := range all {
		if all[i].Version == a {
			va = &all[i]
		}
		if all[i].Version == b {
			vb = &all[i]
		}
	}
	if va == nil || vb == nil {
		s.notFound(w, r, v, "such a version of "+id)
		return
	}
	p := diffPage{ID: id, Title: vb.Article.Title, A: a, B: b, Summary: kb.DiffSummary(va.Article, vb.Article), Versions: versionItems(s, all)}
	p.Lines = diffLines(va.Article, vb.Article)
	p.Same = len(p.Lines) == 0
	s.render(w, r, v, http.StatusOK, "kb_diff", "Changes to "+vb.Article.Title, p)
}

// diffLines is the line diff of two versions of an article: its title, tags and aliases as lines, then
// its body, as kb.DiffLines finds it.
func diffLines(a, b kb.Article) []diffLine {
	var out []diffLine
	field := func(name, x, y string) {
		if x != y {
			out = append(out, diffLine{"-", name + ": " + x}, diffLine{"+", name + ": " + y})
		}
	}
	field("Title", a.Title, b.Title)
	field("Tags", strings.Join(a.Tags, ", "), strings.Join(b.Tags, ", "))
	field("Aliases", strings.Join(a.Aliases, "; "), strings.Join(b.Aliases, "; "))
	d := kb.DiffLines(a.Body, b.Body, 0)
	if d == "" {
		return out
	}
	for _, line := range strings.Split(d, "\n") {
		switch {
		case strings.HasPrefix(line, "+"), strings.HasPrefix(line, "-"):
			out = append(out, diffLine{line[:1], strings.TrimPrefix(line[1:], " ")})
		default:
			out = append(out, diffLine{" ", strings.TrimPrefix(line, " ")})
		}
	}
	return out
}
