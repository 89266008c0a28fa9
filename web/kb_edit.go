package web

// Writing the knowledge base (admins): the editor (/kb/new, /kb/ID/edit) with a live preview of the
// Markdown as the console renders it, saving a new version through the engine (bot.ActionKBSave), and
// deleting, restoring, and the drafts captured from tickets (publish as they are, edit, discard).
//
// An edit carries the version it was made from: when another was saved meanwhile, the engine refuses
// it, and the editor comes back with what was typed, the changes made meanwhile as a diff, and the newest
// version as its base, so saving again is a choice made knowing what it replaces.

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

type editorPage struct {
	ID, Title, Body     string // ID is "" for a new article
	Tags, Aliases       string // comma-separated tags; aliases one a line
	Base                int
	Draft               string // the ticket whose draft this publishes
	Preview             template.HTML
	Error               template.HTML
	Conflict            []diffLine // what changed since the version the edit was made from
	ConflictFrom        int
	Event, Action, Back string
}

// kbNotices are what the knowledge base's pages say after each change.
var kbNotices = map[string]string{
	"saved":     "Saved as a new version. It answers questions now.",
	"deleted":   "Deleted: it no longer answers questions. Restore a version to bring it back.",
	"restored":  "Restored as a new version.",
	"published": "The draft was published.",
	"discarded": "The draft was discarded.",
}

func init() {
	for k, v := range kbNotices {
		notices[k] = v
	}
}

func (s *Server) kbNew(w http.ResponseWriter, r *http.Request, v *Viewer) {
	s.renderEditor(w, r, v, http.StatusOK, editorPage{Action: "/kb/new", Back: "/kb"})
}

func (s *Server) kbEdit(w http.ResponseWriter, r *http.Request, v *Viewer) {
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
	cur := all[len(all)-1]
	if cur.Deleted {
		s.refuse(w, r, v, http.StatusConflict, "This article is deleted: restore a version of it first.")
		return
	}
	a := cur.Article
	s.renderEditor(w, r, v, http.StatusOK, editorPage{ID: id, Title: a.Title, Body: a.Body, Tags: strings.Join(a.Tags, ", "),
		Aliases: strings.Join(a.Aliases, "\n"), Base: cur.Version, Action: "/kb/" + id + "/edit", Back: "/kb/" + id})
}

// kbDraftEdit opens the editor on a draft captured from a ticket: saving it publishes the draft.
func (s *Server) kbDraftEdit(w http.ResponseWriter, r *http.Request, v *Viewer) {
	t, err := s.loadTicket(r, v, r.PathValue("ticket"))
	if err == nil && (t.Draft == nil || t.Draft.Outcome != "") {
		err = bot.Errorf(bot.ENOTFOUND, "no draft waits on %s", t.ID)
	}
	if bot.IsNotFound(err) {
		s.notFound(w, r, v, "draft waiting for review")
		return
	}
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	d := t.Draft
	s.renderEditor(w, r, v, http.StatusOK, editorPage{Title: d.Title, Body: d.Body, Aliases: strings.Join(d.Aliases, "\n"), Draft: t.ID,
		Action: "/kb/new", Back: "/kb#drafts"})
}

func (s *Server) renderEditor(w http.ResponseWriter, r *http.Request, v *Viewer, status int, p editorPage) {
	if p.Event == "" {
		p.Event = NewEventID()
	}
	p.Preview = renderMarkdown(p.Body, 1)
	title := "New article"
	if p.ID != "" {
		title = "Edit " + p.Title
	}
	s.render(w, r, v, status, "kb_edit", title, p)
}

// editorForm reads the editor's form.
func editorForm(r *http.Request, id string) editorPage {
	p := editorPage{ID: id, Title: strings.TrimSpace(r.PostFormValue("title")), Body: r.PostFormValue("body"), Tags: r.PostFormValue("tags"),
		Aliases: r.PostFormValue("aliases"), Draft: r.PostFormValue("draft"), Event: r.PostFormValue("event")}
	p.Base, _ = strconv.Atoi(r.PostFormValue("base"))
	p.Action, p.Back = "/kb/new", "/kb"
	if id != "" {
		p.Action, p.Back = "/kb/"+id+"/edit", "/kb/"+id
	}
	return p
}

