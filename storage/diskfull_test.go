//go:build linux

package storage_test

// The data file when the disk is full. A commit that cannot write its pages must fail as a whole: the
// error names the file, nothing of the transaction is kept (no ticket, no dedup key, no effect, no used-up
// ticket id), reads go on working, bbolt's pages and Firstline's indexes stay sound, and once space
// returns the same DB takes writes again without being reopened.
//
// Two ways to fill a disk, whichever this machine allows:
//   - RLIMIT_FSIZE: past the limit a write or a truncate fails with EFBIG (Go ignores the SIGXFSZ that
//     comes with it). The limit holds for the whole process, so the test runs in a child: this test
//     binary again, for TestDiskFullHelper only.
//   - a small tmpfs filled to the last byte (root only, and only where mount is allowed): ENOSPC, the
//     real thing, where pages the file already has can still be rewritten but new ones cannot.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// diskFullEnv names, in the child, the RLIMIT_FSIZE case it runs.
const diskFullEnv = "FIRSTLINE_STORAGE_DISKFULL"

// The RLIMIT_FSIZE cases: the file cannot grow past its size (a full disk, for a file that has to grow),
// or no data page can be written at all (only the two meta pages at the start of the file).
const (
	caseCannotGrow = "file cannot grow"
	caseNoPage     = "no page can be written"
)

func TestCommitOnAFullDisk(t *testing.T) {
	for _, name := range []string{caseCannotGrow, caseNoPage} {
		t.Run("RLIMIT_FSIZE "+name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFullHelper$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), diskFullEnv+"="+name)
			out, err := cmd.CombinedOutput()
			text := string(out)
			if i := strings.Index(text, "--- SKIP"); i >= 0 {
				t.Skipf("in the child: %s", strings.TrimSpace(text[i:]))
			}
			for _, line := range strings.Split(text, "\n") {
				if l := strings.TrimSpace(line); strings.HasPrefix(l, "diskfull_test.go") {
					t.Log(l)
				}
			}
			if err != nil || !strings.Contains(text, "--- PASS: TestDiskFullHelper") {
				t.Fatalf("the child failed (%v):\n%s", err, text)
			}
		})
	}
	t.Run("tmpfs full", func(t *testing.T) {
		dir := mountTmpfs(t, 4<<20)
		var filler *os.File
		fill := func(t *testing.T) {
			var err error
			filler, err = os.Create(filepath.Join(dir, "filler"))
			if err != nil {
				t.Fatal(err)
			}
			block := make([]byte, 4096)
			for {
				if _, err = filler.Write(block); err != nil {
					break
				}
			}
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the tmpfs: %v, want ENOSPC", err)
			}
		}
		free := func(t *testing.T) {
			filler.Close()
			if err := os.Remove(filler.Name()); err != nil {
				t.Fatal(err)
			}
		}
		commitOnAFullDisk(t, filepath.Join(dir, "f.db"), fill, free, syscall.ENOSPC, false)
	})
}

// TestDiskFullHelper is the child of TestCommitOnAFullDisk's RLIMIT_FSIZE cases; without diskFullEnv it
// does nothing.
func TestDiskFullHelper(t *testing.T) {
	name := os.Getenv(diskFullEnv)
	if name == "" {
		return
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skipf("RLIMIT_FSIZE: %v", err)
	}
	// Whatever happens, the limit is lifted before the child writes anything else (coverage data, say).
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old) })
	pageSize := int64(os.Getpagesize())
	path := filepath.Join(t.TempDir(), "f.db")
	setLimit := func(t *testing.T, cur uint64) {
		t.Helper()
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: cur, Max: old.Max}); err != nil {
			t.Skipf("cannot set RLIMIT_FSIZE to %d: %v", cur, err)
		}
	}
	fill := func(t *testing.T) {
		limit := uint64(2 * pageSize) // the meta pages, which a commit writes last
		if name == caseCannotGrow {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			limit = uint64(st.Size())
		}
		if limit > old.Max {
			t.Skipf("the hard RLIMIT_FSIZE (%d) is below the %d bytes the test needs", old.Max, limit)
		}
		setLimit(t, limit)
		// Some sandboxes do not enforce the limit: see that a write past it fails as it should.
		probe, err := os.CreateTemp(t.TempDir(), "probe")
		if err != nil {
			t.Fatal(err)
		}
		defer probe.Close()
		if _, err := probe.WriteAt([]byte{1}, int64(limit)); !errors.Is(err, syscall.EFBIG) {
			setLimit(t, old.Cur)
			t.Skipf("RLIMIT_FSIZE is not enforced here: a write past it returned %v, want EFBIG", err)
		}
		t.Logf("RLIMIT_FSIZE set to %d bytes (the file has %d)", limit, fileSize(t, path))
	}
	free := func(t *testing.T) { setLimit(t, old.Cur) }
	commitOnAFullDisk(t, path, fill, free, syscall.EFBIG, name == caseNoPage)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// commitOnAFullDisk fills the disk (fill), tries commits that must fail, checks that nothing of them was
