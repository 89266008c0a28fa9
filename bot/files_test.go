package bot_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/bot/bottest"
)

// uploads returns the messages in channel that posted a file.
func uploads(d *bottest.Desk, chat *bottest.Chat, channel string) []*bottest.Message {
	var out []*bottest.Message
	for _, m := range chat.Messages(channel) {
		if m.File != nil {
			out = append(out, m)
		}
	}
	return out
}

// TestAttachmentsReachTheCard: a screenshot sent with the question is recorded on the ticket and, once
// it reaches a tier, listed on the card and posted in the card's thread; one sent later goes straight
// there; a technician's file reaches the requester.
func TestAttachmentsReachTheCard(t *testing.T) {
	d, db := newDesk(t)
	shot := d.Chat.AddFile("screen shot.png", "image/png", []byte("the first screenshot"))
	q := d.SayFiles(alice, "help", "", "the printer on floor 3 is on fire", shot)
	tk := ticket(t, db, "T-000001")
	if tk.Status != bot.StatusEscalated || len(tk.Files) != 1 || tk.Files[0].ID != shot.ID || tk.Files[0].Side != bot.RoleRequester {
		t.Fatalf("ticket %s, files %+v", tk.Status, tk.Files)
	}
	card := d.Chat.Messages("tier2")[0]
	mustContain(t, "the card", card.Text(), "Attachments (in this thread):", "**screen shot.png** (image/png, 20 bytes) from alice")
	up := uploads(d, d.Chat, "tier2")
	if len(up) != 1 || up[0].Ref.Thread != card.Ref.ID || !bytes.Equal(up[0].Content, []byte("the first screenshot")) {
		t.Fatalf("uploads in tier2: %+v", up)
	}
	mustContain(t, "the upload's text", up[0].Text(), "**alice** (requester) sent **screen shot.png**")

	log := d.Chat.AddFile("log.txt", "text/plain", []byte("error 42"))
	d.SayFiles(alice, "help", q, "", log)
	up = uploads(d, d.Chat, "tier2")
	if len(up) != 2 || up[1].File.Name != "log.txt" || up[1].Ref.Thread != card.Ref.ID {
		t.Fatalf("a file sent later: %+v", up)
	}
	// Tom's file from the card's thread reaches alice's thread; a note's file stays with the technicians.
	fix := d.Chat.AddFile("fix.reg", "text/plain", []byte("REGEDIT4"))
	d.SayFiles(tom, "tier2", card.Ref.ID, "try this", fix)
	got := uploads(d, d.Chat, "help")
	if len(got) != 1 || got[0].Ref.Thread != q || string(got[0].Content) != "REGEDIT4" {
		t.Fatalf("tom's file in alice's thread: %+v", got)
	}
	secret := d.Chat.AddFile("notes.txt", "text/plain", []byte("internal"))
	d.SayFiles(tom, "tier2", card.Ref.ID, "note: see the attached", secret)
	if got := uploads(d, d.Chat, "help"); len(got) != 1 {
		t.Fatalf("a note's file reached the requester: %d uploads", len(got))
	}
	if n := len(ticket(t, db, "T-000001").Files); n != 4 {
		t.Fatalf("%d files recorded", n)
	}
}

// TestBadFilesRefused: a file over the desk's limit and one of a refused type get a reply, are recorded
// as refused, and are not passed on.
func TestBadFilesRefused(t *testing.T) {
	cfg := testConfig()
	cfg.Files = bot.FilesConfig{MaxBytes: 100, Refuse: []string{".exe", "video/*"}}
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	big := d.Chat.AddFile("dump.bin", "application/octet-stream", bytes.Repeat([]byte("x"), 101))
	exe := d.Chat.AddFile("Setup.EXE", "application/octet-stream", []byte("MZ"))
	vid := d.Chat.AddFile("screen.mov", "video/quicktime", []byte("mov"))
	ok := d.Chat.AddFile("ok.png", "image/png", []byte("png"))
	d.SayFiles(alice, "help", "", "the printer on floor 3 is on fire", big, exe, vid, ok)
	reply := d.Chat.Messages("help")[0]
	mustContain(t, "the reply", reply.Text(), "I can't pass on **dump.bin**", "101 bytes, and the desk passes on files up to 100 bytes",
		"I can't pass on **Setup.EXE**", "does not take .exe files", "**screen.mov**", "does not take video files")
	if strings.Contains(reply.Text(), "ok.png") {
		t.Fatalf("the good file was refused: %s", reply.Text())
	}
	tk := ticket(t, db, "T-000001")
	refused := 0
	for _, a := range tk.Files {
		if a.Refused != "" {
			refused++
		}
	}
	if len(tk.Files) != 4 || refused != 3 {
		t.Fatalf("files %+v", tk.Files)
	}
	up := uploads(d, d.Chat, "tier2")
	if len(up) != 1 || up[0].File.Name != "ok.png" {
		t.Fatalf("passed on: %+v", up)
	}
	mustContain(t, "the card", d.Chat.Messages("tier2")[0].Text(), "dump.bin", "not passed on")
	// A file whose platform did not say its size is stopped as it is copied, and linked instead.
	unsized := d.Chat.AddFile("trace.log", "text/plain", bytes.Repeat([]byte("y"), 500))
	unsized.Size = 0
	d.SayFiles(alice, "help", d.Chat.Messages("help")[0].Ref.Thread, "", unsized)
	last := d.Chat.Last("tier2")
	if last.File != nil {
		t.Fatalf("a file over the limit was copied: %d bytes", len(last.Content))
	}
	mustContain(t, "the link", last.Text(), "[trace.log](https://files.test/F5)", "larger than the 100 bytes the desk copies")
}

// TestFileToAnotherPlatform: a tier on another platform gets the file copied there, read from the
// platform that holds it; a platform that refuses it gets a link and a note why.
func TestFileToAnotherPlatform(t *testing.T) {
	cfg := testConfig()
	cfg.Tiers[0].Channel = "other:tier2"
	db := openStore(t, "")
	d := bottest.NewDesk(t, cfg, db, testLibrary())
	other := bottest.NewChat("other")
	d.Engine.AddChat(other)
	shot := d.Chat.AddFile("a.png", "image/png", []byte("pixels"))
	d.SayFiles(alice, "help", "", "the printer on floor 3 is on fire", shot)
	up := uploads(d, other, "tier2")
	if len(up) != 1 || string(up[0].Content) != "pixels" || up[0].File.Platform != "test" {
		t.Fatalf("uploads on the other platform: %+v", up)
	}
	other.RefuseUploads()
	q := d.Chat.Messages("help")[0].Ref.Thread
	d.SayFiles(alice, "help", q, "", d.Chat.AddFile("b.png", "image/png", []byte("more")))
	last := other.Last("tier2")
	mustContain(t, "the link", last.Text(), "[b.png](https://files.test/F2)", "not copied here: the platform refused it")
}
