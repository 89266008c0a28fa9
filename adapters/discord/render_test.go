package discord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/firstline-desk/firstline/bot"
)

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "Restart the laptop.", "Restart the laptop."},
		{"bold italic code pass", "**b** *i* _i_ ***bi*** ~~s~~ `c`", "**b** *i* _i_ ***bi*** ~~s~~ `c`"},
		{"underscore bold is bold", "__Important__ now", "**Important** now"},
		{"snake case stays", "set max__retry to 3 and a_b_c", "set max__retry to 3 and a_b_c"},
		{"underscores in code stay", "`__init__` and\n```py\n__init__\n```", "`__init__` and\n```py\n__init__\n```"},
		{"underscores in url stay", "see https://x.com/__init__.py and [a](https://x.com/__b__)",
			"see https://x.com/__init__.py and [a](https://x.com/__b__)"},
		{"masked link", "[VPN guide](https://kb.example.com/vpn)", "[VPN guide](https://kb.example.com/vpn)"},
		{"image becomes link", "![screenshot](https://x.com/s.png)", "[screenshot](https://x.com/s.png)"},
		{"bang stays", "Done! [a](https://x.com)", "Done! [a](https://x.com)"},
		{"bang bracket without link", "![not a link]", "![not a link]"},
		{"escapes pass", `\*not italic\*`, `\*not italic\*`},
		{"lists", "- one\n* two\n+ three\n1. four\n  - five", "- one\n* two\n- three\n1. four\n  - five"},
		{"headings 1-3 pass", "# One\n## Two ##\n### Three", "# One\n## Two\n### Three"},
		{"deeper headings bold", "#### Four\n###### Six **x** __y__", "**Four**\n**Six x y**"},
		{"not a heading", "#hashtag and C#", "#hashtag and C#"},
		{"quote", "> quoted **text**", "> quoted **text**"},
		{"nested quote flattened", ">> deeper\n>>> all", "> deeper\n> all"},
		{"table", "| Name | Port |\n|------|:----:|\n| ssh | 22 |", "Name | Port\nssh | 22"},
		{"fence with language", "```sh\nrm -rf *.tmp\n```\nafter", "```sh\nrm -rf *.tmp\n```\nafter"},
		{"fence content untouched", "```\n# not a heading\n|---|\n__x__\n```", "```\n# not a heading\n|---|\n__x__\n```"},
		{"tilde fence", "~~~\n**x**\n~~~", "```\n**x**\n```"},
		{"long fence", "````md\n```\ninner\n```\n````", "```md\n```\ninner\n```\n```"},
		{"inline triple backticks", "```x``` y", "```x``` y"},
		{"unclosed fence is closed", "```\ncode", "```\ncode\n```"},
		{"crlf", "a\r\nb\rc", "a\nb\nc"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"unicode", "**Grüße** 😀 _ça_", "**Grüße** 😀 _ça_"},
		{"everyone", "@everyone help", "@" + zwsp + "everyone help"},
		{"here any case", "@HeRe", "@" + zwsp + "HeRe"},
		{"everyone in code", "`@everyone`\n```\n@here\n```", "`@" + zwsp + "everyone`\n```\n@" + zwsp + "here\n```"},
		{"user handle untouched", "ask @alice or mail it@example.com", "ask @alice or mail it@example.com"},
		{"user mention", "<@123> <@!123>", "<" + zwsp + "@123> <" + zwsp + "@!123>"},
		{"role and channel", "<@&42> <#7>", "<" + zwsp + "@&42> <" + zwsp + "#7>"},
		{"mention in code", "`<@123>`\n```\n<#7>\n```", "`<" + zwsp + "@123>`\n```\n<" + zwsp + "#7>\n```"},
		{"escaped mention", `<\@123>`, "<" + zwsp + `\@123>`},
		{"other angles stay", "a < b > c <https://x.com> <t:1:R>", "a < b > c <https://x.com> <t:1:R>"},
		{"mention as link text", "[@everyone](https://x.com)", "[@" + zwsp + "everyone](https://x.com)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markdown(tt.in); got != tt.want {
				t.Errorf("markdown(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// assertSafe fails when s could notify anyone: a mass mention or mention syntax in any case.
func assertSafe(t testing.TB, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("invalid UTF-8 in %q", s)
	}
	lower := strings.ToLower(s)
	for _, w := range []string{"@everyone", "@here", "<@", "<#", `<\@`, `<\#`} {
		if strings.Contains(lower, w) {
			t.Fatalf("%s not defused in %q", w, s)
		}
	}
}

var hostile = []string{
	"@everyone", "@here", "@EVERYONE", "@Here please", "@@everyone", "<@123>", "<@!123>", "<@&456>", "<#789>",
	"<<@123>>", "`<@123>`", "```\n<@&1> @here\n```", "**@everyone**", "# @here", "#### <@1>", "> <#2>",
	"[<@1>](https://x.com)", "[x](https://x.com/@everyone)", "| <@1> | @here |", "<\\@123>", "<\\\\#9>",
	"@\u200beveryone", "<@everyone>", "~~~\n@here\n~~~", "- <@&1>", "+ @here",
}

func TestMarkdownHostile(t *testing.T) {
	for _, in := range hostile {
		assertSafe(t, markdown(in))
	}
}

// TestMarkdownLinear feeds lines built to make a naive matcher quadratic; it would take minutes if one were.
func TestMarkdownLinear(t *testing.T) {
	const n = 200_000
	var ticks strings.Builder
	for i := 1; ticks.Len() < n; i++ {
		ticks.WriteString(strings.Repeat("`", i) + "a")
	}
	for name, in := range map[string]string{
		"brackets":    strings.Repeat("![", n/2),
		"angles":      strings.Repeat("<", n),
		"backslashes": strings.Repeat("<"+strings.Repeat("\\", 100), n/101),
		"underscores": strings.Repeat("__a ", n/4),
		"backticks":   ticks.String(),
		"urls":        strings.Repeat("https://x.com/", n/14),
		"fences":      strings.Repeat("```\n", n/4),
		"headings":    strings.Repeat("#### "+strings.Repeat("#", 100)+"\n", n/100),
		"mentions":    strings.Repeat("@everyone<@1>", n/13),
	} {
		t.Run(name, func(t *testing.T) {
			out := markdown(in)
			assertSafe(t, out)
			split(out, maxContent)
		})
	}
}

func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{
		"", "**bold** _it_ `code` [a](https://b.com?x=1&y=2) https://d.com.", "# h\n- a\n1. b\n> q\n```go\n<x>\n```",
		"@everyone @here <@1> <@!2> <@&3> <#4>", "`` ` ``", "__a__ b__c", "\xff\xfe", "|a|b|\n|-|-|", "\\*a\\*",
		"![a](https://x)", "~~~\n@here\n~~~", "```\nunclosed",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := markdown(in)
		assertSafe(t, out)
		// Every message made from it must be one Discord accepts, and safe.
		for _, m := range messageSend(bot.Post{Text: in}) {
			if n := utf8.RuneCountInString(m.Content); n > maxContent || strings.TrimSpace(m.Content) == "" {
				t.Fatalf("message of %d characters: %q", n, m.Content)
			}
			assertSafe(t, m.Content)
		}
		card := bot.Post{Title: in, Text: in, Fields: []bot.Field{{Name: in, Value: in}, {Name: "n", Value: strings.Repeat(in, 200)}}}
		e := messageSend(card)[0].Embeds[0]
		n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
		assertSafe(t, e.Title)
		assertSafe(t, e.Description)
		for _, f := range e.Fields {
			n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
			assertSafe(t, f.Name)
			assertSafe(t, f.Value)
			if utf8.RuneCountInString(f.Value) > maxFieldValue {
				t.Fatalf("field value of %d characters", utf8.RuneCountInString(f.Value))
			}
		}
		if n > maxEmbed || utf8.RuneCountInString(e.Description) > maxDescription {
			t.Fatalf("embed of %d characters", n)
		}
	})
}

