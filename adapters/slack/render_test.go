package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/firstline-desk/firstline/bot"
)

func TestMrkdwn(t *testing.T) {
	const zw = "\u200b"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "Restart the laptop.", "Restart the laptop."},
		{"bold", "**Important:** restart", "*Important:* restart"},
		{"bold underscores", "__Important__", "*Important*"},
		{"italic star", "it is *really* down", "it is _really_ down"},
		{"italic underscore", "it is _really_ down", "it is _really_ down"},
		{"bold italic", "***now***", "*_now_*"},
		{"strike", "~~old~~ new", "~old~ new"},
		{"nested", "**bold _and italic_ here**", "*bold _and italic_ here*"},
		{"snake case stays", "set max_retry_count to 3", "set max_retry_count to 3"},
		{"arithmetic stays", "2 * 3 * 4", "2 * 3 * 4"},
		{"unbalanced bold", "**never closed", "**never closed"},
		{"unbalanced inner", "**a *b** c", "*_a b_ c"}, // CommonMark: *<em>a <em>b</em></em> c; Slack cannot nest italics
		{"bold italic nested", "***a* b**", "*_a_ b*"},
		{"italic around bold", "***a** b*", "_*a* b_"},
		{"inline code of three backticks", "```x``` y", "`x` y"},
		{"link with parens", "[wiki](https://x.com/A_(b))", "<https://x.com/A_(b)|wiki>"},
		{"link label has no markup", "[**guide** `x`](https://x.com)", "<https://x.com|guide x>"},
		{"link with brackets", "[a [b] c](https://x.com)", "<https://x.com|a [b] c>"},
		{"lone markers", "* _ ** __", "• _ ** __"},
		{"escaped markers", `\*not italic\* \_x\_`, zw + "*" + zw + "not italic" + zw + "*" + zw + " " + zw + "_" + zw + "x" + zw + "_" + zw},
		{"escaped autolink", `\<https://x.com> \& \@here`, "&lt;<https://x.com>&gt; &amp; @" + zw + "here"},
		{"escaped lt still escaped", `a \< b`, "a &lt; b"},
		{"entities", "a < b > c & d", "a &lt; b &gt; c &amp; d"},
		{"already an entity is text", "write &amp; literally", "write &amp;amp; literally"},
		{"code with star and lt", "run `ls *.log < x`", "run `ls *.log &lt; x`"},
		{"code escaped once", "`a && b`", "`a &amp;&amp; b`"},
		{"code keeps markdown", "`**not bold** _x_ [a](https://b)`", "`**not bold** _x_ [a](https://b)`"},
		{"double backtick code", "`` a ` b ``", "`a ` b`"},
		{"unclosed backtick", "a ` b", "a ` b"},
		{"fenced code", "```sh\nrm -rf *.tmp && echo <done>\n- not a list\n```\nafter",
			"```\nrm -rf *.tmp &amp;&amp; echo &lt;done&gt;\n- not a list\n```\nafter"},
		{"tilde fence", "~~~\n**x**\n~~~", "```\n**x**\n```"},
		{"unclosed fence is closed", "```\ncode", "```\ncode\n```"},
		{"link", "[VPN guide](https://kb.example.com/vpn)", "<https://kb.example.com/vpn|VPN guide>"},
		{"link with & and |", "[a & b](https://x.com/?a=1&b=2|3)", "<https://x.com/?a=1&amp;b=2%7C3|a &amp; b>"},
		{"link with title", `[doc](https://x.com "Title")`, "<https://x.com|doc>"},
		{"link empty text", "[](https://x.com)", "<https://x.com>"},
		{"image", "![screenshot](https://x.com/s.png)", "<https://x.com/s.png|screenshot>"},
		{"mailto link", "[mail us](mailto:help@example.com)", "<mailto:help@example.com|mail us>"},
		{"relative link shown", "[VPN](kb/vpn.md)", "VPN (kb/vpn.md)"},
		{"unfinished link", "[not a link] (x) [a](b", "[not a link] (x) [a](b"},
		{"autolink", "<https://x.com/a?b=1&c=2>", "<https://x.com/a?b=1&amp;c=2>"},
		{"not an autolink", "<not a link>", "&lt;not a link&gt;"},
		{"bare url", "see https://x.com/a_b?q=1&r=2.", "see <https://x.com/a_b?q=1&amp;r=2>."},
		{"bare url in parens", "(https://x.com/wiki/A_(b))", "(<https://x.com/wiki/A_(b)>)"},
		{"bare url in bold", "**https://x.com**", "*<https://x.com>*"},
		{"not a url mid-word", "xhttps://x.com", "xhttps://x.com"},
		{"bullets", "- one\n* two\n+ three", "• one\n• two\n• three"},
		{"nested bullets", "- one\n  - two", "• one\n  • two"},
		{"ordered", "1. one\n10) ten", "1. one\n10. ten"},
		{"headings", "# Title\n### Sub **bold** ###", "*Title*\n*Sub bold*"},
		{"heading with hash", "# C#", "*C#*"},
		{"not a heading", "#hashtag", "#hashtag"},
		{"quote", "> quoted **text**\n>> deeper", "> quoted *text*\n> deeper"},
		{"rule", "---", "———"},
		{"table", "| Name | Port |\n|------|:----:|\n| ssh | 22 |", "Name | Port\nssh | 22"},
		{"paragraphs", "one\n\ntwo", "one\n\ntwo"},
		{"crlf", "a\r\nb", "a\nb"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"unicode", "**Grüße** 😀 _ça_", "*Grüße* 😀 _ça_"},
		{"here", "@here help", "@" + zwsp + "here help"},
		{"channel any case", "@ChAnNeL", "@" + zwsp + "ChAnNeL"},
		{"everyone in code", "`@everyone`", "`@" + zwsp + "everyone`"},
		{"user handle untouched", "@alice", "@alice"},
		{"slack syntax escaped", "<!here> <!channel> <@U123> <#C1>", "&lt;!here&gt; &lt;!channel&gt; &lt;@U123&gt; &lt;#C1&gt;"},
		{"link to a mention", "[x](!here) [y](@U123)", "x (!here) y (@U123)"},
		{"link text mention", "[@here](https://x.com)", "<https://x.com|@" + zwsp + "here>"},
		{"url with slack syntax", "<https://x.com/<@U1>>", "&lt;<https://x.com/>&lt;@U1&gt;&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mrkdwn(tt.in)
			if got != tt.want {
				t.Fatalf("mrkdwn(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			assertSafe(t, got)
		})
	}
}

