package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/firstline-desk/firstline/bot"
)

// The console's templates and assets are in the binary: nothing to install beside it.
var (
	//go:embed templates
	templateFS embed.FS
	//go:embed assets
	assetFS embed.FS
)

// templates holds one template set per page: the layout (templates/layout.html, with the partials in
// templates/partials/) and the page's file, which defines "content" (and may define "title").
type templates struct {
	pages map[string]*template.Template
}

// templateFuncs are the helpers every template may call.
var templateFuncs = pageFuncs

func parseTemplates() (*templates, error) {
	layout, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	if partials, _ := fs.Glob(templateFS, "templates/partials/*.html"); len(partials) > 0 {
		if layout, err = layout.ParseFS(templateFS, partials...); err != nil {
			return nil, err
		}
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		page, err := template.Must(layout.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, err
		}
		t.pages[name] = page
	}
	return t, nil
}

// assetHandler serves /assets/ from the binary; their names change with their content when they
// change, so browsers may keep them a day.
func assetHandler() http.Handler {
	sub, _ := fs.Sub(assetFS, "assets")
	files := http.StripPrefix("/assets/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// Page is what every page template gets: the layout reads Title, Viewer and Desk; the page its Data.
type Page struct {
	Title  string
	Desk   string  // the desk's name
	Viewer *Viewer // nil when signed out
	Path   string  // the request's path, for the navigation
	Notice string  // a sentence shown above the content (see notices)
	Data   any
}

// render writes page name with data. It renders into a buffer first, so a template error is a clean 500,
// not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, v *Viewer, status int, name, title string, data any) {
	t, ok := s.tmpl.pages[name]
	if !ok {
		s.log.Error("no such page template", "template", name)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	p := Page{Title: title, Desk: s.cfg.Desk.Name, Viewer: v, Path: r.URL.Path, Notice: notices[r.URL.Query().Get("done")], Data: data}
	if p.Desk == "" {
		p.Desk = "Firstline"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.log.Error("render page", "template", name, "err", err)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// notices are the sentences a page shows after a redirect, by its "done" parameter: fixed sentences, so
// a link cannot make the console say what its sender likes.
var notices = map[string]string{
	"signedout":  "You are signed out.",
	"everywhere": "You are signed out on every browser.",
}

// message is the data of the "message" page: a sentence, and where to go next.
type message struct {
	Text     string
	Link     string
	LinkText string
}

// refuse answers with status and a sentence for the person.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, v *Viewer, status int, text string) {
	m := message{Text: text, Link: "/", LinkText: "Back to the console"}
	if v == nil {
		m.Link, m.LinkText = "/signin", "Sign in"
	}
	s.render(w, r, v, status, "message", http.StatusText(status), m)
}

// fail answers with what err means for the person: a *bot.Error's message with the status its code
// calls for; anything else is logged and answered with a generic 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *Viewer, err error) {
	var be *bot.Error
	if !errors.As(err, &be) || be.Code == bot.EINTERNAL {
		s.log.Error("web request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		s.refuse(w, r, v, http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment; if it keeps happening, tell the desk's admin.")
		return
	}
	s.refuse(w, r, v, StatusOf(err), be.Message)
}

// StatusOf is the HTTP status of an error from the engine or the store: its *bot.Error code, or 500.
func StatusOf(err error) int {
	switch bot.ErrorCode(err) {
	case "":
		return http.StatusOK
	case bot.EINVALID:
		return http.StatusBadRequest
	case bot.ENOTFOUND:
		return http.StatusNotFound
	case bot.EUNAUTHORIZED:
		return http.StatusForbidden
	case bot.ECONFLICT:
		return http.StatusConflict
	case bot.ELIMITED:
		return http.StatusTooManyRequests
	case bot.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// notFound answers 404 with a sentence.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, v *Viewer, what string) {
	s.refuse(w, r, v, http.StatusNotFound, fmt.Sprintf("There is no %s here, or it is not yours to see.", what))
}