// squeeze drops all whitespace.
func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }

func TestMessageSendSplitsLongText(t *testing.T) {
	var article strings.Builder
	article.WriteString("# Setting up the VPN\n\n")
	for i := range 60 {
		fmt.Fprintf(&article, "Step %d: open **Settings** and choose [VPN](https://kb.example.com/vpn?step=%d) "+
			"then wait for the icon to turn green before you continue with the next step.\n", i, i)
		if i%7 == 6 {
			article.WriteString("\n- a bullet with `code`\n\n")
		}
	}
	longWord := strings.Repeat("x", 4500)
	code := "```sh\n" + strings.Repeat("echo a line of a long script && true\n", 150) + "```\nafter the code"
	unicode := strings.Repeat("Grüße 😀 ", 700) // more than 2000 characters, fewer than 2000×4 bytes

	tests := []struct {
		name         string
		text         string
		wantMessages int // at least
	}{
		{"article", article.String(), 3},
		{"one long word", "before " + longWord + " after", 3},
		{"long code block", code, 3},
		{"multibyte", unicode, 3},
		{"short", "just this", 1},
		// A table cell that starts with ``` is no fence to markdown, but reads as one to split (and
		// Discord): what matters is that splitting moves on and loses nothing.
		{"long fence-like line", strings.Repeat("|```"+strings.Repeat("y", 50)+" a b c|\n", 100), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := messageSend(bot.Post{Text: tt.text, Choices: []bot.Choice{{ID: "solved", Label: "Solved"}}})
			if len(msgs) < tt.wantMessages {
				t.Fatalf("%d messages, want at least %d", len(msgs), tt.wantMessages)
			}
			var parts []string
			for i, m := range msgs {
				parts = append(parts, m.Content)
				if n := utf8.RuneCountInString(m.Content); n > maxContent {
					t.Fatalf("message %d of %d characters", i, n)
				}
				if strings.Count(m.Content, "```")%2 != 0 && !strings.HasPrefix(tt.name, "long fence-like") {
					t.Errorf("message %d with an unbalanced code block: …%q", i, m.Content[max(0, len(m.Content)-40):])
				}
				if (len(m.Components) > 0) != (i == len(msgs)-1) {
					t.Errorf("message %d of %d has %d component rows; buttons belong on the last", i, len(msgs), len(m.Components))
				}
				if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
					t.Errorf("message %d allows mentions: %+v", i, m.AllowedMentions)
				}
			}
			// Nothing lost: the same text once the fences added to close and reopen blocks are taken out.
			noFences := func(s string) string {
				var out []string
				for _, l := range strings.Split(s, "\n") {
					if !strings.HasPrefix(strings.TrimSpace(l), "```") {
						out = append(out, l)
					}
				}
				return squeeze(strings.Join(out, "\n"))
			}
			if got, want := noFences(strings.Join(parts, "\n")), noFences(markdown(tt.text)); got != want {
				t.Fatalf("text lost in splitting:\n got %q\nwant %q", got[:min(len(got), 200)], want[:min(len(want), 200)])
			}
			// No word is cut unless it alone is longer than a message.
			words := map[string]bool{}
			for _, w := range strings.Fields(markdown(tt.text)) {
				words[w] = true
			}
			for _, p := range parts {
				for _, w := range strings.Fields(p) {
					if !words[w] && !strings.HasPrefix(w, "```") && !strings.HasPrefix(longWord, w) {
						t.Errorf("word cut: %q", w)
					}
				}
			}
			if tt.name == "long code block" {
				for i, p := range parts[1:] {
					if !strings.HasPrefix(p, "```sh\n") {
						t.Errorf("message %d does not reopen the sh block: %q", i+1, p[:min(len(p), 20)])
					}
				}
			}
		})
	}
}

