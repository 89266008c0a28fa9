package bot_test

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot/bottest"
)

type failingReporter struct{}

func (failingReporter) Summary(context.Context, time.Time) (string, error) {
	return "", fmt.Errorf("read tickets: %w", &fs.PathError{Op: "open", Path: "/var/lib/firstline/firstline.db", Err: fs.ErrPermission})
}

// TestReportFailureIsASentence: a report that cannot be computed gets a sentence that says what to do,
// never the Go error behind it.
func TestReportFailureIsASentence(t *testing.T) {
	d := bottest.NewDesk(t, testConfig(), openStore(t, ""), testLibrary())
	d.Engine.SetReporter(failingReporter{})
	d.Say(tom, "tier2", "!report")
	got := lastText(d, "tier2")
	if !strings.Contains(got, "could not be computed") {
		t.Fatalf("the report's failure was answered %q", got)
	}
	for _, leak := range []string{"read tickets", "/var/lib", "permission denied", "open "} {
		if strings.Contains(got, leak) {
			t.Errorf("the reply %q shows the Go error (%q)", got, leak)
		}
	}
}