// kept and the file is sound, frees space (free) and checks that the same DB takes writes again. errno is
// what the failed writes return (some of bbolt's errors do not wrap it, so it is only logged). With
// noPage no page at all can be written, so even a small commit fails, and so does Ping; otherwise only a
// commit that makes the file grow is sure to fail (a small one may fit in pages the file already has, as
// on a real full disk).
func commitOnAFullDisk(t *testing.T, path string, fill, free func(*testing.T), errno syscall.Errno, noPage bool) {
	ctx := context.Background()
	// Synced commits, as the desk makes them: an fsync error is part of what may come back.
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := db.Update(ctx, func(tx bot.Tx) error {
		for _, who := range []string{"test:alice", "test:bob", "test:carol"} {
			tk := newTicket(who)
			tk.Transcript = []bot.Entry{{At: now, Author: who, Role: bot.RoleRequester, Text: "my " + who + " laptop is slow"}}
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
			if err := tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Platform: "test", Lane: who, Ticket: tk.ID, CreatedAt: now}); err != nil {
				return err
			}
		}
		_, err := tx.RecordDedupKey("test\x1fev-before", now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	before := dumpStore(t, db)

	fill(t)
	// What an event does: a dedup key, a ticket with its conversation, an effect. Large enough (a pasted
	// log) that the file has to grow, so it needs space whatever the free pages inside the file.
	big := strings.Repeat("2030-01-02 03:04:05 disk I/O error on sector 12345, retrying\n", 8000)
	event := func(n int, text string) func(bot.Tx) error {
		return func(tx bot.Tx) error {
			if seen, err := tx.RecordDedupKey(fmt.Sprintf("test\x1fev-full-%d", n), now); err != nil || seen {
				return fmt.Errorf("seen %v: %v", seen, err)
			}
			tk := newTicket(fmt.Sprintf("test:dave%d", n))
			tk.Transcript = []bot.Entry{{At: now, Author: tk.Requester, Role: bot.RoleRequester, Text: text}}
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
			return tx.Enqueue(&bot.Effect{Kind: bot.EffectPost, Platform: "test", Lane: tk.Requester, Ticket: tk.ID, CreatedAt: now})
		}
	}
	const attempts = 5
	for n := range attempts {
		text := big
		if noPage && n%2 == 1 {
			text = "my screen flickers"
		}
		err := db.Update(ctx, event(n, text))
		if err == nil {
			t.Fatalf("commit %d of a %d-byte ticket on a full disk succeeded", n+1, len(text))
		}
		if n < 2 {
			t.Logf("failed commit of %d bytes: %v (errno %v in the chain: %v)", len(text), err, errno, errors.Is(err, errno))
		}
		// The log line an operator gets must say which file and what to look at.
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "disk full") {
			t.Errorf("commit error %q does not name the data file %s and say the disk may be full", msg, path)
		}
		if got := dumpStore(t, db); got != before {
			t.Fatalf("after failed commit %d the store changed:\nbefore:\n%s\nafter:\n%s", n+1, before, got)
		}
	}
	switch err := db.Ping(ctx); {
	case err == nil && noPage:
		t.Error("Ping succeeded with no page writable")
	case err == nil:
		t.Log("Ping (a heartbeat rewritten in place) still succeeds: it fits in pages the file has")
	case !strings.Contains(err.Error(), path):
		t.Errorf("Ping's error %q does not name the data file", err)
	}
	checkSound(t, db, "while the disk is full")

	free(t)
	// The same DB, not reopened: nothing of the failed commits was kept (the dedup key is new, the ticket
	// id is the next after the three), and the big commit now goes through.
	var id string
	if err := db.Update(ctx, func(tx bot.Tx) error {
		if err := event(0, big)(tx); err != nil {
			return err
		}
		tks, err := tx.FindTickets(bot.TicketFilter{Requester: "test:dave0"})
		if err != nil || len(tks) != 1 {
			return fmt.Errorf("tickets of dave0: %d, %v", len(tks), err)
		}
		id = tks[0].ID
		return nil
	}); err != nil {
		t.Fatalf("commit after space returned: %v", err)
	}
	if id != "T-000004" {
		t.Errorf("the ticket committed after space returned is %s, want T-000004: failed commits used up ids", id)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping after space returned: %v", err)
	}
	checkSound(t, db, "after space returned")
	after := dumpStore(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// What is on the disk is what the DB said: reopened, the same, and sound.
	db2, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if got := dumpStore(t, db2); got != after {
		t.Errorf("reopened, the file holds:\n%s\nwant:\n%s", got, after)
	}
	checkSound(t, db2, "reopened")
	t.Logf("%d commits refused while full, store unchanged; after space returned: committed %s, file %d KiB, check clean",
		attempts, id, fileSize(t, path)>>10)
}

// dumpStore is what the file holds that an event changes: tickets with their transcripts' sizes,
// conversations, effects.
func dumpStore(t *testing.T, db *storage.DB) string {
	t.Helper()
	var b strings.Builder
	if err := db.View(context.Background(), func(tx bot.Tx) error {
		tks, err := tx.FindTickets(bot.TicketFilter{})
		if err != nil {
			return err
		}
		for _, tk := range tks {
			n := 0
			for _, e := range tk.Transcript {
				n += len(e.Text)
			}
			linked, err := tx.TicketByConversation(tk.Conversation)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "ticket %s of %s: %d entries, %d bytes; conversation -> %s\n", tk.ID, tk.Requester, len(tk.Transcript), n, linked.ID)
		}
		effs, err := tx.Effects(0, 0)
		if err != nil {
			return err
		}
		for _, e := range effs {
			fmt.Fprintf(&b, "effect %d for %s\n", e.Seq, e.Ticket)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkSound runs bbolt's page check and Firstline's own.
func checkSound(t *testing.T, db *storage.DB, when string) {
	t.Helper()
	if err := db.Check(); err != nil {
		t.Errorf("bbolt check %s: %v", when, err)
	}
	r, err := db.CheckAll(context.Background())
	if err != nil {
		t.Errorf("check %s: %v", when, err)
	}
	if len(r.Problems) > 0 {
		t.Errorf("check %s: %s", when, strings.Join(r.Problems, "; "))
	}
}

// mountTmpfs mounts a tmpfs of size bytes in a temporary directory, or skips the test where that is not
// allowed (not root, no CAP_SYS_ADMIN, a sandbox).
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}
