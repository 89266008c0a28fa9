package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// local is a time in November 2026 in the local zone, where -since and -until dates are read.
func local(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, time.Local)
}

// mustReportData writes a data file with four tickets through the store, as the desk would have left them.
func mustReportData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.Open(filepath.Join(dir, "firstline.db"), storage.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := func(tm time.Time) *time.Time { return &tm }
	tr := func(tm time.Time, typ bot.TransitionType, to bot.Status, tier string) bot.Transition {
		return bot.Transition{At: tm, Type: typ, To: to, Tier: tier}
	}
	tickets := []*bot.Ticket{
		{ // deflected: solved by the bot in five minutes
			Priority: "P3", Subject: "VPN will not connect", CreatedAt: local(2, 10, 0), Status: bot.StatusResolved, Tier: bot.LevelOne,
			Requester: "console:alice", ResolvedAt: at(local(2, 10, 5)),
			Offers:      []bot.Offer{{Article: "vpn-connect", Title: "Connect to Example VPN", At: local(2, 10, 0), Feedback: bot.FeedbackSolved}},
			Transitions: []bot.Transition{tr(local(2, 10, 0), "opened", bot.StatusOpen, "L1"), tr(local(2, 10, 5), "resolved", bot.StatusResolved, "L1")},
		},
		{ // escalated at once, claimed after 30 minutes, resolved after 3 hours, rated 4
			Priority: "P2", Subject: "Printer on floor 3 is offline", CreatedAt: local(3, 9, 0), Status: bot.StatusResolved, Tier: "tier2",
			Requester: "console:bob", ResolvedAt: at(local(3, 12, 0)), CSAT: &bot.Rating{Score: 4, RatedAt: local(3, 12, 30)},
			Transitions: []bot.Transition{tr(local(3, 9, 0), "opened", bot.StatusOpen, "L1"), tr(local(3, 9, 10), "escalated", bot.StatusEscalated, "tier2"),
				tr(local(3, 9, 40), "claimed", bot.StatusClaimed, "tier2"), tr(local(3, 12, 0), "resolved", bot.StatusResolved, "tier2")},
		},
		{ // waiting in Tier 2's queue
			Priority: "P3", Subject: "Need Photoshop installed", CreatedAt: local(5, 14, 0), Status: bot.StatusEscalated, Tier: "tier2",
			Requester:   "console:carol",
			Transitions: []bot.Transition{tr(local(5, 14, 0), "opened", bot.StatusOpen, "L1"), tr(local(5, 14, 0), "escalated", bot.StatusEscalated, "tier2")},
		},
		{ // opened long before the window and still with the bot
			Priority: "P4", Subject: "Old question", CreatedAt: local(-30, 9, 0), Status: bot.StatusOpen, Tier: bot.LevelOne,
			Requester:   "console:dave",
			Transitions: []bot.Transition{tr(local(-30, 9, 0), "opened", bot.StatusOpen, "L1")},
		},
	}
	if err := db.Update(context.Background(), func(tx bot.Tx) error {
		for _, tk := range tickets {
			if err := tx.CreateTicket(tk); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReportCommand(t *testing.T) {
	data := mustReportData(t)
	window := []string{"report", "-data", data, "-since", "2026-11-02", "-until", "2026-11-08"}

	t.Run("text", func(t *testing.T) {
		out, errOut, code := runMain(t, window...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{
			"Service desk report, 2026-11-02 – 2026-11-08",
			"Opened          3", // the old ticket was opened before the window
			"Resolved        2",
			"Deflected       1  33.3% of opened",
			"Reached Tier 2  2  66.7% of opened", // the Photoshop and printer tickets
			// One response: 09:10 → 09:40. Resolutions 5m and 3h: median rank ⌈1⌉ → 5m, p90 rank ⌈1.8⌉ → 3h.
			"First response  1        30m     30m",
			"Resolution      2        5m      3h 00m",
			"Average 4.00 from 1 rating ",
			"Backlog: 2 tickets active",
			// At 9 Nov 00:00: the old one is 38d 15h old (≥7d), the Photoshop one 3d 10h (3–7d).
			"Level 1  0    0     0     1    1",
			"Tier 2   0    0     1     0    1",
			"Need Photoshop installed", // a knowledge gap: no article offered
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output without %q:\n%s", want, out)
			}
		}
	})

	t.Run("json and html", func(t *testing.T) {
		page := filepath.Join(t.TempDir(), "report.html")
		out, errOut, code := runMain(t, append(window, "-json", "-html", page)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var r struct {
			Opened         int     `json:"opened"`
			Deflected      int     `json:"deflected"`
			DeflectionRate float64 `json:"deflection_rate"`
			Backlog        struct {
				Total int    `json:"total"`
				ByAge [4]int `json:"by_age"`
			} `json:"backlog"`
			Series struct {
				Days []json.RawMessage `json:"days"`
			} `json:"series"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if r.Opened != 3 || r.Deflected != 1 || r.DeflectionRate != 1.0/3 || r.Backlog.Total != 2 || r.Backlog.ByAge != [4]int{0, 0, 1, 1} || len(r.Series.Days) != 7 {
			t.Fatalf("figures %+v", r)
		}
		html, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(html), "<title>Service desk report, 2026-11-02 – 2026-11-08</title>") {
			t.Fatalf("not the report page:\n%.400s", html)
		}
	})

	t.Run("a span before until", func(t *testing.T) {
		// 2 days back from the end of 8 Nov: 7 and 8 Nov, when nothing was opened.
		out, errOut, code := runMain(t, "report", "-data", data, "-since", "2d", "-until", "2026-11-08", "-json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(out, `"opened": 0,`) || !strings.Contains(out, `"total": 2,`) {
			t.Fatalf("want nothing opened and a backlog of 2:\n%s", out)
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad since", []string{"report", "-data", data, "-since", "last week"}, `-since "last week" is neither a span`},
		{"negative span", []string{"report", "-data", data, "-since", "-3d"}, `-since "-3d" is neither a span`},
		{"bad until", []string{"report", "-data", data, "-until", "30/11/2026"}, `-until "30/11/2026" is not a date`},
		{"since after until", []string{"report", "-data", data, "-since", "2026-12-01", "-until", "2026-11-08"}, "is not before -until"},
		{"arguments", []string{"report", "-data", data, "weekly"}, "report takes no arguments"},
		{"no data yet", []string{"report", "-data", filepath.Join(data, "nowhere")}, "no data file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runMain(t, tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want an error with %q", code, errOut, tc.want)
			}
		})
	}
}

func TestParseSince(t *testing.T) {
	until := time.Date(2026, 11, 30, 0, 0, 0, 0, time.Local)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"30d", time.Date(2026, 10, 31, 0, 0, 0, 0, time.Local)},
		{"1d", time.Date(2026, 11, 29, 0, 0, 0, 0, time.Local)},
		{"12h", time.Date(2026, 11, 29, 12, 0, 0, 0, time.Local)},
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.Local)},
	} {
		got, err := parseSince(tc.in, until)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// TestReportHTMLWritesNoPlantedFile: a link planted where the page's temporary file would have been
// (FILE.tmp, the name it used to have) or at FILE itself must not carry the page to what it points at:
// the page lands at FILE, a file of its own, and the target is untouched; no temporary file is left.
func TestReportHTMLWritesNoPlantedFile(t *testing.T) {
	data := mustReportData(t)
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, link string }{{"FILE.tmp", "report.html.tmp"}, {"FILE", "report.html"}} {
		t.Run(tc.name, func(t *testing.T) {
			page := filepath.Join(dir, "report.html")
			os.Remove(page)
			if err := os.Symlink(victim, filepath.Join(dir, tc.link)); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(filepath.Join(dir, tc.link))
			out, errOut, code := runMain(t, "report", "-since", "2026-11-01", "-until", "2026-11-30", "-html", page, "-data", data)
			// The report on stdout, the progress on stderr: report > file holds the report alone.
			if code != 0 || !strings.HasPrefix(out, "Service desk report") || strings.Contains(out, "HTML") || errOut != "The HTML report is in "+page+".\n" {
				t.Fatalf("report -html: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			if b, _ := os.ReadFile(victim); string(b) != "precious" {
				t.Fatalf("the page went through the link planted at %s", tc.link)
			}
			fi, err := os.Lstat(page)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
				t.Fatalf("the page is not a file of its own with mode 0644: %v %v", fi, err)
			}
			if b, _ := os.ReadFile(page); !strings.HasPrefix(string(b), "<!DOCTYPE html>") {
				t.Fatal("the page is not the report")
			}
			left, _ := filepath.Glob(filepath.Join(dir, ".report.html.tmp*"))
			if len(left) > 0 {
				t.Fatalf("temporary files left: %v", left)
			}
		})
	}
}