// assertSafe fails when s could notify anyone: a Slack mention or special command, or a plain mass
// mention outside a link's URL. Every < must open a link to http, https or mailto.
func assertSafe(t testing.TB, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("invalid UTF-8 in %q", s)
	}
	rest := s
	var text strings.Builder
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		text.WriteString(rest[:i])
		l := strings.ToLower(rest[i:min(len(rest), i+len("<https://"))])
		if !strings.HasPrefix(l, "<http://") && !strings.HasPrefix(l, "<https://") && !strings.HasPrefix(l, "<mailto:") {
			t.Fatalf("< not opening a link in %q", s)
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			t.Fatalf("unclosed link in %q", s)
		}
		url, label, _ := strings.Cut(rest[i+1:i+j], "|")
		if strings.ContainsAny(url, " \n") {
			t.Fatalf("space in link URL %q in %q", url, s)
		}
		text.WriteString(label)
		rest = rest[i+j+1:]
	}
	text.WriteString(rest)
	lower := strings.ToLower(text.String())
	for _, w := range []string{"@here", "@channel", "@everyone"} {
		if strings.Contains(lower, w) {
			t.Fatalf("%s not defused in %q", w, s)
		}
	}
}

func TestMrkdwnHostile(t *testing.T) {
	for _, in := range []string{
		"<!here>", "<!channel|channel>", "<!everyone>", "<@U0123|boss>", "<#C42>", "<!subteam^S1>",
		"&lt;!here&gt;", "<<!here>>", "[<!here>](https://x.com)", "[x](https://x.com|<!here>)",
		"[x](<!here>)", "`<!here>`", "```\n<!here>\n```", "**<!here>**", "# <!here>", "> <@U1>",
		"@HERE", "@here@here", "@@channel", "email@everyone.com", "@\u200bhere", "<https://x.com|<!here>>",
		"\\<!here>", "<mailto:x|<!here>>", "<http://x.com\n|@here>",
	} {
		got := mrkdwn(in)
		assertSafe(t, got)
		if strings.Contains(got, "<!") || strings.Contains(got, "<@") || strings.Contains(got, "<#") {
			t.Errorf("mrkdwn(%q) = %q: a mention survived", in, got)
		}
	}
}

