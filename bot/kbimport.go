package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// This file is the knowledge base's folders: kb.dir, brought into the data file at every start without
// undoing what was changed in chat (SyncKBFolder, where the rule of which source wins lives), and a folder
// imported by hand (ImportKBArticles).

// KBFile is what the store remembers of the kb.dir file an article was imported from.
type KBFile struct {
	// ID is the article's id; File the name of its file in the folder.
	ID   string `json:"id"`
	File string `json:"file"`
	// Hash identifies what the file said when it was last imported (KBHash); "" when it never was (a
	// record kept only for its Conflict).
	Hash string `json:"hash,omitempty"`
	// Version is the article's version that the import wrote, or found already saying the same.
	Version int `json:"version,omitempty"`
	// Conflict is set while the file and the article have both changed since the import: the article's
	// version is kept.
	Conflict *KBConflict `json:"conflict,omitempty"`
}

// KBConflict is a change of a kb.dir file that was not imported, because the article had changed too
// (in chat, or by `kb import` of another folder).
type KBConflict struct {
	// Hash is what the file says now; Removed is set instead when the file is gone.
	Hash    string `json:"hash,omitempty"`
	Removed bool   `json:"removed,omitempty"`
	// Version is the article's version that was kept.
	Version int       `json:"version"`
	Since   time.Time `json:"since"`
}

// KBHash identifies an article as a file holds it: two files that read as the same article have the same
// hash, however their front matter is laid out.
func KBHash(a kb.Article) string {
	sum := sha256.Sum256(a.Markdown())
	return hex.EncodeToString(sum[:])
}

// KBSync is what SyncKBFolder did.
type KBSync struct {
	// Added, Changed and Deleted are the ids of the articles the folder created, changed and deleted.
	Added, Changed, Deleted []string
	// Conflicts are every article whose file changed while the article did too, found now or earlier.
	Conflicts []KBFile
	// KeptEmpty is set when the folder had no articles at all and articles imported from it earlier were
	// kept rather than deleted.
	KeptEmpty bool
}

// SyncKBFolder brings the articles of the kb.dir folder (files, as kb.ReadFolder returns them) into the
// store, as author, in one transaction. Edits made in Firstline win:
//   - a file is imported only when it changed since it was last imported (its KBHash is kept with the
//     version it produced, in the transaction that imports it); a restart with nothing changed writes
//     nothing, and an article edited or deleted in chat while its file is unchanged stays so;
//   - a file that changed while its article changed too (edited or deleted in chat, or by `kb import`
//     of another folder, or created in chat before the file existed) is not imported: the article's
//     version is kept and the conflict recorded (KBSync.Conflicts, `!kb` for admins) until the two agree
//     again, by `kb export` (the article's version into the folder) or `kb import` (the file's into the
//     store);
//   - a file removed from the folder deletes its article, unless the article changed since the import
//     (then it is kept, as a conflict); a folder with no articles at all deletes nothing, so an
//     unmounted share does not empty the knowledge base;
//   - a data file without records (kb.dir imported by an older Firstline) treats an article whose newest
//     version is author's as imported, and one anybody else wrote as changed in Firstline.
func SyncKBFolder(ctx context.Context, store Store, files []kb.File, author string, now time.Time) (KBSync, error) {
	// Look first, in a read transaction: a start with nothing to do commits nothing.
	var res KBSync
	var writes bool
	if err := store.View(ctx, func(tx Tx) error {
		s := &kbSyncer{ctx: ctx, tx: tx, author: author, now: now}
		if err := s.sync(files); err != nil {
			return err
		}
		res, writes = s.res, s.writes
		return nil
	}); err != nil {
		return KBSync{}, fmt.Errorf("compare the knowledge base folder with the data file: %w", err)
	}
	if !writes {
		return res, nil
	}
	if err := store.Update(ctx, func(tx Tx) error {
		s := &kbSyncer{ctx: ctx, tx: tx, author: author, now: now, apply: true}
		if err := s.sync(files); err != nil {
			return err
		}
		res = s.res
		return nil
	}); err != nil {
		return KBSync{}, fmt.Errorf("import the knowledge base folder: %w", err)
	}
	return res, nil
}

// kbSyncer runs SyncKBFolder's rule in one transaction; without apply it only notes whether anything
// would be written.
type kbSyncer struct {
	ctx    context.Context
	tx     Tx
	author string
	now    time.Time
	apply  bool
	writes bool
	res    KBSync
}