// TestSplitSmallLimits: even a limit smaller than the line reopening a code block moves on.
func TestSplitSmallLimits(t *testing.T) {
	in := markdown("```" + strings.Repeat("l", 30) + "\n" + strings.Repeat("code line\n", 50) + "```")
	for _, limit := range []int{1, 2, 5, 10, 20, 40, 41} {
		parts := split(in, limit)
		if len(parts) == 0 || utf8.RuneCountInString(parts[0]) > limit && limit > 10 {
			t.Errorf("split(…, %d): first part %q", limit, parts[0])
		}
		if got := clipMarkdown(in, limit); utf8.RuneCountInString(got) > limit {
			t.Errorf("clipMarkdown(…, %d) = %q", limit, got)
		}
	}
}

func TestMessageSendEmpty(t *testing.T) {
	msgs := messageSend(bot.Post{Text: "  \n ", Choices: []bot.Choice{{ID: "a", Label: "A"}}})
	if len(msgs) != 1 || msgs[0].Content == "" || len(msgs[0].Components) != 1 {
		t.Fatalf("empty post with a choice: %+v", msgs)
	}
}

// buttons returns the buttons of a message's rows, failing on anything else in them.
func buttons(t *testing.T, rows []discordgo.MessageComponent) [][]discordgo.Button {
	t.Helper()
	var out [][]discordgo.Button
	for _, r := range rows {
		row, ok := r.(discordgo.ActionsRow)
		if !ok {
			t.Fatalf("component %T, want an ActionsRow", r)
		}
		var bs []discordgo.Button
		for _, c := range row.Components {
			b, ok := c.(discordgo.Button)
			if !ok {
				t.Fatalf("row component %T, want a Button", c)
			}
			bs = append(bs, b)
		}
		out = append(out, bs)
	}
	return out
}

