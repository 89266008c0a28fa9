package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/storage/storagetest"
)

// mustDeskData is a data directory as a desk leaves it: the demo knowledge base imported by the desk
// itself, and n tickets more than storeTickets' (rewritten once each, so the freelist has pages).
func mustDeskData(t *testing.T, n int) string {
	t.Helper()
	data := mustStoreData(t, storeTickets(time.Now())...)
	if _, errOut, code := runMain(t, "-data", data); code != 0 {
		t.Fatalf("the desk: exit %d: %s", code, errOut)
	}
	db, err := storage.Open(filepath.Join(data, "firstline.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range n {
		err := db.Update(context.Background(), func(tx bot.Tx) error {
			tk := &bot.Ticket{Version: bot.TicketVersion, Status: bot.StatusOpen, Tier: bot.LevelOne, Priority: "P3",
				Requester: fmt.Sprintf("console:user%d", i%13), Subject: fmt.Sprintf("printer %d jams again and again", i),
				Conversation: bot.Conversation{Platform: "console", Channel: "help", Thread: fmt.Sprintf("t%d", i)}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
			if err := tx.LinkConversation(tk.Conversation, tk.ID); err != nil {
				return err
			}
			tk.Status = bot.StatusResolved
			return tx.PutTicket(tk)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// commandsOnData are the commands that open the data file in DATA, for reading or for writing. OUT is a
// fresh path to write to; GOOD is a sound backup.
var commandsOnData = [][]string{
	{"tickets", "list"}, {"tickets", "list", "-json"}, {"tickets", "show", "T-000001"}, {"report"}, {"report", "-json"},
	{"audit"}, {"kb", "export", "OUT"}, {"kb", "search", "printer"}, {"check"}, {"backup", "OUT"},
	{"kb", "import", "KB"}, {"erase-user", "console:bob"}, {"compact"}, {"run"},
}

// runOnData runs one of commandsOnData on the data directory data.
func runOnData(t *testing.T, data, good string, args []string) (stdout, stderr string, code int) {
	t.Helper()
	full := []string{"-data", data}
	out := filepath.Join(data, "out")
	for _, a := range args {
		switch a {
		case "OUT":
			a = out
		case "GOOD":
			a = good
		case "KB":
			a = "testdata/kb-one"
		}
		full = append(full, a)
	}
	return runMain(t, full...)
}

// TestNoCommandCrashesOnADamagedDataFile runs every command that opens the data file, and restore, on a
// corpus of damaged data files: cut short at and around every page boundary, bytes flipped or rewritten
// in the meta pages, the freelist, branch and leaf pages. None may crash (the test binary would die with
// it) or print a stack; each fails, if it fails, with status 1 and a sentence; a file cut short is named
// as such; restoring a backup over any of them works.
func TestNoCommandCrashesOnADamagedDataFile(t *testing.T) {
	data := mustDeskData(t, 60)
	path := filepath.Join(data, "firstline.db")
	good := filepath.Join(t.TempDir(), "good.db")
	mustRun(t, "verified", "backup", good, "-data", data)
	corpus := storagetest.Corpus(t, path, t.TempDir(), 7)
	t.Logf("%d damaged copies", len(corpus))
	for i, d := range corpus {
		// A reader on every copy, where it is (it changes nothing); every command, and a restore over
		// it, on a sample, each on a copy of its own (those write, and fsync).
		if _, errOut, code := runOnData(t, filepath.Dir(d.Path), good, commandsOnData[0]); code != 0 && code != 1 ||
			strings.Contains(errOut, "goroutine") || d.CutShort && !strings.Contains(errOut, d.Path+" is damaged (cut short at ") {
			t.Fatalf("%s: firstline tickets list: exit %d\n%s", d.Name, code, errOut)
		}
		if i%25 != 0 {
			continue
		}
		damaged, err := os.ReadFile(d.Path)
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range append(commandsOnData[1:], []string{"restore", "GOOD"}) {
			work := t.TempDir()
			file := filepath.Join(work, "firstline.db")
			os.WriteFile(file, damaged, 0o600)
			_, errOut, code := runOnData(t, work, good, args)
			where := fmt.Sprintf("%s: firstline %s", d.Name, strings.Join(args, " "))
			if code != 0 && code != 1 || strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Fatalf("%s: exit %d\n%s", where, code, errOut)
			}
			if args[0] == "restore" && code != 0 {
				t.Fatalf("%s: restoring over it failed: %s", where, errOut)
			}
			if d.CutShort && args[0] != "restore" && !strings.Contains(errOut, file+" is damaged (cut short at ") {
				t.Fatalf("%s: exit %d, does not say the file is cut short:\n%s", where, code, errOut)
			}
		}
	}
}

// TestDamagedDataFileThroughTheBinary is what a person sees of a data file cut short, from the real binary:
// one sentence and status 1 from the commands that read it, check included; restore puts a backup in its
// place; and restoring from a backup cut short is refused the same way.
func TestDamagedDataFileThroughTheBinary(t *testing.T) {
	data := mustDeskData(t, 40)
	path := filepath.Join(data, "firstline.db")
	good := filepath.Join(t.TempDir(), "good.db")
	mustRun(t, "verified", "backup", good, "-data", data)
	whole, _ := os.ReadFile(path)
	ps, hwm, _, _ := storagetest.Layout(t, path)
	cut := (hwm / 2) * ps
	os.WriteFile(path, whole[:cut], 0o600)
	want := fmt.Sprintf("firstline: %s is damaged (cut short at %d of %d bytes): restore a backup\n", path, cut, hwm*ps)
	for _, args := range [][]string{{"tickets", "list"}, {"check"}, {"report"}, {"kb", "export", t.TempDir()}} {
		cmd := exec.Command(firstlineBinary(t), append(args, "-data", data)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if cmd.ProcessState.ExitCode() != 1 || stderr.String() != want {
			t.Fatalf("firstline %s: %v\nstderr: %q\nwant:   %q", strings.Join(args, " "), err, stderr.String(), want)
		}
	}
	// A backup cut short is refused, and the data file stays as it was.
	short := filepath.Join(t.TempDir(), "short.db")
	good2, _ := os.ReadFile(good)
	os.WriteFile(short, good2[:len(good2)/2], 0o600)
	out, err := runCLI(t, "restore", short, "-data", data)
	if err == nil || !strings.Contains(out, "the backup cannot be restored: "+short+" is damaged (cut short at ") || strings.Contains(out, "goroutine") {
		t.Fatalf("restore from a backup cut short: %v\n%s", err, out)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, whole[:cut]) {
		t.Fatal("a refused restore changed the data file")
	}
	out, err = runCLI(t, "restore", good, "-data", data)
	if err != nil || !strings.Contains(out, "Restored") {
		t.Fatalf("restore over the file cut short: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "check", "-data", data); err != nil || !strings.Contains(out, "no problems found") {
		t.Fatalf("check after the restore: %v\n%s", err, out)
	}
}

// TestFilesThatAreNotFirstlinesAreRefused: a zero-byte file, another program's bbolt file and a file that
// is no bbolt file at all, where the data file should be, are refused by every command that opens the
// data file, for reading or writing, with one sentence and status 1, and left exactly as they were.
func TestFilesThatAreNotFirstlinesAreRefused(t *testing.T) {
	foreign := filepath.Join(t.TempDir(), "foreign.db")
	b, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucket([]byte("sessions"))
		if err != nil {
			return err
		}
		return bk.Put([]byte("k"), []byte("v"))
	})
	b.Close()
	foreignBytes, _ := os.ReadFile(foreign)
	good := filepath.Join(t.TempDir(), "good.db")
	mustRun(t, "verified", "backup", good, "-data", mustStoreData(t, storeTickets(time.Now())...))

	for _, tc := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"zero bytes", nil, "is empty (0 bytes), not a Firstline data file: restore a backup, or remove it to start a new one"},
		{"another program's bbolt file", foreignBytes, "is not a Firstline data file (it is a bbolt file without Firstline's schema version, another program's)"},
		{"text", []byte(strings.Repeat("not a database\n", 700)), "is not a Firstline data file (nor any bbolt file)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, args := range commandsOnData {
				data := t.TempDir()
				file := filepath.Join(data, "firstline.db")
				os.WriteFile(file, tc.content, 0o600)
				_, errOut, code := runOnData(t, data, good, args)
				if code != 1 || !strings.Contains(errOut, file+" "+tc.want) || strings.Count(errOut, "\n") != 1 {
					t.Fatalf("firstline %s: exit %d, want 1 and %q:\n%s", strings.Join(args, " "), code, tc.want, errOut)
				}
				if now, err := os.ReadFile(file); err != nil || !bytes.Equal(now, tc.content) {
					t.Fatalf("firstline %s changed the file (%v)", strings.Join(args, " "), err)
				}
			}
			// Restoring from such a file is refused too; restoring over one works.
			data := t.TempDir()
			bad := filepath.Join(t.TempDir(), "bad.db")
			os.WriteFile(bad, tc.content, 0o600)
			mustFail(t, 1, "the backup cannot be restored: "+bad, "restore", bad, "-data", data)
			os.WriteFile(filepath.Join(data, "firstline.db"), tc.content, 0o600)
			mustRun(t, "Restored", "restore", good, "-data", data)
		})
	}
}