// TestMrkdwnLinear feeds lines built to make a naive matcher quadratic; it would take minutes if one were.
func TestMrkdwnLinear(t *testing.T) {
	const n = 200_000
	var ticks strings.Builder
	for i := 1; ticks.Len() < n; i++ {
		ticks.WriteString(strings.Repeat("`", i) + "a")
	}
	for name, in := range map[string]string{
		"brackets":   strings.Repeat("[", n),
		"open links": strings.Repeat("[a](", n/4),
		"angles":     strings.Repeat("<", n),
		"emphasis":   strings.Repeat("*a _b **c ~~d ", n/12),
		"closers":    strings.Repeat("**a ", n/8) + strings.Repeat("b_ ", n/6),
		"backticks":  ticks.String(),
		"urls":       strings.Repeat("https://x.com/", n/14),
		"one closer": strings.Repeat("<", n) + ">",
		"autolinks":  strings.Repeat("<https://a", n/10) + ">",
		"parens":     "https://x.com/" + strings.Repeat(")", n),
		"fences":     strings.Repeat("```\n", n/4),
		"headings":   strings.Repeat("# "+strings.Repeat("#", 100)+"\n", n/100),
	} {
		t.Run(name, func(t *testing.T) { assertSafe(t, mrkdwn(in)) })
	}
}

func FuzzMrkdwn(f *testing.F) {
	for _, s := range []string{
		"", "**bold** _it_ `code` [a](https://b.com?x=1&y=2) <https://c.com> https://d.com.",
		"# h\n- a\n1. b\n> q\n```\n<x>\n```", "<!here> @channel <@U1> [x](!here)", "`` ` ``", "***a** b*",
		"\xff\xfe", "|a|b|\n|-|-|", "\\*a\\*", "![a](mailto:x@y)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := mrkdwn(in)
		assertSafe(t, out)
		if strings.Contains(out, "<!") || strings.Contains(out, "<@") || strings.Contains(out, "<#") {
			t.Fatalf("mrkdwn(%q) = %q", in, out)
		}
		// Every part blocks() makes from it must be a text Slack accepts.
		for _, part := range splitText(strings.TrimSpace(out), maxSectionText, maxBlocks) {
			if err := mrkdwnText(part).Validate(); err != nil {
				t.Fatalf("section %q: %v", part, err)
			}
		}
	})
}

func TestBlocksTitleAndFallback(t *testing.T) {
	long := strings.Repeat("word ", 60) // 300 characters
	tests := []struct {
		name         string
		post         bot.Post
		wantHeader   string // "" for no header
		wantSections int
		wantFallback string
	}{
		{"empty", bot.Post{}, "", 0, "Firstline"},
		{"blank text", bot.Post{Text: " \n\n "}, "", 0, "Firstline"},
		{"title only", bot.Post{Title: "Ticket T-7"}, "Ticket T-7", 0, "Ticket T-7"},
		{"title over lines", bot.Post{Title: "Ticket\n  T-7 "}, "Ticket T-7", 0, "Ticket T-7"},
		{"text only", bot.Post{Text: "\n**Try this:** restart\nthen call"}, "", 1, "*Try this:* restart"},
		{"fence first", bot.Post{Text: "```\nls\n```"}, "", 1, "ls"},
		{"title and text", bot.Post{Title: "VPN & Wi-Fi", Text: "body"}, "VPN & Wi-Fi", 1, "VPN &amp; Wi-Fi"},
		{"long title", bot.Post{Title: long}, strings.TrimSpace(strings.Repeat("word ", 30)) + "…", 0,
			strings.TrimSpace(strings.Repeat("word ", 30)) + "…"},
		{"fields only", bot.Post{Fields: []bot.Field{{Name: "Tier", Value: "1"}}}, "", 1, "Firstline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fallback, blks := blocks(tt.post)
			if fallback != tt.wantFallback {
				t.Errorf("fallback %q, want %q", fallback, tt.wantFallback)
			}
			if n := utf8.RuneCountInString(fallback); n > maxFallback {
				t.Errorf("fallback has %d characters", n)
			}
			header := ""
			sections := 0
			for _, b := range blks {
				switch b := b.(type) {
				case *slackapi.HeaderBlock:
					header = b.Text.Text
					if n := utf8.RuneCountInString(header); n > maxHeader {
						t.Errorf("header has %d characters", n)
					}
				case *slackapi.SectionBlock:
					sections++
				}
			}
			if header != tt.wantHeader {
				t.Errorf("header %q, want %q", header, tt.wantHeader)
			}
			if sections != tt.wantSections {
				t.Errorf("%d sections, want %d", sections, tt.wantSections)
			}
			assertValid(t, blks)
		})
	}
}

