package slack

import (
	"strings"
	"testing"
)

func TestFromSlack(t *testing.T) {
	users := map[string]string{"U1": "alice", "U2": "", "U3": "snake_case_name"}
	channels := map[string]string{"C7": "it-help"}
	n := names{bot: "UBOT", user: func(id string) string { return users[id] }, channel: func(id string) string { return channels[id] }}
	tests := []struct {
		name, in, want string
	}{
		{"plain", "my laptop is slow", "my laptop is slow"},
		{"bot mention first", "<@UBOT> my laptop is slow", "my laptop is slow"},
		{"bot mention colon", "<@UBOT>: reset my password", "reset my password"},
		{"bot mention comma", "<@UBOT>, help", "help"},
		{"bot mention inside", "hey <@UBOT> can you help", "hey can you help"},
		{"bot mention last", "help please <@UBOT>", "help please"},
		{"bot mention with label", "<@UBOT|firstline> hi", "hi"},
		{"user by name", "ask <@U1> about it", "ask @alice about it"},
		{"user with label", "<@U9|bob> knows", "@bob knows"},
		{"user with empty name", "<@U2> knows", "@U2 knows"},
		{"user name with markdown", "ask <@U3> and <@U3>", `ask @snake_case_name and @snake_case_name`},
		{"channel with name", "see <#C1|general>", "see #general"},
		{"channel without name", "see <#C7> and <#C2|>", "see #it-help and #C2"},
		{"here", "<!here> down?", "@here down?"},
		{"channel mention", "<!channel|channel> and <!everyone>", "@channel and @everyone"},
		{"user group", "<!subteam^S1|@helpdesk> and <!subteam^S2>", "@helpdesk and @S2"},
		{"date", "since <!date^1392734382^{date}|Feb 18, 2014>", "since Feb 18, 2014"},
		{"link with text", "read <https://x.com/a?b=1&amp;c=2|the guide>", "read [the guide](https://x.com/a?b=1&c=2)"},
		{"link with parens", "<https://x.com/A_(b)|wiki>", "[wiki](https://x.com/A_%28b%29)"},
		{"link text with brackets", "<https://x.com|[draft] plan>", `[\[draft\] plan](https://x.com)`},
		{"bare link", "<https://x.com>", "<https://x.com>"},
		{"link labelled as itself", "<https://x.com|x.com>", "<https://x.com>"},
		{"link in bold", "*<https://x.com|docs>*", "**[docs](https://x.com)**"},
		{"mailto", "mail <mailto:a@b.com|a@b.com>", "mail a@b.com"},
		{"mailto with name", "<mailto:a@b.com|Alice>", "[Alice](mailto:a@b.com)"},
		{"odd scheme", "<slack://open|app>", "app (slack://open)"},
		{"entities", "a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"},
		{"entity of an entity", "&amp;lt;", "&lt;"},
		{"angle brackets", "type &lt;name&gt; here", `type <name> here`},
		{"literal discord token", "&lt;:emoji:123&gt; &lt;@123&gt;", `\<:emoji:123> \<@123>`},
		{"literal autolink", "&lt;https://x.com&gt;", `\<https://x.com>`},
		{"label entities", "<https://x.com|a &amp; b>", "[a & b](https://x.com)"},
		{"spaces", "  \n hi \n ", "hi"},
		{"unclosed", "a &lt; b", "a < b"},
		{"bold", "this is *important*", "this is **important**"},
		{"italic", "it is _really_ down", "it is _really_ down"},
		{"strike", "~old~ new", "~~old~~ new"},
		{"bold italic", "*_now_*", "**_now_**"},
		{"bold in parens", "(*see*)", "(**see**)"},
		{"bold at end of sentence", "it is *down*.", "it is **down**."},
		{"bold with spaces", "*two words*", "**two words**"},
		{"formatting does not cross lines", "*a\nb*", `*a` + "\n" + `b*`},
		{"arithmetic", "2*3*4", `2\*3\*4`},
		{"arithmetic spaced", "2 * 3 * 4", "2 * 3 * 4"},
		{"lone star", "the * key", "the * key"},
		{"star in a word", "REF*1", "REF*1"},
		{"snake case", "set max_retry_count to 3", "set max_retry_count to 3"},
		{"snake case twice", "snake_case_name and other_name", "snake_case_name and other_name"},
		{"underscore boundaries", "_a _b", `\_a \_b`},
		{"backslash typed", `\*literal\*`, `\\**literal\\**`}, // Slack has no escapes: its bold, with the \s
		{"backslash at the end", `a\`, `a\`},
		{"backslash in a path", `C:\Users\me`, `C:\Users\me`},
		{"brackets typed", "[x](y)", `\[x\](y)`},
		{"heading typed", "# 1 priority", `\# 1 priority`},
		{"quote", "&gt; quoted\nreply", "> quoted\nreply"},
		{"list", "- one\n- two", "- one\n- two"},
		{"code span", "run `ls *.log &lt; x`", "run `ls *.log < x`"},
		{"code span with stars", "`2*3*4` and *bold*", "`2*3*4` and **bold**"},
		{"unpaired backtick", "a ` b", "a \\` b"},
		{"code block", "```\nrm *.tmp &amp;&amp; echo *done*\n```", "```\nrm *.tmp && echo *done*\n```"},
		{"inline code block", "see ```a *b*``` ok", "see\n```\na *b*\n```\nok"},
		{"code block between lines", "before\n```x\ny```\nafter", "before\n```\nx\ny\n```\nafter"},
		{"unclosed code block", "```a *b*", "\\`\\`\\`a **b**"},
		{"code block with a link", "```curl <https://x.com/a?b&amp;c>```", "```\ncurl https://x.com/a?b&c\n```"},
		{"emoji", "thanks :+1: :tada:", "thanks 👍 🎉"},
		{"emoji with tone", ":+1::skin-tone-4:", "👍🏽"},
		{"custom emoji", ":partyparrot: :not a code:", ":partyparrot: :not a code:"},
		{"emoji with underscores", ":white_check_mark: done_", "✅ done_"},
		{"spoiler pipes", "||secret||", `\|\|secret\|\|`},
		{"tildes in a path", "~/.config and ~/bin", "~/.config and ~/bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fromSlack(tt.in, n); got != tt.want {
				t.Fatalf("fromSlack(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := fromSlack("<@U1> hi", names{}); got != "@U1 hi" {
		t.Errorf("without bot id or names: %q", got)
	}
}

// TestFromSlackRoundTrip checks that mrkdwn read in and rendered back for Slack keeps its formatting:
// Slack to Slack, *bold* stays bold, not _italics_.
func TestFromSlackRoundTrip(t *testing.T) {
	for _, in := range []string{
		"this is *important*", "it is _really_ down", "~old~ new", "run `ls *.log`", "see <https://x.com|docs>",
		"*_now_*", "a &lt; b &amp;&amp; c &gt; d",
	} {
		got := strings.TrimSpace(mrkdwn(fromSlack(in, names{})))
		if got != in {
			t.Errorf("%q came back as %q", in, got)
		}
	}
}

// TestFromSlackLinear feeds lines built to make a naive converter quadratic; it would take minutes if
// it were.
func TestFromSlackLinear(t *testing.T) {
	const n = 200_000
	for name, in := range map[string]string{
		"openers":        strings.Repeat("*a ", n/3),
		"mixed openers":  strings.Repeat("*a _b ~c ", n/9),
		"nested openers": "*" + strings.Repeat("_a ", n/3) + "b*",
		"deep nesting":   strings.Repeat("*_~", n/6) + "x" + strings.Repeat("~_*", n/6),
		"angles":         strings.Repeat("&lt;", n/4),
		"refs":           strings.Repeat("<@U1>", n/5),
		"entities":       strings.Repeat("&amp;", n/5),
		"blocks":         strings.Repeat("a```x```", n/8),
		"backticks":      strings.Repeat("`", n),
		"colons":         strings.Repeat(":a", n/2),
		"bot mentions":   strings.Repeat("<@UBOT> ", n/8),
	} {
		t.Run(name, func(t *testing.T) {
			out := fromSlack(in, names{bot: "UBOT", user: func(string) string { return "alice" }})
			if len(out) > 4*len(in) {
				t.Fatalf("%d bytes in, %d out", len(in), len(out))
			}
		})
	}
}