func (s *kbSyncer) sync(files []kb.File) error {
	records, err := s.tx.KBFiles()
	if err != nil {
		return err
	}
	inFolder := make(map[string]bool, len(files))
	for _, f := range files {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		inFolder[f.Article.ID] = true
		rec, tracked := records[f.Article.ID]
		if err := s.file(f, rec, tracked); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	ids := make([]string, 0, len(records))
	for id := range records {
		if !inFolder[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(files) == 0 && len(ids) > 0 {
		s.res.KeptEmpty = true
		for _, id := range ids {
			if records[id].Conflict != nil {
				s.res.Conflicts = append(s.res.Conflicts, records[id])
			}
		}
		return nil
	}
	for _, id := range ids {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		if err := s.removed(records[id]); err != nil {
			return fmt.Errorf("%s: %w", records[id].File, err)
		}
	}
	return nil
}

// file applies one file of the folder; rec is its record, when tracked.
func (s *kbSyncer) file(f kb.File, rec KBFile, tracked bool) error {
	a, hash := f.Article, KBHash(f.Article)
	if tracked && rec.Hash == hash {
		// Unchanged since it was imported: whatever was done to the article since stands.
		next := rec
		next.File, next.Conflict = f.Name, nil
		return s.record(rec, next, tracked)
	}
	cur, err := s.tx.KBArticle(a.ID)
	if IsNotFound(err) {
		v, err := s.put(a, false, 0, "kb.import", fmt.Sprintf("v1 from %s", f.Name))
		if err != nil {
			return err
		}
		s.res.Added = append(s.res.Added, a.ID)
		return s.record(rec, KBFile{ID: a.ID, File: f.Name, Hash: hash, Version: v}, tracked)
	}
	if err != nil {
		return err
	}
	switch {
	case !cur.Deleted && KBHash(cur.Article) == hash:
		// The store already says what the file says (an export, or a file edited to match).
		return s.record(rec, KBFile{ID: a.ID, File: f.Name, Hash: hash, Version: cur.Version}, tracked)
	case tracked && rec.Hash != "" && cur.Version == rec.Version, !tracked && cur.Author == s.author:
		// Nobody changed the article since the folder last did: the file's change applies.
		v, err := s.put(a, false, cur.Version, "kb.import", fmt.Sprintf("v%d from %s", cur.Version+1, f.Name))
		if err != nil {
			return err
		}
		s.res.Changed = append(s.res.Changed, a.ID)
		return s.record(rec, KBFile{ID: a.ID, File: f.Name, Hash: hash, Version: v}, tracked)
	}
	next := rec
	if !tracked {
		next = KBFile{ID: a.ID}
	}
	next.File = f.Name
	return s.conflict(rec, next, tracked, KBConflict{Hash: hash, Version: cur.Version})
}

// removed applies a tracked file that is no longer in the folder.
func (s *kbSyncer) removed(rec KBFile) error {
	cur, err := s.tx.KBArticle(rec.ID)
	switch {
	case IsNotFound(err) || (err == nil && (cur.Deleted || rec.Hash == "")):
		return s.forget(rec.ID)
	case err != nil:
		return err
	case cur.Version == rec.Version:
		if _, err := s.put(cur.Article, true, cur.Version, "kb.delete", fmt.Sprintf("v%d: %s was removed from the folder", cur.Version+1, rec.File)); err != nil {
			return err
		}
		s.res.Deleted = append(s.res.Deleted, rec.ID)
		return s.forget(rec.ID)
	}
	return s.conflict(rec, rec, true, KBConflict{Removed: true, Version: cur.Version})
}

// conflict records that the article's version was kept over its file's change; the first time it is
// found it is audited too.
func (s *kbSyncer) conflict(rec, next KBFile, tracked bool, c KBConflict) error {
	c.Since = s.now.UTC()
	if old := rec.Conflict; tracked && old != nil && old.Hash == c.Hash && old.Removed == c.Removed && old.Version == c.Version {
		c.Since = old.Since
	} else {
		what := "the file changed"
		if c.Removed {
			what = "the file was removed"
		}
		if err := s.audit("kb.conflict", next.ID, fmt.Sprintf("%s: %s, and so did the article: v%d is kept", next.File, what, c.Version)); err != nil {
			return err
		}
	}
	next.Conflict = &c
	s.res.Conflicts = append(s.res.Conflicts, next)
	return s.record(rec, next, tracked)
}

func (s *kbSyncer) put(a kb.Article, deleted bool, base int, action, detail string) (int, error) {
	if !s.apply {
		s.writes = true
		return base + 1, nil
	}
	v, err := s.tx.PutKBArticle(a, deleted, s.author, s.now, base)
	if err != nil {
		return 0, err
	}
	return v, s.audit(action, a.ID, detail)
}

func (s *kbSyncer) audit(action, target, detail string) error {
	if !s.apply {
		s.writes = true
		return nil
	}
	return s.tx.Audit(AuditEntry{At: s.now, Action: action, Target: target, Detail: detail})
}

// record stores next unless it is what is stored already.
func (s *kbSyncer) record(rec, next KBFile, tracked bool) error {
	if tracked && sameKBFile(rec, next) {
		return nil
	}
	if !s.apply {
		s.writes = true
		return nil
	}
	return s.tx.PutKBFile(next)
}

func (s *kbSyncer) forget(id string) error {
	if !s.apply {
		s.writes = true
		return nil
	}
	return s.tx.DeleteKBFile(id)
}

func sameKBFile(a, b KBFile) bool {
	if a.ID != b.ID || a.File != b.File || a.Hash != b.Hash || a.Version != b.Version || (a.Conflict == nil) != (b.Conflict == nil) {
		return false
	}
	return a.Conflict == nil || *a.Conflict == *b.Conflict
}

// KBImport counts what ImportKBArticles did.
type KBImport struct {
	Added, Changed, Unchanged int
}

// ImportKBArticles stores each article as its newest version, as author, in one transaction (all or
// nothing, also when ctx ends half way). It is `firstline kb import`, the deliberate act that makes a
// folder's files win: an article that already says the same is left as it is; any other is replaced,
// whatever was changed in chat, restored when it was deleted, and audited.
func ImportKBArticles(ctx context.Context, store Store, articles []kb.Article, author string, now time.Time) (KBImport, error) {
	var res KBImport
	err := store.Update(ctx, func(tx Tx) error {
		res = KBImport{}
		for _, a := range articles {
			if err := ctx.Err(); err != nil {
				return err
			}
			base := 0
			cur, err := tx.KBArticle(a.ID)
			switch {
			case err == nil && !cur.Deleted && KBHash(cur.Article) == KBHash(a):
				res.Unchanged++
				continue
			case err == nil:
				base = cur.Version
				res.Changed++
			case IsNotFound(err):
				res.Added++
			default:
				return err
			}
			v, err := tx.PutKBArticle(a, false, author, now, base)
			if err != nil {
				return fmt.Errorf("import %s: %w", a.ID, err)
			}
			if err := tx.Audit(AuditEntry{At: now, Actor: author, Action: "kb.import", Target: a.ID, Detail: fmt.Sprintf("v%d", v)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return KBImport{}, err
	}
	return res, nil
}

// kbConflictNote lists the kb.dir conflicts under an admin's `!kb` and `!kb list`: "" for anyone else,
// or when there are none.
func (w *work) kbConflictNote() (string, error) {
	if !w.isAdmin() {
		return "", nil
	}
	records, err := w.tx.KBFiles()
	if err != nil {
		return "", err
	}
	var lines []string
	for _, id := range slices.Sorted(maps.Keys(records)) {
		rec := records[id]
		c := rec.Conflict
		if c == nil {
			continue
		}
		by := ""
		if cur, err := w.tx.KBArticle(id); err == nil {
			by = " by " + nameOf("", cur.Author)
			if cur.Deleted {
				lines = append(lines, fmt.Sprintf("- `%s` (%s): the file changed, but the article was deleted%s: it stays deleted", id, rec.File, by))
				continue
			}
		}
		what := "the file changed, and so did the article"
		if c.Removed {
			what = "the file was removed, but the article changed since"
		}
		lines = append(lines, fmt.Sprintf("- `%s` (%s): %s (v%d%s): v%d is kept", id, rec.File, what, c.Version, by, c.Version))
	}
	if len(lines) == 0 {
		return "", nil
	}
	return fmt.Sprintf("\n\nThe knowledge base folder (kb.dir) and the articles disagree; the articles' versions are kept:\n%s\n"+
		"To keep them, write them to the folder with `firstline kb export DIR`; to take the files' instead, `firstline kb import DIR` (both with the desk stopped).",
		strings.Join(lines, "\n")), nil
}

// replyKB replies with text, and the kb.dir conflicts when the user is an admin.
func (w *work) replyKB(text string) error {
	note, err := w.kbConflictNote()
	if err != nil {
		return err
	}
	return w.reply("", text+note)
}

// LiveKBArticles returns the knowledge base as search and `kb export` see it: the newest version of every
// article not deleted, sorted by id, read in one transaction.
func LiveKBArticles(ctx context.Context, store Store) ([]kb.Article, error) {
	var out []kb.Article
	err := store.View(ctx, func(tx Tx) error {
		all, err := tx.KBArticles()
		if err != nil {
			return err
		}
		out = out[:0]
		for _, a := range all {
			if !a.Deleted { // deleted from chat: kept for restore, out of search and export
				out = append(out, a.Article)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the knowledge base: %w", err)
	}
	return out, nil
}