func TestBlocksSplitsLongText(t *testing.T) {
	var article strings.Builder
	article.WriteString("# Setting up the VPN\n\n")
	for i := range 40 {
		fmt.Fprintf(&article, "Step %d: open **Settings** & choose [VPN](https://kb.example.com/vpn?step=%d&os=mac) "+
			"then wait for the icon to turn green before you continue with the next step.\n", i, i)
		if i%7 == 6 {
			article.WriteString("\n- a bullet with `code < here`\n\n")
		}
	}
	longWord := strings.Repeat("x", 3500)
	code := "```\n" + strings.Repeat("echo a line of a long script && true\n", 120) + "```\nafter the code"

	tests := []struct {
		name         string
		text         string
		wantSections int // at least
	}{
		{"article", article.String(), 3},
		{"one long word", "before " + longWord + " after", 2},
		{"long code block", code, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, blks := blocks(bot.Post{Text: tt.text})
			var parts []string
			for _, b := range blks {
				s := b.(*slackapi.SectionBlock)
				parts = append(parts, s.Text.Text)
				if n := utf8.RuneCountInString(s.Text.Text); n > maxSectionText {
					t.Fatalf("section of %d characters", n)
				}
				if strings.Count("\n"+s.Text.Text+"\n", "\n```\n")%2 != 0 {
					t.Errorf("section with an unbalanced code block: %q", s.Text.Text)
				}
			}
			if len(parts) < tt.wantSections {
				t.Fatalf("%d sections, want at least %d", len(parts), tt.wantSections)
			}
			got := squeeze(strings.ReplaceAll(strings.Join(parts, "\n"), "```", ""))
			want := squeeze(strings.ReplaceAll(mrkdwn(tt.text), "```", ""))
			if got != want {
				t.Fatalf("text lost in splitting:\n got %q\nwant %q", got, want)
			}
			// No word is cut unless it alone is longer than a section.
			words := map[string]bool{}
			for _, w := range strings.Fields(mrkdwn(tt.text)) {
				words[w] = true
			}
			for _, p := range parts {
				for _, w := range strings.Fields(p) {
					if !words[w] && w != "```" && !strings.HasPrefix(longWord, w) {
						t.Errorf("word cut: %q", w)
					}
				}
			}
			assertValid(t, blks)
		})
	}
}

// squeeze drops all whitespace.
func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }

func TestBlocksTooLongForOneMessage(t *testing.T) {
	text := strings.Repeat(strings.Repeat("word ", 599)+"\n\n", 60) // 60 sections' worth
	_, blks := blocks(bot.Post{Title: "T", Text: text, Choices: []bot.Choice{{ID: "a", Label: "A"}}})
	if len(blks) != maxBlocks {
		t.Fatalf("%d blocks, want %d", len(blks), maxBlocks)
	}
	last := blks[len(blks)-2].(*slackapi.SectionBlock).Text.Text
	if !strings.HasSuffix(last, "…") {
		t.Errorf("last section does not say text was left out: %q", last[len(last)-20:])
	}
	assertValid(t, blks)
}

