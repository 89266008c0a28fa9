package kb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Export is what WriteDir did to a folder.
type Export struct {
	// Written counts the files created or rewritten; Unchanged the files that already held their article.
	Written, Unchanged int
	// Removed are the files of articles that are no longer in the knowledge base, deleted from the folder.
	Removed []string
}

// WriteDir makes the folder dir hold exactly articles, so that reading it back (ReadFolder, `kb import`,
// kb.dir) gives the same articles whatever the folder held before:
//   - an article already in the folder is written to the file that holds it, whatever that file is
//     called (import allows any name), so no second file with the same id appears;
//   - a new article goes to <id>.md, or <id>-2.md, ... when that name is taken by any entry of the
//     folder, compared without case (case-insensitive file systems) or is a name Windows reserves;
//   - the files of articles not in the list (deleted since an earlier export, or never in this
//     knowledge base) are removed: an export is a copy of the knowledge base, not a merge;
//   - a file that already says what its article says is left as it is (no churn in git);
//   - files that are not articles (no .md, hidden, subfolders) are left alone.
//
// A folder that import would refuse (a file that does not parse, two files with one id, a special file
// named .md) is refused before anything is written, with the same problems listed: exporting into it
// could not give a folder that imports. All articles are validated, and ids checked for duplicates, before
// the folder is created. Each file is written to a temporary file and renamed into place, and ctx is
// checked before each file, so an export that is interrupted or fails leaves a folder that still imports
// (some files old, some new); running it again completes it.
func WriteDir(ctx context.Context, dir string, articles []Article) (Export, error) {
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
		return Export{}, fmt.Errorf("write articles to %s: %w", dir, errors.Join(errs...))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Export{}, fmt.Errorf("write articles: %w", err)
	}
	root, err := openFolder(dir)
	if err != nil {
		return Export{}, fmt.Errorf("write articles: %w", err)
	}
	defer root.Close()
	existing, names, err := readFolder(ctx, rootFolder{root: root})
	if ctx.Err() != nil {
		return Export{}, ctx.Err()
	}
	if err != nil {
		return Export{}, fmt.Errorf("%s holds files that `kb import` would refuse, so an export into it would not import back; fix or remove them first, or export into another folder:\n%w", dir, err)
	}

	target, current, stale := planExport(articles, existing, names)
	var out Export
	// Stale files go first: on a case-insensitive file system a new article's file may take the name of
	// a removed one.
	for _, name := range stale {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if err := root.Remove(name); err != nil {
			return out, fmt.Errorf("remove %s from %s: %w", name, dir, err)
		}
		out.Removed = append(out.Removed, name)
	}
	for _, a := range articles {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		data := a.Markdown()
		if cur, ok := current[a.ID]; ok && bytes.Equal(cur.Markdown(), data) {
			out.Unchanged++
			continue
		}
		if err := writeFileAtomic(filepath.Join(dir, target[a.ID]), data); err != nil {
			return out, fmt.Errorf("write article %s to %s: %w", a.ID, target[a.ID], err)
		}
		out.Written++
	}
	return out, nil
}

// planExport chooses the file of each article, and lists the files to remove. existing are the folder's
// articles, names all its entries.
func planExport(articles []Article, existing []File, names []string) (target map[string]string, current map[string]Article, stale []string) {
	keep := make(map[string]bool, len(articles))
	for _, a := range articles {
		keep[a.ID] = true
	}
	target = make(map[string]string, len(articles))
	current = make(map[string]Article, len(existing))
	staleName := map[string]bool{}
	for _, f := range existing {
		if keep[f.Article.ID] {
			target[f.Article.ID] = f.Name
			current[f.Article.ID] = f.Article
		} else {
			stale = append(stale, f.Name)
			staleName[f.Name] = true
		}
	}
	taken := map[string]bool{}
	for _, n := range names {
		if !staleName[n] {
			taken[strings.ToLower(n)] = true
		}
	}
	// <id>.md first for every new article, then numbered names for those whose name was taken, so one
	// article's fallback never takes another's own name.
	var later []Article
	for _, a := range articles {
		if _, ok := target[a.ID]; ok {
			continue
		}
		if n := a.ID + ".md"; !taken[n] && !reservedName(a.ID) {
			target[a.ID], taken[n] = n, true
			continue
		}
		later = append(later, a)
	}
	for _, a := range later {
		for k := 2; ; k++ {
			if n := fmt.Sprintf("%s-%d.md", a.ID, k); !taken[n] {
				target[a.ID], taken[n] = n, true
				break
			}
		}
	}
	return target, current, stale
}

// reservedName reports whether a file named id.md could not be created on Windows (CON, NUL, COM1...,
// whatever follows the first dot), so a folder exported here can be copied there.
func reservedName(id string) bool {
	base, _, _ := strings.Cut(id, ".")
	switch base {
	case "con", "prn", "aux", "nul":
		return true
	}
	return len(base) == 4 && (strings.HasPrefix(base, "com") || strings.HasPrefix(base, "lpt")) && base[3] >= '1' && base[3] <= '9'
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
