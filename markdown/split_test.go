package markdown

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// splitCases are TestSplit's table, which the golden test records too.
var splitCases = []struct {
	name  string
	text  string
	limit int
	want  []string
}{
	{"fits", "one\n\ntwo", 100, []string{"one\n\ntwo"}},
	{"no limit", repeatWord("word", 500), 0, []string{repeatWord("word", 500)}},
	{"at a paragraph", repeatWord("aaaa", 10) + "\n\n" + repeatWord("bbbb", 10), 60, []string{repeatWord("aaaa", 10), repeatWord("bbbb", 10)}},
	{"at a line when the paragraph would leave the part too empty", "x\n\n" + repeatWord("aaaa", 8) + "\n" + repeatWord("bbbb", 8), 60,
		[]string{"x\n\n" + repeatWord("aaaa", 8), repeatWord("bbbb", 8)}},
	{"code block closed and reopened", "Run:\n\n```sh\n" + strings.Repeat("echo hello world\n", 6) + "```\n\nDone.", 60,
		[]string{"Run:\n\n```sh\necho hello world\necho hello world\n```", "```sh\necho hello world\necho hello world\necho hello world\n```",
			"```sh\necho hello world\n```\n\nDone."}},
	{"not inside bold", "Please press **the big green button** now", 30, []string{"Please press", "**the big green button** now"}},
	{"not inside a link", "Open the [reset page](https://id.example.com/reset) now.", 50,
		[]string{"Open the", "[reset page](https://id.example.com/reset) now."}},
	{"not inside code", "Type `net use z: \\\\server\\share` there.", 34, []string{"Type `net use z: \\\\server\\share`", "there."}},
	{"a word longer than a part", strings.Repeat("x", 25), 10, []string{"xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"}},
	{"indentation kept", "Steps:\n\n    code line one\n    code line two", 40, []string{"Steps:\n\n    code line one", "    code line two"}},
}

// repeatWord is n words separated by spaces.
func repeatWord(word string, n int) string { return strings.TrimSpace(strings.Repeat(word+" ", n)) }

func TestSplit(t *testing.T) {
	for _, tc := range splitCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Split(tc.text, tc.limit)
			if strings.Join(got, "\n|\n") != strings.Join(tc.want, "\n|\n") {
				t.Fatalf("split into\n%q\nwant\n%q", got, tc.want)
			}
			checkParts(t, tc.text, tc.limit, got)
		})
	}
}

// checkParts checks what every split must be: parts within the limit, none empty, every character of
// the text kept in order, and every code block a part opens closed in that part.
func checkParts(t *testing.T, text string, limit int, parts []string) {
	t.Helper()
	long := longFenceLine(text, limit)
	for i, p := range parts {
		if limit >= 40 && !long && utf8.RuneCountInString(p) > limit {
			t.Fatalf("part %d has %d characters, over %d:\n%s", i, utf8.RuneCountInString(p), limit, p)
		}
		if strings.TrimSpace(p) == "" && strings.TrimSpace(text) != "" {
			t.Fatalf("part %d is empty: %q", i, parts)
		}
		if i < len(parts)-1 && openFence(p) != "" && limit >= 40 && !long {
			t.Fatalf("part %d leaves a code block open:\n%s", i, p)
		}
	}
	want, got := []rune(nonSpace(text)), []rune(nonSpace(strings.Join(parts, "")))
	j := 0
	for _, r := range got {
		if j < len(want) && r == want[j] {
			j++
		}
	}
	if j < len(want) {
		t.Fatalf("text lost after %q:\n%q", string(want[:j]), parts)
	}
	if extra := len(got) - len(want); extra > len(parts)*80 {
		t.Fatalf("%d characters added by %d parts", extra, len(parts))
	}
}

func nonSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// longFenceLine reports whether text has a code fence line too long for half a part: a part may then
// have to end inside that line, and no closing it can help.
func longFenceLine(text string, limit int) bool {
	for line := range strings.SplitSeq(text, "\n") {
		if fenceOpener(line) != "" && utf8.RuneCountInString(line) > limit/4 {
			return true
		}
	}
	return false
}

// openFence is the opening line of a code block still open at the end of s.
func openFence(s string) string {
	open := ""
	for line := range strings.SplitSeq(s, "\n") {
		switch {
		case open == "" && fenceOpener(line) != "":
			open = fenceOpener(line)
		case open != "" && ClosesFence(line, fenceRun(open)):
			open = ""
		}
	}
	return open
}

// splitSeeds are FuzzSplit's seeds besides its corpus files.
var splitSeeds = []struct {
	text  string
	limit int
}{
	{"Run:\n\n```sh\necho one\necho two\n```\n\nThen **press the button** and [read this](https://x.example/y).", 40},
	{strings.Repeat("word ", 300), 100},
	{"~~~\ncode ``` here\n~~~~\ntext `a b` **c d**", 41},
	{"```\nunterminated\nblock\nof code that goes on", 45},
}

func FuzzSplit(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add(s.text, s.limit)
	}
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if !utf8.ValidString(text) || limit < 40 || limit > 5000 || len(text) > 20000 {
			return
		}
		parts := Split(text, limit)
		checkParts(t, text, limit, parts)
		if openFence(text) == "" && !longFenceLine(text, limit) && len(parts) > 0 && openFence(parts[len(parts)-1]) != "" {
			t.Fatalf("the last part leaves a block open that the text closed: %q", parts)
		}
	})
}

// TestSplitLinear splits lines built to make a naive scanner quadratic: a million of them would take
// most of an hour if it were (a line of 200,000 < took 50 s before the search for the end of <…> was
// remembered), and go test's ten minutes end it.
func TestSplitLinear(t *testing.T) {
	const n = 1_000_000
	for name, in := range map[string]string{
		"angles":    strings.Repeat("<", n),
		"autolinks": strings.Repeat("<a ", n/3),
		"brackets":  strings.Repeat("[", n),
		"links":     strings.Repeat("[a](", n/4),
		"backticks": strings.Repeat("`a", n/2),
		"bold":      strings.Repeat("**a ", n/4),
		"fences":    strings.Repeat("```\n", n/4),
	} {
		t.Run(name, func(t *testing.T) {
			parts := Split(in, 2000)
			checkParts(t, in, 2000, parts)
		})
	}
}
