package kb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ReadDir parses every *.md file directly in dir of fsys (subfolders are not
// read, so drafts and assets can sit below). It takes an fs.FS so the demo
// knowledge base can be embedded in the binary and tests can use
// fstest.MapFS. Files whose names start with "." are skipped: they are editor
// swap and lock files, and WriteDir's temporary files.
//
// Every bad file is reported in one error (errors.Join), each problem prefixed
// with its file name and line ("vpn.md:3: unknown key \"titel\""), so a whole
// folder is fixed in one pass. Two files with the same id are an error; an id
// that differs from the file name is not (the id wins). Articles come back
// sorted by id. On any error no articles are returned.
func ReadDir(fsys fs.FS, dir string) ([]Article, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read articles in %s: %w", dir, err)
	}
	var (
		articles []Article
		errs     []error
		fileOf   = make(map[string]string)
	)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".md") || strings.HasPrefix(name, ".") {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		a, err := Parse(data)
		if err != nil {
			errs = append(errs, inFile(name, err)...)
			continue
		}
		if other, dup := fileOf[a.ID]; dup {
			errs = append(errs, &ParseError{File: name, Msg: fmt.Sprintf("duplicate id %q: %s has it too", a.ID, other)})
			continue
		}
		fileOf[a.ID] = name
		articles = append(articles, a)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sortByID(articles)
	return articles, nil
}

// inFile puts the file name on each problem Parse reported.
func inFile(name string, err error) []error {
	var out []error
	for _, e := range leafErrors(err) {
		var pe *ParseError
		if errors.As(e, &pe) {
			c := *pe
			c.File = name
			out = append(out, &c)
			continue
		}
		out = append(out, fmt.Errorf("%s: %w", name, e))
	}
	return out
}

func sortByID(articles []Article) {
	slices.SortFunc(articles, func(a, b Article) int { return strings.Compare(a.ID, b.ID) })
}

// WriteDir writes each article to dir/<id>.md, creating dir if needed. Each
// file is written to a temporary file and renamed over the old one, so a
// reader (or a crash) never sees half an article. Files of other articles are
// left alone: removing an article from the folder is a deliberate act, not a
// side effect of an export. All articles are validated, and ids checked for
// duplicates, before anything is written.
func WriteDir(dir string, articles []Article) error {
	var errs []error
	seen := make(map[string]bool, len(articles))
	for i, a := range articles {
		if err := a.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("article %d (%q): %w", i, a.ID, err))
			continue
		}
		if seen[a.ID] {
			errs = append(errs, fmt.Errorf("article %d: duplicate id %q", i, a.ID))
		}
		seen[a.ID] = true
	}
	if len(errs) > 0 {
		return fmt.Errorf("write articles to %s: %w", dir, errors.Join(errs...))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write articles: %w", err)
	}
	for _, a := range articles {
		if err := writeFileAtomic(filepath.Join(dir, a.ID+".md"), a.Markdown()); err != nil {
			return fmt.Errorf("write article %s: %w", a.ID, err)
		}
	}
	return nil
}

// writeFileAtomic writes data next to name and renames it into place. The
// temporary name starts with "." and does not end in ".md", so a concurrent
// ReadDir never picks it up.
func writeFileAtomic(name string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	// Sync before rename: otherwise a crash can leave the new name pointing
	// at an empty file on some file systems.
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; articles are not secret and are meant
	// to be read by git and editors like any other file.
	if err = os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