func TestMessageSendChoices(t *testing.T) {
	choices := func(n int) []bot.Choice {
		var cs []bot.Choice
		for i := range n {
			cs = append(cs, bot.Choice{ID: fmt.Sprintf("c%d", i), Label: fmt.Sprintf("Choice %d", i)})
		}
		return cs
	}
	tests := []struct {
		name     string
		choices  []bot.Choice
		wantRows []int    // buttons per row
		wantIDs  []string // custom ids, in order; nil: not checked
	}{
		{"none", nil, nil, nil},
		{"three", choices(3), []int{3}, []string{"c0", "c1", "c2"}},
		{"five fill a row", choices(5), []int{5}, nil},
		{"seven make two rows", choices(7), []int{5, 2}, []string{"c0", "c1", "c2", "c3", "c4", "c5", "c6"}},
		// Discord takes 5 rows of 5; the engine never offers that many, so the rest are dropped.
		{"thirty capped at 25", choices(30), []int{5, 5, 5, 5, 5}, nil},
		{"duplicate and unusable ids skipped", []bot.Choice{
			{ID: "a", Label: "A"}, {ID: "a", Label: "A again"}, {ID: "", Label: "no id"},
			{ID: strings.Repeat("x", 101), Label: "too long"}, {ID: strings.Repeat("y", 100), Label: "just fits"},
		}, []int{2}, []string{"a", strings.Repeat("y", 100)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := messageSend(bot.Post{Text: "Pick one", Choices: tt.choices})
			rows := buttons(t, msgs[len(msgs)-1].Components)
			var got []int
			var ids []string
			for _, r := range rows {
				got = append(got, len(r))
				for _, b := range r {
					ids = append(ids, b.CustomID)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantRows) {
				t.Errorf("rows %v, want %v", got, tt.wantRows)
			}
			if tt.wantIDs != nil && fmt.Sprint(ids) != fmt.Sprint(tt.wantIDs) {
				t.Errorf("custom ids %v, want %v", ids, tt.wantIDs)
			}
			if len(ids) > 0 && ids[0] != tt.choices[0].ID {
				t.Errorf("first custom id %q, want %q", ids[0], tt.choices[0].ID)
			}
		})
	}
}

func TestButtonStylesAndLabels(t *testing.T) {
	tests := []struct {
		name      string
		choice    bot.Choice
		wantStyle discordgo.ButtonStyle
		wantLabel string
	}{
		{"primary", bot.Choice{ID: "solved", Label: "Solved", Style: bot.StylePrimary}, discordgo.PrimaryButton, "Solved"},
		{"danger", bot.Choice{ID: "close", Label: "Close", Style: bot.StyleDanger}, discordgo.DangerButton, "Close"},
		{"default secondary", bot.Choice{ID: "human", Label: "Talk to a human"}, discordgo.SecondaryButton, "Talk to a human"},
		{"unknown style secondary", bot.Choice{ID: "x", Label: "X", Style: "fancy"}, discordgo.SecondaryButton, "X"},
		{"label one line", bot.Choice{ID: "x", Label: "two\n  lines"}, discordgo.SecondaryButton, "two lines"},
		{"label from id", bot.Choice{ID: "csat:5"}, discordgo.SecondaryButton, "csat:5"},
		{"long label clipped", bot.Choice{ID: "x", Label: strings.Repeat("é", 100)}, discordgo.SecondaryButton, strings.Repeat("é", 79) + "…"},
		{"label mention defused", bot.Choice{ID: "x", Label: "@everyone <@1>"}, discordgo.SecondaryButton, "@" + zwsp + "everyone <" + zwsp + "@1>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := buttons(t, messageSend(bot.Post{Text: "t", Choices: []bot.Choice{tt.choice}})[0].Components)
			b := rows[0][0]
			if b.Style != tt.wantStyle || b.Label != tt.wantLabel || b.CustomID != tt.choice.ID {
				t.Errorf("button %+v, want style %d label %q custom id %q", b, tt.wantStyle, tt.wantLabel, tt.choice.ID)
			}
		})
	}
}

