package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/report"
)

// TestHTMLSelfContained: the page must open from a mail attachment or a file share, so it fetches nothing.
func TestHTMLSelfContained(t *testing.T) {
	r := report.Build(desk(), report.Options{Since: since, Until: until, Tiers: tiers, SLA: nineToFiveSLA()})
	var b bytes.Buffer
	if err := r.HTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", "<link", "src=", "href=", "url(", "@import"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q: it would fetch something", bad)
		}
	}
	for _, want := range []string{
		"<title>Service desk report, 2026-11-02 – 2026-11-08</title>",
		`<div class="label">Deflected</div><div class="value">25.0%</div>`,
		`<div class="label">SLA met</div><div class="value">42.9%</div>`,
		"Tickets opened per day by outcome", "SLA compliance per week", "Average rating per week", "Backlog by age",
		"2026-11-02: 1 deflected", "2026-11-02: 1 resolved by a human", // the stacked bars' tooltips
		"Printer on floor 3 is offline",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not contain %q", want)
		}
	}
	if n := strings.Count(page, "<svg "); n != 4 {
		t.Errorf("%d charts, want 4", n)
	}
}

// TestHTMLRendersInChromium opens the page, and an empty one, in headless Chromium when it is installed.
func TestHTMLRendersInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			browser = path
			break
		}
	}
	if browser == "" {
		t.Skip("no chromium on PATH")
	}
	for name, r := range map[string]*report.Report{
		"desk":  report.Build(desk(), report.Options{Since: since, Until: until, Tiers: tiers, SLA: nineToFiveSLA()}),
		"empty": report.Build(nil, report.Options{Since: since, Until: until, Tiers: tiers}),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			page, shot := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.png")
			var b bytes.Buffer
			if err := r.HTML(&b); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+filepath.Join(dir, "profile"),
				"--screenshot="+shot, "--window-size=1200,1600", "file://"+page)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("chromium: %v\n%s", err, out)
			}
			png, err := os.ReadFile(shot)
			if err != nil {
				t.Fatal(err)
			}
			if len(png) < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
				t.Fatalf("the screenshot is not a PNG of a page (%d bytes)", len(png))
			}
		})
	}
}

func TestCountAxis(t *testing.T) {
	// The four gridlines are whole numbers of tickets: the top is 4 × (⌈top/4⌉ rounded up to 1, 2 or 5 × 10ⁿ).
	for _, tc := range []struct {
		top  int
		want string // the label of the top gridline
	}{
		{1, ">4</text>"},   // ⌈0.25⌉ = 1 → 4
		{12, ">20</text>"}, // ⌈3⌉ = 3 → 5 → 20
		{62, ">80</text>"}, // ⌈15.5⌉ = 16 → 20 → 80
	} {
		var tickets []*bot.Ticket
		for i := range tc.top {
			tickets = append(tickets, &bot.Ticket{ID: bot.TicketID(uint64(i + 1)), Subject: "x", CreatedAt: since, Status: bot.StatusOpen})
		}
		var b bytes.Buffer
		if err := report.Build(tickets, report.Options{Since: since, Until: until}).HTML(&b); err != nil {
			t.Fatal(err)
		}
		if page := b.String(); !strings.Contains(page, `class="ylab">`+strings.TrimPrefix(tc.want, ">")) || strings.Contains(page, `class="ylab">0.5<`) {
			t.Errorf("%d tickets: no gridline %q, or a fractional one", tc.top, tc.want)
		}
	}
}
