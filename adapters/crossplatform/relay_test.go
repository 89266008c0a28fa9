// Package crossplatform_test relays text between people on different chat platforms through the real
// engine, with the real adapters on their fakes (and the console on a pipe), and checks that what the
// reader sees renders the same as what the writer typed.
package crossplatform_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/storage"
)

// formatCase is one formatting case as a person types it on each platform ("" when it cannot be typed
// there: Slack has no escapes, the console reads one line at a time).
type formatCase struct {
	name                    string
	slack, discord, console string
}

var formatCases = []formatCase{
	{"bold", "it is *really* down", "it is **really** down", "it is **really** down"},
	{"italic", "it is _really_ down", "it is _really_ down", "it is *really* down"},
	{"strike", "~old~ new", "~~old~~ new", "~~old~~ new"},
	{"bold italic", "*_now_*", "***now***", "**_now_**"},
	{"inline code", "run `ls *.log`", "run `ls *.log`", "run `ls *.log`"},
	{"code block", "```rm *.tmp &amp;&amp; echo *done*```", "```\nrm *.tmp && echo *done*\n```", ""},
	{"link with text", "see <https://example.com/a?b=1&amp;c=2|the guide>", "see [the guide](https://example.com/a?b=1&c=2)", "see [the guide](https://example.com/a?b=1&c=2)"},
	{"link without text", "see <https://example.com/x_y_z>", "see https://example.com/x_y_z", "see https://example.com/x_y_z"},
	{"user mention", "ask <@USARA> about it", "ask <@" + dSara + "> about it", "ask @sara about it"},
	{"channel mention", "see <#CGEN|general>", "see <#" + dGen + ">", "see #general"},
	{"arithmetic", "2*3*4 is 24", `2\*3\*4 is 24`, `2\*3\*4 is 24`},
	{"snake case", "set snake_case_name and max_retry", "set snake_case_name and max_retry", "set snake_case_name and max_retry"},
	{"escaped stars", "", `\*literal\* stars`, `\*literal\* stars`},
	{"entities", "a &lt; b &amp;&amp; c &gt; d", "a < b && c > d", "a < b && c > d"},
	{"angle brackets", "type &lt;your name&gt; and &lt;<https://x.example>&gt;", `type <your name> and \<https://x.example>`, `type <your name> and \<https://x.example>`},
	{"emoji", "thanks :tada: :+1:", "thanks 🎉 👍", "thanks 🎉 👍"},
	{"mass mention", "<!here> is it down?", "@here is it down?", "@here is it down?"},
	{"quote", "&gt; the error says 809\nwhat now?", "> the error says 809\nwhat now?", ""},
	{"heading typed in slack", "# 1 priority for me", `\# 1 priority for me`, `\# 1 priority for me`},
}

// newPairDesk starts an engine on a data file with the platforms of a requester and of a tier (one
// platform when they are the same), and returns them. opts change the engine's config first.
func newPairDesk(t *testing.T, requester, tier string, opts ...func(*bot.Config)) (platform, platform) {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "data.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sides := map[string]platform{}
	helpOf := map[string]string{"slack": "slack:CHELP", "discord": "discord:" + dHelp, "console": "console:help"}
	tierOf := map[string]string{"slack": "slack:CTIER", "discord": "discord:" + dTier, "console": "console:tier2"}
	cfg := bot.Config{
		Name: "Firstline", CommandPrefix: "!",
		HelpChannels: []string{helpOf[requester]},
		Tiers: []bot.Tier{{ID: "tier2", Name: "Tier 2", Channel: tierOf[tier],
			Members: []string{"slack:UTOM", "discord:" + dTom, "console:tom"}}},
		Reactions: bot.DefaultReactions, MinConfidence: kb.DefaultMinConfidence,
		ReopenWindow: 7 * 24 * time.Hour, DefaultPriority: "P3",
	}
	for _, o := range opts {
		o(&cfg)
	}
	engine, err := bot.New(cfg, db, kb.NewLibrary(nil, kb.Options{}), bot.SystemClock{}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{requester, tier} {
		if sides[name] != nil {
			continue
		}
		switch name {
		case "slack":
			sides[name] = newSlack(t, ctx, engine)
		case "discord":
			sides[name] = newDiscord(t, ctx, engine)
		case "console":
			sides[name] = newConsole(t, ctx, engine, db)
		}
	}
	done := make(chan struct{})
	go func() { _ = engine.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return sides[requester], sides[tier]
}

// after returns what follows marker in a view: the relay's own prefix ("**tom** (Tier 2): ") is the
// desk's, not the writer's.
func after(v view, marker string) string {
	_, rest, ok := strings.Cut(v.text, marker)
	if !ok {
		return "(no " + marker + " in " + v.text + ")"
	}
	return strings.TrimSpace(rest)
}

// TestFormattingAcrossPlatforms has a technician write on one platform and the requester read on
// another, and the other way round, for every pair of platforms and every formatting case: what the
// reader sees renders the same as what the writer typed, and no mention becomes a ping.
func TestFormattingAcrossPlatforms(t *testing.T) {
	names := []string{"slack", "discord", "console"}
	for _, rname := range names {
		for _, wname := range names {
			t.Run("requester on "+rname+", tier on "+wname, func(t *testing.T) {
				req, tech := newPairDesk(t, rname, wname)
				thread := req.ask("My VPN will not connect")
				req.find(thread, false, "") // the bot's answer, which starts the thread on Discord
				req.write("alice", thread, false, "!escalate")
				card := tech.card("T-000001")
				for i, c := range formatCases {
					relay(t, fmt.Sprintf("c%02d", i), c, tech, req, func(text string) { tech.write("tom", card, true, text) },
						func(marker string) string { return req.find(thread, false, marker) })
					relay(t, fmt.Sprintf("d%02d", i), c, req, tech, func(text string) { req.write("alice", thread, false, text) },
						func(marker string) string { return tech.find(card, true, marker) })
				}
			})
		}
	}
}

// relay has writer type the case (after a marker line), and checks what reader gets.
func relay(t *testing.T, marker string, c formatCase, writer, reader platform, write func(string), read func(string) string) {
	t.Helper()
	typed := writer.typed(c)
	if typed == "" || (reader.name() == "console" && strings.Contains(typed, "\n")) {
		return
	}
	sep := "\n"
	if writer.name() == "console" {
		sep = " " // one line
	}
	write(marker + sep + typed)
	got := read(marker)
	want := after(writer.seen(marker+sep+typed), marker)
	seen := reader.see(got)
	have := after(seen, marker)
	if reader.name() == "console" {
		want, have = unbold(want), unbold(have) // the console shows no bold, by design
	}
	if have != want {
		t.Errorf("%s, %s → %s:\n typed %q\n sent  %q\n wrote %s\n reads %s", c.name, writer.name(), reader.name(), typed, got, want, have)
	}
	if seen.pings > 0 {
		t.Errorf("%s, %s → %s: the reader is notified: %q", c.name, writer.name(), reader.name(), got)
	}
}
