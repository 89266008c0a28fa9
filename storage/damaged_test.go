package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/storage/storagetest"
)

// mustBigDesk is mustDesk's desk grown to n more tickets, so its buckets have branch pages and its
// freelist has pages in it (tickets were rewritten after they were written).
func mustBigDesk(t *testing.T, n int) string {
	t.Helper()
	path := mustDesk(t)
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for i := range n {
		err := db.Update(ctx, func(tx bot.Tx) error {
			tk := newTicket(fmt.Sprintf("test:user%d", i%17))
			tk.Subject = strings.Repeat(fmt.Sprintf("printer %d jams ", i), 3)
			tk.Transcript = []bot.Entry{{At: deskNow, Author: tk.Requester, Text: tk.Subject}}
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			tk.Status = bot.StatusResolved
			return tx.PutTicket(tk)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// sentence reports whether err is what a user may be shown: a domain error's sentence.
func sentence(err error) bool {
	var be *bot.Error
	return errors.As(err, &be) && !strings.Contains(be.Message, "goroutine")
}

// TestNoDamagedFileCrashes runs every storage entry point a command uses on a corpus of damaged copies of
// a data file: cut short at every page boundary and around it, bytes flipped in the meta pages (and
// rewritten with a matching checksum), the freelist, branch and leaf pages. A crash (SIGBUS, SIGSEGV, a
// panic) ends the test binary. Each file cut short is refused on open with "cut short at N of M bytes";
// what is refused at all is refused with a sentence; restoring over any of them works.
func TestNoDamagedFileCrashes(t *testing.T) {
	good := mustBigDesk(t, 100)
	goodBytes, _ := os.ReadFile(good)
	corpus := storagetest.Corpus(t, good, t.TempDir(), 3)
	t.Logf("%d damaged copies of a %d-byte file", len(corpus), len(goodBytes))
	ctx := context.Background()
	opts := storage.Options{LockTimeout: time.Second}
	refused := 0
	work := t.TempDir()
	w := filepath.Join(work, "firstline.db")
	for i, d := range corpus {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("%s: %s", d.Name, fmt.Sprintf(format, args...))
		}
		before, _ := os.ReadFile(d.Path)

		db, err := storage.Open(d.Path, storage.Options{ReadOnly: true})
		if d.CutShort && (err == nil || !strings.Contains(err.Error(), "is damaged (cut short at ")) {
			fail("opened read-only: %v", err)
		}
		if err != nil {
			refused++
			if !sentence(err) {
				fail("refused without a sentence: %v", err)
			}
		} else {
			useAll(ctx, db)
			db.CheckAll(ctx)
			db.Close()
		}
		if _, err := storage.CheckFile(ctx, d.Path, opts); err != nil && !sentence(err) {
			fail("check: %v", err)
		}
		if _, err := storage.VerifyFile(d.Path, opts); err != nil && !sentence(err) {
			fail("verify: %v", err)
		}
		if now, _ := os.ReadFile(d.Path); !bytes.Equal(now, before) {
			fail("reading it changed it")
		}

		// Writing: on a copy of it.
		os.Remove(w)
		os.WriteFile(w, before, 0o600)
		if db, err := storage.Open(w, storage.Options{NoSync: true}); err == nil {
			useAll(ctx, db)
			db.Update(ctx, func(tx bot.Tx) error { return tx.CreateTicket(newTicket("test:zed")) })
			db.EraseUser(ctx, "test:bob", false)
			db.Close()
		} else if now, _ := os.ReadFile(w); !bytes.Equal(now, before) {
			fail("refusing it for writing changed it: %v", err)
		}
		if i%10 != 0 {
			continue // what follows fsyncs its copies: a sample is enough
		}
		storage.BackupFile(ctx, d.Path, filepath.Join(work, "backup.db"), opts)
		storage.Compact(ctx, w, opts)

		// Restoring over it works whatever it holds; restoring from it never replaces a sound file with it.
		res, err := storage.Restore(ctx, w, good, deskNow, opts)
		if err != nil {
			fail("restore over it: %v", err)
		}
		os.Remove(res.Previous)
		res, err = storage.Restore(ctx, w, d.Path, deskNow, opts)
		os.Remove(res.Previous)
		if err != nil {
			if !sentence(err) {
				fail("restore from it: %v", err)
			}
			if now, _ := os.ReadFile(w); !bytes.Equal(now, goodBytes) {
				fail("a refused restore from it changed the data file")
			}
		}
	}
	t.Logf("%d refused on open", refused)
	if refused == 0 {
		t.Fatal("no damaged copy was refused")
	}
}

// useAll reads everything a command or the desk reads.
func useAll(ctx context.Context, db *storage.DB) {
	db.View(ctx, func(tx bot.Tx) error {
		tickets, _ := tx.FindTickets(bot.TicketFilter{})
		for _, tk := range tickets {
			tx.Ticket(tk.ID)
		}
		tx.Effects(0, 0)
		return nil
	})
	bot.LiveKBArticles(ctx, db)
	db.AuditEntries(ctx, time.Time{}, 0)
	db.TicketsActiveOrUpdatedSince(ctx, time.Time{})
	db.Stats(ctx)
}

// TestDamageAfterOpenIsAnError damages the file under an open DB, as another process writing into it or a
// failing disk would: what reads the damaged pages gets the "damaged: restore a backup" error, and the
// check reports it, instead of the process dying in bbolt.
func TestDamageAfterOpenIsAnError(t *testing.T) {
	path := mustBigDesk(t, 100)
	ps, _, pages, _ := storagetest.Layout(t, path)
	var branches []int
	for _, p := range pages {
		if p.Type == "branch" {
			branches = append(branches, p.ID)
		}
	}
	if len(branches) == 0 {
		t.Fatal("the desk has no branch page to damage")
	}
	for _, tc := range []struct {
		name   string
		damage func(page []byte)
	}{
		{"a page that is not what it should be", func(page []byte) { clear(page[:8]) }},
		{"children far outside the file", func(page []byte) {
			for at := 16 + 8; at+8 <= len(page); at += 16 {
				copy(page[at:], []byte{0, 0, 0, 0, 0, 0, 0, 0x40})
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := copyTo(t, path)
			db, err := storage.Open(p, storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range branches {
				page := make([]byte, ps)
				f.ReadAt(page, int64(id*ps))
				tc.damage(page)
				f.WriteAt(page, int64(id*ps))
			}
			f.Close()

			ctx := context.Background()
			err = db.View(ctx, func(tx bot.Tx) error { _, err := tx.FindTickets(bot.TicketFilter{}); return err })
			if err == nil || !strings.Contains(err.Error(), p+" is damaged (") || !strings.Contains(err.Error(), "restore a backup") {
				t.Fatalf("reading the damaged pages: %v", err)
			}
			err = db.Update(ctx, func(tx bot.Tx) error { return tx.CreateTicket(newTicket("test:zed")) })
			if err == nil || !strings.Contains(err.Error(), "is damaged (") {
				t.Fatalf("writing beside the damaged pages: %v", err)
			}
			r, err := db.CheckAll(ctx)
			if err != nil || len(r.Problems) == 0 || !strings.Contains(strings.Join(r.Problems, "\n"), "is damaged (") {
				t.Fatalf("check: %v %q", err, r.Problems)
			}
		})
	}
}

// TestAPanicOutsideStorageIsNotTheFilesFault: a bug in a transaction function is not reported as damage.
func TestAPanicOutsideStorageIsNotTheFilesFault(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer func() {
		if r := recover(); r != "a bug" {
			t.Fatalf("recovered %v, want the caller's own panic", r)
		}
	}()
	db.View(context.Background(), func(bot.Tx) error { panic("a bug") })
}

// TestABboltFileWithoutBucketsIsAdopted: a desk that stopped between creating its file and its first
// migration leaves a bbolt file without any bucket; that file is Firstline's and is opened and migrated,
// while a bbolt file with buckets but no schema version (another program's) is refused unchanged.
func TestABboltFileWithoutBucketsIsAdopted(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.db")
	rawUpdate(t, fresh, func(*bolt.Tx) error { return nil })
	db, err := storage.Open(fresh, storage.Options{NoSync: true})
	if err != nil {
		t.Fatalf("a bbolt file without buckets: %v", err)
	}
	db.Close()
	mustCheckClean(t, fresh)

	foreign := filepath.Join(dir, "foreign.db")
	rawUpdate(t, foreign, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("sessions")); return err })
	before, _ := os.ReadFile(foreign)
	for _, readOnly := range []bool{false, true} {
		if _, err := storage.Open(foreign, storage.Options{ReadOnly: readOnly}); err == nil || !strings.Contains(err.Error(), "is not a Firstline data file") {
			t.Fatalf("another program's bbolt file (read-only %v): %v", readOnly, err)
		}
	}
	if _, _, err := storage.Compact(context.Background(), foreign, storage.Options{}); err == nil {
		t.Fatal("compact rewrote another program's file")
	}
	if now, _ := os.ReadFile(foreign); !bytes.Equal(now, before) {
		t.Fatal("refusing another program's file changed it")
	}
}