func TestMessageSendCard(t *testing.T) {
	fields := func(n int, value string) []bot.Field {
		var fs []bot.Field
		for i := range n {
			fs = append(fs, bot.Field{Name: fmt.Sprintf("Field %d", i), Value: value})
		}
		return fs
	}
	embedLen := func(e *discordgo.MessageEmbed) int {
		n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
		for _, f := range e.Fields {
			n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
		}
		return n
	}
	tests := []struct {
		name       string
		post       bot.Post
		wantFields int
		check      func(t *testing.T, e *discordgo.MessageEmbed)
	}{
		{"ticket card", bot.Post{Title: "Ticket #12: VPN down", Text: "**Requester** cannot connect.",
			Fields: []bot.Field{{Name: "Priority", Value: "high"}, {Name: "Owner", Value: ""}, {}, {Name: "Notes", Value: "line one\nline two"}}}, 3,
			func(t *testing.T, e *discordgo.MessageEmbed) {
				if e.Title != "Ticket #12: VPN down" || e.Description != "**Requester** cannot connect." {
					t.Errorf("title %q description %q", e.Title, e.Description)
				}
				if f := e.Fields[0]; f.Name != "Priority" || f.Value != "high" || !f.Inline {
					t.Errorf("short field %+v, want inline", f)
				}
				if f := e.Fields[1]; f.Value != zwsp {
					t.Errorf("empty value %q, want an invisible one (Discord requires a value)", f.Value)
				}
				if f := e.Fields[2]; f.Inline {
					t.Errorf("multi-line field %+v is inline", f)
				}
			}},
		{"fields only", bot.Post{Fields: fields(2, "v")}, 2, nil},
		{"thirty fields capped at 25", bot.Post{Title: "T", Fields: fields(30, "v")}, maxFields, nil},
		{"long parts clipped", bot.Post{Title: strings.Repeat("t", 300), Text: strings.Repeat("word ", 1000),
			Fields: []bot.Field{{Name: strings.Repeat("n", 300), Value: strings.Repeat("v", 2000)}}}, 1,
			func(t *testing.T, e *discordgo.MessageEmbed) {
				if n := utf8.RuneCountInString(e.Title); n != maxTitle || !strings.HasSuffix(e.Title, "…") {
					t.Errorf("title of %d characters", n)
				}
				if n := utf8.RuneCountInString(e.Description); n > maxDescription || !strings.HasSuffix(e.Description, "…") {
					t.Errorf("description of %d characters", n)
				}
				f := e.Fields[0]
				if utf8.RuneCountInString(f.Name) != maxFieldName || utf8.RuneCountInString(f.Value) != maxFieldValue ||
					!strings.HasSuffix(f.Value, "…") || f.Inline {
					t.Errorf("field of %d/%d characters, inline %v", utf8.RuneCountInString(f.Name), utf8.RuneCountInString(f.Value), f.Inline)
				}
			}},
		{"description gives way to fields", bot.Post{Title: "T", Text: strings.Repeat("word ", 1000),
			Fields: fields(5, strings.Repeat("v", 1000))}, 5,
			func(t *testing.T, e *discordgo.MessageEmbed) {
				if e.Description == "" || !strings.HasSuffix(e.Description, "…") {
					t.Errorf("description %q…, want one cut short", e.Description[:min(len(e.Description), 20)])
				}
			}},
		{"fields past 6000 dropped", bot.Post{Title: "T", Text: "short", Fields: fields(25, strings.Repeat("v", 1000))}, 5,
			func(t *testing.T, e *discordgo.MessageEmbed) {
				if e.Description != "short" {
					t.Errorf("description %q, want it kept in the room the fields left", e.Description)
				}
			}},
		{"no room for description", bot.Post{Title: "T", Text: strings.Repeat("word ", 100),
			Fields: fields(6, strings.Repeat("v", 992))}, 6,
			func(t *testing.T, e *discordgo.MessageEmbed) {
				if e.Description != "" {
					t.Errorf("description %q, want none: too little room", e.Description)
				}
			}},
		{"code in description closed when cut", bot.Post{Title: "T", Text: "```\n" + strings.Repeat("code line\n", 600) + "```"}, 0,
			func(t *testing.T, e *discordgo.MessageEmbed) {
				if strings.Count(e.Description, "```") != 2 || !strings.HasSuffix(e.Description, "```\n…") {
					t.Errorf("description ends %q", e.Description[len(e.Description)-20:])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := messageSend(tt.post)
			if len(msgs) != 1 || len(msgs[0].Embeds) != 1 || msgs[0].Content != "" {
				t.Fatalf("a card is one message with one embed and no content, got %d messages", len(msgs))
			}
			e := msgs[0].Embeds[0]
			if len(e.Fields) != tt.wantFields {
				t.Errorf("%d fields, want %d", len(e.Fields), tt.wantFields)
			}
			if n := embedLen(e); n > maxEmbed {
				t.Errorf("embed of %d characters", n)
			}
			for _, f := range e.Fields {
				if f.Name == "" || f.Value == "" {
					t.Errorf("empty field %+v", f)
				}
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

// walkStrings calls f with every string in decoded JSON.
func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case []any:
		for _, x := range v {
			walkStrings(x, f)
		}
	case map[string]any:
		for k, x := range v {
			f(k)
			walkStrings(x, f)
		}
	}
}

// assertJSONSafe checks a request body as discordgo would send it: no pings allowed, and no string in it
// that could ping. json.Marshal writes < as \u003c, so strings are checked decoded, not in the bytes.
func assertJSONSafe(t *testing.T, body []byte) map[string]any {
	t.Helper()
	if !bytes.Contains(body, []byte(`"allowed_mentions":{"parse":[]`)) {
		t.Errorf("no empty allowed_mentions.parse in %s", body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	walkStrings(m, func(s string) { assertSafe(t, s) })
	return m
}

func TestMessagesNeverMention(t *testing.T) {
	for _, h := range hostile {
		posts := map[string]bot.Post{
			"text":        {Text: h},
			"title":       {Title: h},
			"card text":   {Title: "T", Text: h},
			"field name":  {Fields: []bot.Field{{Name: h, Value: "v"}}},
			"field value": {Fields: []bot.Field{{Name: "n", Value: h}}},
			"label":       {Text: "t", Choices: []bot.Choice{{ID: "c", Label: h}}},
		}
		for where, p := range posts {
			t.Run(where+" "+h, func(t *testing.T) {
				for _, m := range messageSend(p) {
					body, err := json.Marshal(m)
					if err != nil {
						t.Fatal(err)
					}
					assertJSONSafe(t, body)
				}
				body, err := json.Marshal(messageEdit("C1", "M1", p))
				if err != nil {
					t.Fatal(err)
				}
				assertJSONSafe(t, body)
			})
		}
	}
}

// TestMessageJSON checks the request bodies as Discord receives them, and that they read back as sent.
func TestMessageJSON(t *testing.T) {
	p := bot.Post{Text: "**Hi** @everyone", Choices: []bot.Choice{
		{ID: "solved", Label: "Solved", Style: bot.StylePrimary}, {ID: "human", Label: "Talk to a human"},
	}}
	body, err := json.Marshal(messageSend(p)[0])
	if err != nil {
		t.Fatal(err)
	}
	m := assertJSONSafe(t, body)
	if m["content"] != "**Hi** @"+zwsp+"everyone" {
		t.Errorf("content %q", m["content"])
	}
	rows, _ := m["components"].([]any)
	if len(rows) != 1 {
		t.Fatalf("components %v", m["components"])
	}
	row := rows[0].(map[string]any)
	btns, _ := row["components"].([]any)
	if row["type"] != float64(discordgo.ActionsRowComponent) || len(btns) != 2 {
		t.Fatalf("row %v", row)
	}
	b0, b1 := btns[0].(map[string]any), btns[1].(map[string]any)
	if b0["type"] != float64(discordgo.ButtonComponent) || b0["custom_id"] != "solved" || b0["label"] != "Solved" ||
		b0["style"] != float64(discordgo.PrimaryButton) || b1["style"] != float64(discordgo.SecondaryButton) {
		t.Errorf("buttons %v %v", b0, b1)
	}

	// Round trip: discordgo reads its own body back to the same message.
	var back discordgo.Message
	if err := json.Unmarshal(body, &back); err != nil {
		t.Fatal(err)
	}
	if back.Content != messageSend(p)[0].Content || len(back.Components) != 1 {
		t.Fatalf("read back %q with %d rows", back.Content, len(back.Components))
	}
	if got := back.Components[0].(*discordgo.ActionsRow).Components[1].(*discordgo.Button); got.CustomID != "human" ||
		got.Style != discordgo.SecondaryButton {
		t.Errorf("second button read back as %+v", got)
	}

	// A card's embed reads back as sent.
	card := bot.Post{Title: "Ticket 7", Text: "VPN", Fields: []bot.Field{{Name: "Priority", Value: "high"}}}
	body, err = json.Marshal(messageSend(card)[0])
	if err != nil {
		t.Fatal(err)
	}
	assertJSONSafe(t, body)
	back = discordgo.Message{}
	if err := json.Unmarshal(body, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Embeds) != 1 || back.Embeds[0].Title != "Ticket 7" || back.Embeds[0].Fields[0].Value != "high" {
		t.Errorf("card read back as %+v", back.Embeds)
	}
}

func TestMessageEdit(t *testing.T) {
	long := strings.Repeat("word ", 1000)
	tests := []struct {
		name string
		post bot.Post
	}{
		{"card without choices", bot.Post{Title: "Ticket 7", Text: "claimed", Fields: []bot.Field{{Name: "Owner", Value: "Ann"}}}},
		{"card with choices", bot.Post{Title: "Ticket 7", Text: "open", Choices: []bot.Choice{{ID: "claim", Label: "Claim"}}}},
		{"text", bot.Post{Text: "Did this help?", Choices: []bot.Choice{{ID: "solved", Label: "Solved"}}}},
		{"long text", bot.Post{Text: long, Choices: []bot.Choice{{ID: "solved", Label: "Solved"}}}},
		{"empty text", bot.Post{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := messageEdit("C1", "M1", tt.post)
			sent := messageSend(tt.post)
			first := sent[0]
			if e.Channel != "C1" || e.ID != "M1" {
				t.Errorf("edit of %s/%s", e.Channel, e.ID)
			}
			if e.Content == nil || e.Embeds == nil || e.Components == nil {
				t.Fatalf("edit leaves content, embeds or components unset: %+v", e)
			}
			if e.AllowedMentions == nil || e.AllowedMentions.Parse == nil {
				t.Fatalf("edit allows mentions: %+v", e.AllowedMentions)
			}
			// The buttons are exactly the post's, none being an explicit [] that removes the old ones.
			if got, want := len(*e.Components), len(sent[len(sent)-1].Components); got != want {
				t.Errorf("%d rows, want %d", got, want)
			}
			body, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			assertJSONSafe(t, body)
			if len(tt.post.Choices) == 0 && !bytes.Contains(body, []byte(`"components":[]`)) {
				t.Errorf("edit without choices does not clear the buttons: %s", body)
			}
			switch {
			case first.Embeds != nil:
				if *e.Content != "" || len(*e.Embeds) != 1 || !reflect.DeepEqual((*e.Embeds)[0], first.Embeds[0]) {
					t.Errorf("card edit %q %v, want the embed of messageSend", *e.Content, *e.Embeds)
				}
			case len(sent) == 1:
				if *e.Content != first.Content || len(*e.Embeds) != 0 {
					t.Errorf("edit content %q, want messageSend's %q and no embeds", *e.Content, first.Content)
				}
			default:
				if n := utf8.RuneCountInString(*e.Content); n > maxContent || !strings.HasSuffix(*e.Content, "…") ||
					!strings.HasPrefix(first.Content, strings.TrimSuffix(*e.Content, "\n…")[:100]) {
					t.Errorf("long edit of %d characters: %q…", n, (*e.Content)[:50])
				}
			}
		})
	}
}

func TestFromDiscord(t *testing.T) {
	names := map[string]string{"111": "Ann", "222": "", "333": "snake_case*star*"}
	roles := map[string]string{"900": "IT Support"}
	channels := map[string]string{"555": "it-help"}
	name := func(id string) string { return names[id] }
	roleName := func(id string) string { return roles[id] }
	channelName := func(id string) string { return channels[id] }
	tests := []struct {
		name, in, want string
	}{
		{"plain", "my VPN is down", "my VPN is down"},
		{"bot mention first", "<@999> my VPN is down", "my VPN is down"},
		{"bot nick mention with colon", "<@!999>: reset my password", "reset my password"},
		{"bot mention with comma", "hey <@999>, help", "hey help"},
		{"bot mention last", "thanks <@999>", "thanks"},
		{"user mention", "ask <@111> or <@!111>", "ask @Ann or @Ann"},
		{"unknown user", "ask <@222>", "ask @222"},
		{"role", "ping <@&900> and <@&901>", "ping @IT Support and @role"},
		{"channel", "see <#555> and <#556>", "see #it-help and #556"},
		{"name with markdown", "ask <@333>", `ask @snake\_case\*star\*`},
		{"escapes stay", `\*literal\* 2\*3`, `\*literal\* 2\*3`},
		{"custom emoji", "works <:party:123456789012345678> <a:spin:123>", "works :party: :spin:"},
		{"timestamp", "since <t:1700000000:R> or <t:1700000000>", "since 14 Nov 2023 22:13 UTC or 14 Nov 2023 22:13 UTC"},
		{"not a timestamp", "<t:abc> <t:1:RR>", "<t:abc> <t:1:RR>"},
		{"other angles stay", "a < b and <not a mention> <@abc>", "a < b and <not a mention> <@abc>"},
		{"mention after stray angle", "x <<@111>> y", "x <@Ann> y"},
		{"unclosed", "<@111", "<@111"},
		{"no bot id", "<@999> hi", "@999 hi"},
		{"spaces trimmed", "  hi  ", "hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			botID := "999"
			if tt.name == "no bot id" {
				botID = ""
			}
			if got := fromDiscord(tt.in, botID, name, roleName, channelName); got != tt.want {
				t.Errorf("fromDiscord(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := fromDiscord("<@111> <@&900>", "999", nil, nil, nil); got != "@111 @role" {
		t.Errorf("nil lookups: %q", got)
	}
	// Linear: a message of stray angles does not search to its end from each one.
	if got := fromDiscord(strings.Repeat("<", 200_000)+">", "1", nil, nil, nil); len(got) != 200_001 {
		t.Errorf("stray angles: %d bytes back", len(got))
	}
}

func TestReactionName(t *testing.T) {
	const (
		zwj    = "\u200d"
		female = "\u2640"
		male   = "\u2642"
		vs16   = "\ufe0f"
		vs15   = "\ufe0e"
	)
	tones := []string{"", "\U0001F3FB", "\U0001F3FC", "\U0001F3FD", "\U0001F3FE", "\U0001F3FF"}
	desk := map[string]string{ // the five desk emoji, and thumbs down with them
		"\U0001F64B": "raising_hand",
		"\u2B06":     "arrow_up",
		"\u2705":     "white_check_mark",
		"\U0001F4DA": "books",
		"\U0001F44D": "+1",
		"\U0001F44E": "-1",
	}
	for base, want := range desk {
		for _, tone := range tones {
			for _, vs := range []string{"", vs16, vs15} {
				for _, gender := range []string{"", zwj + female, zwj + female + vs16, zwj + male, zwj + male + vs16} {
					e := base + tone + vs + gender
					if got := reactionName(discordgo.Emoji{Name: e}, nil); got != want {
						t.Errorf("reactionName(%q %+q) = %q, want %q", e, e, got, want)
					}
				}
			}
		}
	}

	custom := map[string]string{"123456": "raising_hand", "claim": "raising_hand", "up:777": "arrow_up",
		"ThumbsUp": "thumbsup", "🙏": "white_check_mark"}
	tests := []struct {
		name  string
		emoji discordgo.Emoji
		want  string
	}{
		{"check", discordgo.Emoji{Name: "✔️"}, "heavy_check_mark"},
		{"cross", discordgo.Emoji{Name: "❌"}, "x"},
		{"eyes", discordgo.Emoji{Name: "👀"}, "eyes"},
		{"unknown unicode ignored", discordgo.Emoji{Name: "🎉"}, ""},
		{"other joined sequence is another emoji", discordgo.Emoji{Name: "👨‍💻"}, ""},
		{"lone modifier", discordgo.Emoji{Name: "\U0001F3FD"}, ""},
		{"empty", discordgo.Emoji{}, ""},
		{"unicode named in config", discordgo.Emoji{Name: "🙏🏽"}, "white_check_mark"},
		{"custom by id", discordgo.Emoji{ID: "123456", Name: "whatever"}, "raising_hand"},
		{"custom by name", discordgo.Emoji{ID: "42", Name: "claim"}, "raising_hand"},
		{"custom by name any case", discordgo.Emoji{ID: "42", Name: "Claim"}, "raising_hand"},
		{"custom by name:id", discordgo.Emoji{ID: "777", Name: "up"}, "arrow_up"},
		{"custom mapped value normalized", discordgo.Emoji{ID: "5", Name: "ThumbsUp"}, "+1"},
		{"custom unnamed: own name", discordgo.Emoji{ID: "9", Name: "PartyParrot"}, "partyparrot"},
		{"custom without name", discordgo.Emoji{ID: "9"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reactionName(tt.emoji, custom); got != tt.want {
				t.Errorf("reactionName(%+v) = %q, want %q", tt.emoji, got, tt.want)
			}
		})
	}
}

func TestEmojiFor(t *testing.T) {
	custom := map[string]string{"123456": "claim", "grab:42": "grab", "nameonly": "solo",
		"z:2": "twice", "a:1": "twice", "555": "raising_hand", "7": "+1"}
	tests := []struct {
		name, in, want string
	}{
		{"raising hand", "raising_hand", "🙋"},
		{"arrow up with FE0F", "arrow_up", "\u2B06\uFE0F"},
		{"check mark", "white_check_mark", "✅"},
		{"books", "books", "📚"},
		{"+1", "+1", "👍"},
		{"thumbsup alias", "thumbsup", "👍"},
		{"-1", "-1", "👎"},
		{"heavy check with FE0F", "heavy_check_mark", "\u2714\uFE0F"},
		{"x", "x", "❌"},
		{"eyes", "eyes", "👀"},
		{"colons and case", ":Eyes:", "👀"},
		{"unicode wins over custom", "raising_hand", "🙋"},
		{"custom by id gets a name", "claim", "claim:123456"},
		{"custom name:id", "grab", "grab:42"},
		{"custom by name only cannot react", "solo", ""},
		{"several custom: always the same", "twice", "a:1"},
		{"unknown", "party", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := emojiFor(tt.in, custom); got != tt.want {
				t.Errorf("emojiFor(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	// What the bot reacts with reads back as the same name.
	for name := range emojiNames {
		if got := reactionName(discordgo.Emoji{Name: emojiFor(name, nil)}, nil); got != name {
			t.Errorf("reactionName(emojiFor(%q)) = %q", name, got)
		}
	}
	if got := placeholder("+1"); got != "emoji" {
		t.Errorf("placeholder(+1) = %q", got)
	}
}

// TestNotifyRoles checks the one deliberate ping: the role named in Post.Notify, allowed by id, nothing
// else.
func TestNotifyRoles(t *testing.T) {
	ms := messageSend(bot.Post{Text: "breached @everyone", Notify: []string{"discord:role:123456789012345678", "slack:subteam:S1", "discord:role:abc"}})
	m := ms[0]
	if !strings.HasPrefix(m.Content, "<@&123456789012345678> ") || strings.Contains(m.Content, "@everyone") {
		t.Fatalf("content %q", m.Content)
	}
	if am := m.AllowedMentions; am == nil || len(am.Parse) != 0 || len(am.Roles) != 1 || am.Roles[0] != "123456789012345678" {
		t.Fatalf("allowed mentions %+v", m.AllowedMentions)
	}
}

func TestKeycapRatings(t *testing.T) {
	for i, name := range []string{"one", "two", "three", "four", "five"} {
		e := emojiFor(name, nil)
		if got := reactionName(discordgo.Emoji{Name: e}, nil); got != name {
			t.Errorf("%s: emoji %q reads back as %q", name, e, got)
		}
		plain := string(rune('1'+i)) + "\u20E3" // without the variation selector
		if got := reactionName(discordgo.Emoji{Name: plain}, nil); got != name {
			t.Errorf("%q reads as %q, want %s", plain, got, name)
		}
	}
}