func TestBlocksFields(t *testing.T) {
	fields := func(n int) []bot.Field {
		var fs []bot.Field
		for i := range n {
			fs = append(fs, bot.Field{Name: fmt.Sprintf("Field %d", i), Value: fmt.Sprintf("value %d", i)})
		}
		return fs
	}
	tests := []struct {
		name   string
		fields []bot.Field
		want   [][]string // the texts of the fields of each section
	}{
		{"none", nil, nil},
		{"one", []bot.Field{{Name: "Priority", Value: "**high** <now>"}}, [][]string{{"*Priority*\n*high* &lt;now&gt;"}}},
		{"bold name", []bot.Field{{Name: "**Owner**", Value: "alice"}}, [][]string{{"*Owner*\nalice"}}},
		{"empty parts", []bot.Field{{Name: "", Value: "v"}, {Name: "n", Value: ""}, {}}, [][]string{{"v", "*n*"}}},
		{"twelve", fields(12), [][]string{
			{"*Field 0*\nvalue 0", "*Field 1*\nvalue 1", "*Field 2*\nvalue 2", "*Field 3*\nvalue 3", "*Field 4*\nvalue 4",
				"*Field 5*\nvalue 5", "*Field 6*\nvalue 6", "*Field 7*\nvalue 7", "*Field 8*\nvalue 8", "*Field 9*\nvalue 9"},
			{"*Field 10*\nvalue 10", "*Field 11*\nvalue 11"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, blks := blocks(bot.Post{Fields: tt.fields})
			var got [][]string
			for _, b := range blks {
				var texts []string
				for _, f := range b.(*slackapi.SectionBlock).Fields {
					texts = append(texts, f.Text)
				}
				got = append(got, texts)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("fields\n got %q\nwant %q", got, tt.want)
			}
			assertValid(t, blks)
		})
	}

	_, blks := blocks(bot.Post{Fields: []bot.Field{{Name: "Log", Value: strings.Repeat("line of log\n", 300)}}})
	text := blks[0].(*slackapi.SectionBlock).Fields[0].Text
	if n := utf8.RuneCountInString(text); n > maxFieldText || !strings.HasSuffix(text, "…") {
		t.Errorf("long field: %d characters, ends %q", n, text[len(text)-10:])
	}
}

func TestBlocksChoices(t *testing.T) {
	many := func(n int) []bot.Choice {
		var cs []bot.Choice
		for i := range n {
			cs = append(cs, bot.Choice{ID: fmt.Sprintf("c%d", i), Label: fmt.Sprintf("Choice %d", i)})
		}
		return cs
	}
	type button struct{ actionID, value, label, style string }
	tests := []struct {
		name     string
		choices  []bot.Choice
		blockIDs []string
		sizes    []int
		first    []button // the first buttons, in order
	}{
		{"none", nil, nil, nil, nil},
		{"styles", []bot.Choice{
			{ID: "solved", Label: "Solved", Style: bot.StylePrimary},
			{ID: "close", Label: "Close", Style: bot.StyleDanger},
			{ID: "human", Label: "Talk to a human", Style: "fancy"},
		}, []string{"firstline_choices"}, []int{3}, []button{
			{"solved", "solved", "Solved", "primary"}, {"close", "close", "Close", "danger"},
			{"human", "human", "Talk to a human", ""},
		}},
		{"duplicate ids", []bot.Choice{{ID: "a", Label: "A"}, {ID: "a", Label: "A again"}, {ID: "a_2", Label: "B"}},
			[]string{"firstline_choices"}, []int{3}, []button{
				{"a", "a", "A", ""}, {"a_2", "a", "A again", ""}, {"a_2_2", "a_2", "B", ""},
			}},
		{"labels", []bot.Choice{{ID: "x"}, {Label: strings.Repeat("long ", 30)}, {ID: "m", Label: "@here <!channel>"}},
			[]string{"firstline_choices"}, []int{3}, []button{
				{"x", "x", "x", ""},
				{"choice", "", strings.TrimSpace(strings.Repeat("long ", 15)) + "…", ""},
				{"m", "m", "@" + zwsp + "here <" + zwsp + "!channel>", ""},
			}},
		{"thirty", many(30), []string{"firstline_choices", "firstline_choices_2"}, []int{25, 5}, []button{
			{"c0", "c0", "Choice 0", ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, blks := blocks(bot.Post{Choices: tt.choices})
			var ids []string
			var sizes []int
			var buttons []button
			for _, b := range blks {
				a := b.(*slackapi.ActionBlock)
				ids = append(ids, a.BlockID)
				sizes = append(sizes, len(a.Elements.ElementSet))
				for _, e := range a.Elements.ElementSet {
					btn := e.(*slackapi.ButtonBlockElement)
					buttons = append(buttons, button{btn.ActionID, btn.Value, btn.Text.Text, string(btn.Style)})
					if n := utf8.RuneCountInString(btn.Text.Text); n > maxButtonText {
						t.Errorf("label of %d characters", n)
					}
				}
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.blockIDs) || fmt.Sprint(sizes) != fmt.Sprint(tt.sizes) {
				t.Fatalf("blocks %v of sizes %v, want %v of %v", ids, sizes, tt.blockIDs, tt.sizes)
			}
			if len(buttons) < len(tt.first) || fmt.Sprint(buttons[:len(tt.first)]) != fmt.Sprint(tt.first) {
				t.Fatalf("buttons\n got %q\nwant %q", buttons, tt.first)
			}
			assertValid(t, blks)
		})
	}
}

func TestBlocksNeverMention(t *testing.T) {
	const evil = "@here @Channel @EVERYONE <!here> <!channel|c> <!everyone> <@U123> <#C1> [x](!here) " +
		"<https://x.com|<!here>> `<!channel>` &lt;!here&gt;"
	p := bot.Post{
		Title:  evil,
		Text:   evil + "\n# " + evil + "\n- " + evil + "\n> " + evil + "\n```\n" + evil + "\n```",
		Fields: []bot.Field{{Name: evil, Value: evil}, {Name: "x", Value: evil}},
		// Choice ids are the engine's own and go back to it untouched as the button's value, so only the
		// label is user text here.
		Choices: []bot.Choice{{ID: "solved", Label: evil}, {ID: "ok", Label: evil, Style: bot.StyleDanger}},
	}
	fallback, blks := blocks(p)
	assertSafe(t, fallback)
	raw, err := json.Marshal(slackapi.Blocks{BlockSet: blks})
	if err != nil {
		t.Fatal(err)
	}
	// json.Marshal writes < as \u003c; look at the text as Slack decodes it too.
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(slackapi.Blocks{BlockSet: blks}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{string(raw), plain.String(), fallback} {
		lower := strings.ToLower(s)
		for _, bad := range []string{"<!here", "<!channel", "<!everyone", "<@", `\u003c!`, `\u003c@`,
			"@here", "@channel", "@everyone"} {
			if strings.Contains(lower, bad) {
				t.Errorf("%q in %s", bad, s)
			}
		}
	}
	assertValid(t, blks)
}

// TestBlocksJSON checks blocks() as slack-go sends it: it marshals, every mrkdwn text is verbatim, and it
// reads back as the same blocks.
func TestBlocksJSON(t *testing.T) {
	p := bot.Post{
		Title:   "Ticket T-12: VPN down",
		Text:    "**Requester** reports the VPN is down.\nSee [the guide](https://kb.example.com/vpn?a=1&b=2).",
		Fields:  []bot.Field{{Name: "Tier", Value: "1"}, {Name: "Owner", Value: "nobody"}},
		Choices: []bot.Choice{{ID: "claim", Label: "Claim", Style: bot.StylePrimary}, {ID: "resolve", Label: "Resolve"}},
	}
	_, blks := blocks(p)
	raw, err := json.Marshal(slackapi.Blocks{BlockSet: blks})
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	mrkdwnTexts, verbatims := strings.Count(s, `"type":"mrkdwn"`), strings.Count(s, `"verbatim":true`)
	if mrkdwnTexts != 3 || verbatims != mrkdwnTexts {
		t.Errorf("%d mrkdwn texts, %d verbatim, want 3 and 3: %s", mrkdwnTexts, verbatims, s)
	}
	for _, want := range []string{
		`{"type":"header","text":{"type":"plain_text","text":"Ticket T-12: VPN down","emoji":true}}`,
		`"text":"*Requester* reports the VPN is down.\nSee \u003chttps://kb.example.com/vpn?a=1\u0026amp;b=2|the guide\u003e."`,
		`"fields":[{"type":"mrkdwn","text":"*Tier*\n1","verbatim":true}`,
		`"block_id":"firstline_choices"`,
		`{"type":"button","text":{"type":"plain_text","text":"Claim","emoji":true},"action_id":"claim","value":"claim","style":"primary"}`,
		`{"type":"button","text":{"type":"plain_text","text":"Resolve","emoji":true},"action_id":"resolve","value":"resolve"}`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s:\n%s", want, s)
		}
	}
	var back slackapi.Blocks
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(back)
	if err != nil || string(again) != s {
		t.Fatalf("round trip changed the blocks (%v):\n%s\n%s", err, s, again)
	}
}

// assertValid checks the limits Slack enforces on what blocks() makes.
func assertValid(t testing.TB, blks []slackapi.Block) {
	t.Helper()
	if len(blks) > maxBlocks {
		t.Fatalf("%d blocks", len(blks))
	}
	check := func(o *slackapi.TextBlockObject, limit int) {
		t.Helper()
		if err := o.Validate(); err != nil {
			t.Fatalf("text %q: %v", o.Text, err)
		}
		if n := utf8.RuneCountInString(o.Text); n > limit {
			t.Fatalf("text of %d characters, limit %d", n, limit)
		}
		if o.Type == slackapi.MarkdownType && !o.Verbatim {
			t.Fatalf("mrkdwn text not verbatim: %q", o.Text)
		}
		if o.Type == slackapi.MarkdownType {
			assertSafe(t, o.Text)
		}
	}
	for _, b := range blks {
		switch b := b.(type) {
		case *slackapi.HeaderBlock:
			check(b.Text, maxHeader)
		case *slackapi.SectionBlock:
			if b.Text != nil {
				check(b.Text, maxSectionText)
			}
			if len(b.Fields) > maxFields {
				t.Fatalf("%d fields in a section", len(b.Fields))
			}
			for _, f := range b.Fields {
				check(f, maxFieldText)
			}
		case *slackapi.ActionBlock:
			if len(b.Elements.ElementSet) > maxActions {
				t.Fatalf("%d buttons in a block", len(b.Elements.ElementSet))
			}
			seen := map[string]bool{}
			for _, e := range b.Elements.ElementSet {
				btn := e.(*slackapi.ButtonBlockElement)
				check(btn.Text, maxButtonText)
				if seen[btn.ActionID] || btn.ActionID == "" || len(btn.ActionID) > maxActionID {
					t.Fatalf("action_id %q repeated, empty or too long", btn.ActionID)
				}
				seen[btn.ActionID] = true
			}
		default:
			t.Fatalf("unexpected block %T", b)
		}
	}
}

func TestNormalizeReaction(t *testing.T) {
	tests := []struct{ in, want string }{
		{"raising_hand", "raising_hand"},
		{"raised_hand", "raised_hand"},
		{"+1", "+1"},
		{"-1", "-1"},
		{"thumbsup", "+1"},
		{"thumbsdown", "-1"},
		{"+1::skin-tone-2", "+1"},
		{"raising_hand::skin-tone-6", "raising_hand"},
		{"thumbsup::skin-tone-3", "+1"},
		{":white_check_mark:", "white_check_mark"},
		{"heavy_check_mark", "heavy_check_mark"},
		{"arrow_up", "arrow_up"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := normalizeReaction(tt.in); got != tt.want {
				t.Fatalf("normalizeReaction(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestNotify checks the one deliberate mention: a Slack user group named in Post.Notify, and nothing
// from other platforms or malformed ids.
func TestNotify(t *testing.T) {
	_, b := blocks(bot.Post{Text: "breached <!channel>", Notify: []string{"slack:subteam:S0ONCALL", "discord:role:123456789012345678", "slack:subteam:<!here>"}})
	out, _ := json.Marshal(slackapi.Blocks{BlockSet: b})
	if !strings.Contains(string(out), "<!subteam^S0ONCALL>") && !strings.Contains(string(out), `\u003c!subteam^S0ONCALL\u003e`) {
		t.Fatalf("no group mention: %s", out)
	}
	for _, bad := range []string{"<!channel>", `\u003c!channel\u003e`, "<!here>", `\u003c!here\u003e`, "123456789012345678"} {
		if strings.Contains(string(out), bad) {
			t.Fatalf("%q reached Slack: %s", bad, out)
		}
	}
}