func splitList(s string, seps string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// kbSave saves the editor's article, or shows its preview (the editor's Preview button, for a browser
// without the script).
func (s *Server) kbSave(w http.ResponseWriter, r *http.Request, v *Viewer) {
	p := editorForm(r, r.PathValue("id"))
	if len(p.Body) > maxArticle {
		s.refuse(w, r, v, http.StatusRequestEntityTooLarge, "That article is too long: split it in two.")
		return
	}
	if r.PostFormValue("do") == "preview" {
		s.renderEditor(w, r, v, http.StatusOK, p)
		return
	}
	edit := &bot.KBEdit{ID: p.ID, Title: p.Title, Body: p.Body, Tags: splitList(p.Tags, ","), Aliases: splitList(p.Aliases, "\n"), Base: p.Base, Draft: p.Draft}
	ev := v.Event(bot.EventAction, p.Event)
	if ev.ID == "" {
		ev.ID = NewEventID()
	}
	ev.Action, ev.KB, ev.Time = bot.ActionKBSave, edit, s.now()
	err := s.cfg.Events.Handle(r.Context(), ev)
	if err == nil {
		id := p.ID
		if id == "" {
			id = kb.IDFromTitle(p.Title)
		}
		http.Redirect(w, r, "/kb/"+id+"?done=saved", http.StatusSeeOther)
		return
	}
	var be *bot.Error
	if !errors.As(err, &be) || be.Code == bot.EINTERNAL {
		s.fail(w, r, v, err)
		return
	}
	p.Error, p.Event = renderInline(be.Message), ""
	if be.Code == bot.ECONFLICT && p.ID != "" {
		// Someone saved a version meanwhile: show what they changed, and base the next save on it.
		if all, _, lerr := s.loadVersions(r, p.ID); lerr == nil {
			cur := all[len(all)-1]
			for _, a := range all {
				if a.Version == p.Base {
					p.Conflict = diffLines(a.Article, cur.Article)
				}
			}
			p.ConflictFrom, p.Base = p.Base, cur.Version
		}
	}
	s.renderEditor(w, r, v, StatusOf(err), p)
}

// maxArticle bounds an article's body from the editor, in bytes.
const maxArticle = 200000

// kbPreview renders the editor's Markdown for its live preview.
func (s *Server) kbPreview(w http.ResponseWriter, r *http.Request, v *Viewer) {
	body := r.PostFormValue("body")
	if len(body) > maxArticle {
		http.Error(w, "too long to preview", http.StatusRequestEntityTooLarge)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(renderMarkdown(body, 1)))
}

// kbChange deletes or restores an article (the buttons on its page).
func (s *Server) kbChange(w http.ResponseWriter, r *http.Request, v *Viewer) {
	id, what := r.PathValue("id"), r.PathValue("change")
	action, done := bot.ActionKBDelete, "deleted"
	switch what {
	case "delete":
	case "restore":
		action, done = bot.ActionKBRestore, "restored"
	default:
		s.notFound(w, r, v, "change "+what)
		return
	}
	base, _ := strconv.Atoi(r.PostFormValue("base"))
	ev := v.Event(bot.EventAction, r.PostFormValue("event"))
	if ev.ID == "" {
		ev.ID = NewEventID()
	}
	ev.Action, ev.KB, ev.Choice, ev.Time = action, &bot.KBEdit{ID: id, Base: base}, r.PostFormValue("version"), s.now()
	if err := s.cfg.Events.Handle(r.Context(), ev); err != nil {
		s.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/kb/"+id+"?done="+done, http.StatusSeeOther)
}

// kbDraft publishes or discards a draft captured from a ticket, as it is.
func (s *Server) kbDraft(w http.ResponseWriter, r *http.Request, v *Viewer) {
	action, done := bot.ActionDraftPublish, "published"
	switch r.PathValue("change") {
	case "publish":
	case "discard":
		action, done = bot.ActionDraftDiscard, "discarded"
	default:
		s.notFound(w, r, v, "change "+r.PathValue("change"))
		return
	}
	if err := s.Act(r.Context(), v, r.PostFormValue("event"), r.PathValue("ticket"), action, "", ""); err != nil {
		s.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/kb?done="+done, http.StatusSeeOther)
}
