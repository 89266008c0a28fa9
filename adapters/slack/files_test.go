package slack_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
)

// TestAttachmentRelayedSlackToSlack: a screenshot alice posts with her question reaches the card's thread
// in the tier channel, copied (a file in her help thread, or her DM, is not visible to technicians by
// link); one she posts later too, once, even when Slack's answer to the upload is lost; tom's file
// reaches her thread; an oversized file and a refused type get a reply and are not passed on.
func TestAttachmentRelayedSlackToSlack(t *testing.T) {
	d := newIntakeDesk(t)
	shot := d.fake.AddFile("UALICE", "screen.png", "image/png", []byte("PNG first screenshot"))
	q := d.sayFiles("UALICE", "CHELP", "", "My VPN will not connect", "channel", shot)
	d.flush()
	answer := d.find("CHELP", q, "Talk to a human")
	d.click("UALICE", answer, q, "human")
	d.flush()
	card := d.find("CTIER2", "", "T-000001")
	if !strings.Contains(string(card.Blocks), "Attachments (in this thread)") || !strings.Contains(string(card.Blocks), "screen.png") {
		t.Fatalf("card: %s", card.Blocks)
	}
	up := d.fake.WaitUploads(t, 1)
	if up[0].Channel != "CTIER2" || up[0].ThreadTS != card.TS || len(up[0].Files) != 1 || !bytes.Equal(up[0].Files[0].Content, []byte("PNG first screenshot")) {
		t.Fatalf("upload: %+v", up[0])
	}
	if !strings.Contains(string(up[0].Blocks), "sent *screen.png*") {
		t.Fatalf("the upload's message: %s", up[0].Blocks)
	}
	// A later file, whose upload Slack completes but whose answer is lost: posted once all the same.
	d.fake.LoseNext("files.completeUploadExternal", fakeslack.ServerError)
	log := d.fake.AddFile("UALICE", "vpn.log", "text/plain", []byte("error 809"))
	d.sayFiles("UALICE", "CHELP", q, "", "channel", log)
	d.flush()
	up = d.fake.WaitUploads(t, 2)
	// The dispatcher retries after a backoff; give it the time the test would wait anyway.
	d.flushUntil(func() bool { return len(d.fake.Calls("files.completeUploadExternal")) >= 1 && d.outboxEmpty() })
	if n := len(d.fake.WaitUploads(t, 2)); n != 2 {
		t.Fatalf("%d uploads after a lost answer, want 2", n)
	}
	if got := up[1]; got.ThreadTS != card.TS || string(got.Files[0].Content) != "error 809" {
		t.Fatalf("second upload: %+v", got)
	}
	// Tom's file from the card's thread reaches alice's thread.
	fix := d.fake.AddFile("UTOM", "fix.reg", "text/plain", []byte("REGEDIT4"))
	d.sayFiles("UTOM", "CTIER2", card.TS, "try this", "channel", fix)
	d.flush()
	up = d.fake.WaitUploads(t, 3)
	if got := up[2]; got.Channel != "CHELP" || got.ThreadTS != q || string(got.Files[0].Content) != "REGEDIT4" {
		t.Fatalf("tom's file: %+v", got)
	}
	// Too large (the test desk takes 1,000 bytes), and a type the desk refuses.
	big := d.fake.AddFile("UALICE", "dump.bin", "application/octet-stream", bytes.Repeat([]byte("x"), 1001))
	exe := d.fake.AddFile("UALICE", "setup.exe", "application/octet-stream", []byte("MZ"))
	d.sayFiles("UALICE", "CHELP", q, "two more", "channel", big, exe)
	d.flush()
	reply := d.find("CHELP", q, "I can't pass on")
	for _, want := range []string{"dump.bin", "it is 1,001 bytes, and the desk passes on files up to 1,000 bytes", "setup.exe", "does not take .exe files"} {
		if !strings.Contains(reply.Text+string(reply.Blocks), want) {
			t.Fatalf("the reply lacks %q: %s", want, reply.Blocks)
		}
	}
	if n := len(d.fake.WaitUploads(t, 3)); n != 3 {
		t.Fatalf("%d uploads: a refused file was passed on", n)
	}
}
