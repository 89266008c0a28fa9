package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

const kbDir = "config:kb.dir"

// countingStore counts the read-write transactions that reach the data file.
type countingStore struct {
	*storage.DB
	updates int
}

func (s *countingStore) Update(ctx context.Context, fn func(bot.Tx) error) error {
	s.updates++
	return s.DB.Update(ctx, fn)
}

// folderDesk is a desk on a data file that kb.dir is synced into, as at every start.
type folderDesk struct {
	t     *testing.T
	db    *countingStore
	desk  *bottest.Desk
	files map[string]kb.File // by file name
}

func newFolderDesk(t *testing.T) *folderDesk {
	t.Helper()
	db := &countingStore{DB: openStore(t, "")}
	lib := kb.NewLibrary(nil, kb.Options{})
	return &folderDesk{t: t, db: db, desk: bottest.NewDesk(t, testConfig(), db, lib), files: map[string]kb.File{}}
}

// write puts a file in the folder.
func (f *folderDesk) write(name, id, body string) {
	f.files[name] = kb.File{Name: name, Article: kb.Article{ID: id, Title: "Title of " + id, Body: body}}
}

// restart syncs the folder as a start does, and returns what it did and how many transactions it wrote.
func (f *folderDesk) restart() (bot.KBSync, int) {
	f.t.Helper()
	var files []kb.File
	for _, file := range f.files {
		files = append(files, file)
	}
	slices.SortFunc(files, func(a, b kb.File) int { return strings.Compare(a.Article.ID, b.Article.ID) })
	before := f.db.updates
	res, err := bot.SyncKBFolder(context.Background(), f.db, files, kbDir, f.desk.Clock.Now())
	if err != nil {
		f.t.Fatalf("sync: %v", err)
	}
	return res, f.db.updates - before
}

// article returns the newest version of id.
func (f *folderDesk) article(id string) bot.KBArticle {
	f.t.Helper()
	var a bot.KBArticle
	if err := f.db.View(context.Background(), func(tx bot.Tx) error {
		var err error
		a, err = tx.KBArticle(id)
		return err
	}); err != nil {
		f.t.Fatalf("article %s: %v", id, err)
	}
	return a
}

func (f *folderDesk) say(user, text string) string {
	f.desk.Say(user, "help", text)
	return lastText(f.desk, "help")
}

func conflictIDs(res bot.KBSync) []string {
	var out []string
	for _, c := range res.Conflicts {
		out = append(out, c.ID)
	}
	return out
}

// TestKBDirKeepsChatEdits is issue 14's item 11: kb.dir is re-imported at every start, and an article an
// admin edited or deleted in chat came back "by kb.dir" after a restart. Now a file is imported only
// when it changed since it was last imported; when its article changed too, the chat version is kept
// and the conflict listed for admins; a restart with nothing changed writes nothing.
func TestKBDirKeepsChatEdits(t *testing.T) {
	f := newFolderDesk(t)
	f.write("vpn.md", "vpn", "Open the VPN app.")
	f.write("Printer guide.md", "printer", "Open tray 2.")
	f.write("wifi.md", "wifi", "Join CORP.")
	f.write("mail.md", "mail", "Open Outlook.")
	if res, _ := f.restart(); len(res.Added) != 4 {
		t.Fatalf("first start: %+v", res)
	}
	if res, writes := f.restart(); writes != 0 || len(res.Added)+len(res.Changed)+len(res.Deleted)+len(res.Conflicts) != 0 {
		t.Fatalf("a restart with nothing changed: %+v, %d transactions written", res, writes)
	}

	// Chat edits vpn and deletes printer; the files stay as they were.
	if got := f.say(ada, "!kb edit vpn v1\nOpen the VPN app and choose the nearest gateway."); !strings.Contains(got, "Saved `vpn` as version 2") {
		t.Fatalf("edit: %q", got)
	}
	if got := f.say(ada, "!kb delete printer v1"); !strings.Contains(got, "Deleted `printer`") {
		t.Fatalf("delete: %q", got)
	}
	if res, writes := f.restart(); writes != 0 || len(res.Changed)+len(res.Added) != 0 {
		t.Fatalf("restart after chat edits: %+v, %d transactions written", res, writes)
	}
	if a := f.article("vpn"); a.Version != 2 || !strings.Contains(a.Article.Body, "nearest gateway") {
		t.Fatalf("the chat edit was undone: %+v", a)
	}
	if a := f.article("printer"); !a.Deleted || a.Version != 2 {
		t.Fatalf("the article deleted in chat came back: %+v", a)
	}

	// The files change: wifi (unchanged in chat) is imported; vpn and printer (changed in chat) are
	// conflicts, and chat's versions stay.
	f.write("vpn.md", "vpn", "Open the VPN app. Call the desk if it fails.")
	f.write("Printer guide.md", "printer", "Open tray 2 and pull.")
	f.write("wifi.md", "wifi", "Join CORP with your laptop.")
	res, _ := f.restart()
	if !slices.Equal(res.Changed, []string{"wifi"}) || !slices.Equal(conflictIDs(res), []string{"printer", "vpn"}) {
		t.Fatalf("restart after the files changed: %+v", res)
	}
	if a := f.article("wifi"); a.Version != 2 || a.Author != kbDir {
		t.Fatalf("the changed file was not imported: %+v", a)
	}
	if a := f.article("vpn"); a.Version != 2 || a.Author != ada {
		t.Fatalf("a conflict did not keep the chat version: %+v", a)
	}
	if a := f.article("printer"); !a.Deleted {
		t.Fatalf("a conflict brought a deleted article back: %+v", a)
	}
	// The same conflicts at the next start: nothing written, listed again.
	if res, writes := f.restart(); writes != 0 || len(conflictIDs(res)) != 2 {
		t.Fatalf("restart with the same conflicts: %+v, %d transactions written", res, writes)
	}
	entries, err := f.db.AuditEntries(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	conflicts := 0
	for _, e := range entries {
		if e.Action == "kb.conflict" && e.Target == "vpn" {
			conflicts++
		}
	}
	if conflicts != 1 {
		t.Fatalf("the vpn conflict is audited %d times over two starts, want once", conflicts)
	}

	// Admins see the conflicts under !kb and !kb list; others do not.
	for _, cmd := range []string{"!kb", "!kb list"} {
		got := f.say(ada, cmd)
		for _, want := range []string{"(kb.dir)", "`vpn` (vpn.md): the file changed, and so did the article (v2 by ada): v2 is kept",
			"`printer` (Printer guide.md): the file changed, but the article was deleted by ada: it stays deleted", "firstline kb export"} {
			if !strings.Contains(got, want) {
				t.Fatalf("%s by an admin lacks %q:\n%s", cmd, want, got)
			}
		}
		if got := f.say(alice, cmd); strings.Contains(got, "kb.dir") {
			t.Fatalf("%s by an employee shows the conflicts:\n%s", cmd, got)
		}
	}

	// The file is made to say what chat says (as `kb export` does): the conflict ends, nothing new.
	f.files["vpn.md"] = kb.File{Name: "vpn.md", Article: f.article("vpn").Article}
	if res, _ := f.restart(); !slices.Equal(conflictIDs(res), []string{"printer"}) || len(res.Changed) != 0 {
		t.Fatalf("after the file was made to match: %+v", res)
	}
	if a := f.article("vpn"); a.Version != 2 {
		t.Fatalf("matching the file made a version: %+v", a)
	}
	// From then on a change of the file applies again.
	f.write("vpn.md", "vpn", "Use the new VPN client.")
	if res, _ := f.restart(); !slices.Equal(res.Changed, []string{"vpn"}) || f.article("vpn").Version != 3 {
		t.Fatalf("a file change after the conflict ended: %+v, %+v", res, f.article("vpn"))
	}

	// Removing a file deletes its article, unless chat changed the article since: then it is kept, as a
	// conflict. Removing the file of an article deleted in chat ends that conflict.
	if got := f.say(ada, "!kb edit mail v1 title: Outlook on the web"); !strings.Contains(got, "version 2") {
		t.Fatalf("edit mail: %q", got)
	}
	delete(f.files, "wifi.md")
	delete(f.files, "mail.md")
	delete(f.files, "Printer guide.md")
	res, _ = f.restart()
	if !slices.Equal(res.Deleted, []string{"wifi"}) || !slices.Equal(conflictIDs(res), []string{"mail"}) || !res.Conflicts[0].Conflict.Removed {
		t.Fatalf("after files were removed: %+v", res)
	}
	if a := f.article("wifi"); !a.Deleted || a.Author != kbDir {
		t.Fatalf("the removed file's article was not deleted: %+v", a)
	}
	if a := f.article("mail"); a.Deleted || a.Version != 2 {
		t.Fatalf("the article changed in chat was deleted with its file: %+v", a)
	}
	if got := f.say(ada, "!kb list"); !strings.Contains(got, "`mail` (mail.md): the file was removed, but the article changed since (v2 by ada)") {
		t.Fatalf("!kb list lacks the removed file:\n%s", got)
	}
	// A removed file that comes back is imported again.
	f.write("wifi.md", "wifi", "Join CORP.")
	if res, _ := f.restart(); !slices.Equal(res.Changed, []string{"wifi"}) || f.article("wifi").Deleted {
		t.Fatalf("the file put back: %+v, %+v", res, f.article("wifi"))
	}
}

// TestKBDirFileCases covers the other ways a folder and chat meet: a file renamed, an article created in
// chat before a file with its id, an empty folder, and a data file imported by a Firstline that kept no
// records.
func TestKBDirFileCases(t *testing.T) {
	t.Run("renamed file", func(t *testing.T) {
		f := newFolderDesk(t)
		f.write("vpn.md", "vpn", "Open the VPN app.")
		f.restart()
		delete(f.files, "vpn.md")
		f.write("VPN guide.md", "vpn", "Open the VPN app.")
		res, _ := f.restart()
		if len(res.Added)+len(res.Changed)+len(res.Deleted)+len(res.Conflicts) != 0 || f.article("vpn").Version != 1 {
			t.Fatalf("renaming a file: %+v, %+v", res, f.article("vpn"))
		}
		if _, writes := f.restart(); writes != 0 {
			t.Fatalf("the restart after the rename wrote %d transactions", writes)
		}
	})
	t.Run("created in chat first", func(t *testing.T) {
		f := newFolderDesk(t)
		f.write("other.md", "other", "x")
		f.restart()
		if got := f.say(ada, "!kb add\nPrinter jam\nOpen tray 2."); !strings.Contains(got, "Added `printer-jam`") {
			t.Fatalf("add: %q", got)
		}
		f.write("printer-jam.md", "printer-jam", "Call facilities.")
		res, _ := f.restart()
		if !slices.Equal(conflictIDs(res), []string{"printer-jam"}) || f.article("printer-jam").Article.Body != "Open tray 2." {
			t.Fatalf("a file with the id of a chat article: %+v, %+v", res, f.article("printer-jam"))
		}
	})
	t.Run("empty folder deletes nothing", func(t *testing.T) {
		f := newFolderDesk(t)
		f.write("vpn.md", "vpn", "Open the VPN app.")
		f.restart()
		delete(f.files, "vpn.md")
		res, writes := f.restart()
		if !res.KeptEmpty || writes != 0 || f.article("vpn").Deleted {
			t.Fatalf("an emptied folder: %+v, %d transactions, %+v", res, writes, f.article("vpn"))
		}
	})
	t.Run("data file without records", func(t *testing.T) {
		f := newFolderDesk(t)
		ctx := context.Background()
		// An older Firstline imported both files; chat then edited mail.
		for _, a := range []kb.Article{{ID: "vpn", Title: "Title of vpn", Body: "old"}, {ID: "mail", Title: "Title of mail", Body: "old"}} {
			if err := f.db.Update(ctx, func(tx bot.Tx) error {
				_, err := tx.PutKBArticle(a, false, kbDir, time.Now(), 0)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.say(ada, "!kb edit mail v1\nedited in chat"); !strings.Contains(got, "version 2") {
			t.Fatalf("edit: %q", got)
		}
		f.write("vpn.md", "vpn", "new")
		f.write("mail.md", "mail", "old")
		res, _ := f.restart()
		if !slices.Equal(res.Changed, []string{"vpn"}) || !slices.Equal(conflictIDs(res), []string{"mail"}) {
			t.Fatalf("first start with records: %+v", res)
		}
		if f.article("mail").Article.Body != "edited in chat" {
			t.Fatalf("the chat edit was undone: %+v", f.article("mail"))
		}
	})
}

// TestImportKBArticlesIsAllOrNothing checks the hand import: the files win (a chat edit is replaced, a
// deleted article restored), an identical article makes no version, and an import whose context ends
// half way stores nothing.
func TestImportKBArticlesIsAllOrNothing(t *testing.T) {
	f := newFolderDesk(t)
	ctx := context.Background()
	articles := []kb.Article{{ID: "a", Title: "A", Body: "a"}, {ID: "b", Title: "B", Body: "b"}}
	if res, err := bot.ImportKBArticles(ctx, f.db, articles, "cli:ada", time.Now()); err != nil || res.Added != 2 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	f.say(ada, "!kb delete a v1")
	f.say(ada, "!kb edit b v1 title: Bee")
	res, err := bot.ImportKBArticles(ctx, f.db, articles, "cli:ada", time.Now())
	if err != nil || res.Changed != 2 || f.article("a").Deleted || f.article("b").Article.Title != "B" {
		t.Fatalf("import over chat: %+v, %v, %+v, %+v", res, err, f.article("a"), f.article("b"))
	}
	if res, err := bot.ImportKBArticles(ctx, f.db, articles, "cli:ada", time.Now()); err != nil || res.Unchanged != 2 || f.article("a").Version != 3 {
		t.Fatalf("import again: %+v, %v", res, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	more := []kb.Article{{ID: "c", Title: "C", Body: "c"}}
	if _, err := bot.ImportKBArticles(cctx, f.db, more, "cli:ada", time.Now()); err == nil {
		t.Fatal("an interrupted import succeeded")
	}
	if err := f.db.View(ctx, func(tx bot.Tx) error {
		if _, err := tx.KBArticle("c"); !bot.IsNotFound(err) {
			t.Fatalf("an interrupted import stored c: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
