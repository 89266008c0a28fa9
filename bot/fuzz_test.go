package bot_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

// The fuzzers here cover the parsers that read what people type in chat: command lines, the !kb
// sub-commands written back as the message that makes them, and the diffs of article versions shown in
// chat. FuzzParseKB and FuzzArticleIDFromTitle are in kbparse_test.go. `go test` runs the seeds;
// `go test -fuzz FuzzParseCommand -parallel=1 ./bot` explores.

// FuzzParseCommand checks that a command is what its doc says: a lower-case name without white space
// that starts with a letter, Args the words of Rest, Rest trimmed; and that writing it back with the
// same prefix reads the same command.
func FuzzParseCommand(f *testing.F) {
	for _, s := range [][2]string{
		{"!", "!help"}, {"!", "  !STATUS  "}, {"!", "!priority P1 now"}, {"!", "!vendor\tacme 42"},
		{"fl/", "fl/escalate too slow"}, {"!", "my vpn is broken!"}, {"!", "!!!"}, {"!", "! urgent"},
		{"!", "!kb add\nVPN setup\nOpen the app.\ntags: vpn"}, {"!", "!Ünïcode ärgs"}, {"!", "!\u00a0x"},
		{"", "help"}, {"!", "!kb\u2028search vpn"}, {"!", "!\xff"}, {"?", "?K\u212a"}, {"!", "!note internal: call back"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, prefix, text string) {
		c, ok := bot.ParseCommand(prefix, text)
		if !ok {
			if !reflect.DeepEqual(c, bot.Command{}) {
				t.Fatalf("ParseCommand(%q, %q) = %+v, false: want the zero Command", prefix, text, c)
			}
			return
		}
		if prefix == "" || !strings.HasPrefix(strings.TrimSpace(text), prefix) {
			t.Fatalf("ParseCommand(%q, %q) accepted text that does not start with the prefix", prefix, text)
		}
		r := []rune(c.Name)
		if len(r) == 0 || !unicode.IsLetter(r[0]) || strings.IndexFunc(c.Name, unicode.IsSpace) >= 0 || c.Name != strings.ToLower(c.Name) {
			t.Fatalf("ParseCommand(%q, %q).Name = %q", prefix, text, c.Name)
		}
		if c.Rest != strings.TrimSpace(c.Rest) || !slices.Equal(c.Args, strings.Fields(c.Rest)) {
			t.Fatalf("ParseCommand(%q, %q) = %+v: Rest untrimmed or Args not its words", prefix, text, c)
		}
		again, ok := bot.ParseCommand(prefix, prefix+c.Name+" "+c.Rest)
		if !ok || again.Name != c.Name || again.Rest != c.Rest {
			t.Fatalf("ParseCommand(%q, %q) = %+v, but written back it reads %+v, %v", prefix, text, c, again, ok)
		}
	})
}

// FuzzParseKBAddRoundTrip checks that an article added with "!kb add" can be written back as an add
// message that reads the same: the title as a heading (so a title that looks like "tags: x" stays a
// title), the tags and aliases lines, then the body.
func FuzzParseKBAddRoundTrip(f *testing.F) {
	for _, s := range []string{
		"add VPN setup\nOpen the app and sign in.",
		"add\n# Printer offline\n\n1. Turn it off.\n2. Turn it on.\ntags: printer, Printer, hardware\naliases: printer not printing",
		"add\nReset MFA\n```yaml\ntags: not-a-field\n```\nThen call the desk.",
		"add\r\nWi-Fi\r\n    code block first\r\n\r\naliases: wlan",
		"add ## # Hash title\ntext", "add\n\ntitle: Outlook PST\nbody\ntitle: body line", "add tags: x\nTitle\nbody",
		"add Café Łódź\n~~~\nunclosed fence\ntags: inside",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := bot.ParseKB(text)
		if err != nil || c.Sub != "add" {
			return
		}
		var msg strings.Builder
		msg.WriteString("add\n# " + c.Title + "\n")
		if len(c.Tags) > 0 {
			msg.WriteString("tags: " + strings.Join(c.Tags, ", ") + "\n")
		}
		if len(c.Aliases) > 0 {
			msg.WriteString("aliases: " + strings.Join(c.Aliases, ", ") + "\n")
		}
		msg.WriteString(c.Body)
		again, err := bot.ParseKB(msg.String())
		if err != nil {
			t.Fatalf("ParseKB(%q) = %+v, but written back as %q: %v", text, c, msg.String(), err)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("ParseKB(%q) = %+v, but written back as %q it reads %+v", text, c, msg.String(), again)
		}
	})
}

// FuzzDiffLines checks the line diff shown by !kb diff: "" only for equal bodies; without a limit every
// line is "…" (between changes only), "- old" or "+ new"; the removed and added lines are subsequences
// of the old and new bodies, as few as a longest common subsequence allows; and a limit keeps a prefix
// of the full diff and counts the changed lines it left out.
func FuzzDiffLines(f *testing.F) {
	for _, s := range []struct {
		old, new string
		max      int
	}{
		{"", "", 0}, {"a", "a", 3}, {"Open Settings.\nChoose VPN.\nConnect.", "Open Settings.\nChoose Network > VPN.\nConnect.", 0},
		{"a\nb\nc\nd\ne", "a\nc\ne\nf", 2}, {"", "new body", 1}, {"old body", "", 0}, {"x\n\n\ny", "y\n\n\nx", 4},
		{"1\n2\n3\n4\n5\n6", "6\n5\n4\n3\n2\n1", 1}, {"…\n- a", "+ a\n…", 0}, {"a\r\nb", "a\nb", -1},
	} {
		f.Add(s.old, s.new, s.max)
	}
	f.Fuzz(func(t *testing.T, old, new string, maxLines int) {
		full := bot.DiffLines(old, new, 0)
		if (full == "") != (old == new) {
			t.Fatalf("DiffLines(%q, %q) = %q", old, new, full)
		}
		if full == "" {
			return
		}
		oldLines, newLines := fuzzLines(old), fuzzLines(new)
		if strings.HasPrefix(full, "body replaced (") {
			if a, b := fuzzDiffering(oldLines, newLines); a <= 2000 && b <= 2000 {
				t.Fatalf("DiffLines replaced a body whose changed part is %d and %d lines: %q", a, b, full)
			}
			return
		}
		out := strings.Split(full, "\n")
		var removed, added []string
		for i, l := range out {
			switch {
			case l == "…":
				if i == 0 || i == len(out)-1 || out[i-1] == "…" {
					t.Fatalf("DiffLines(%q, %q): stray … at line %d of %q", old, new, i, full)
				}
			case strings.HasPrefix(l, "- "):
				removed = append(removed, l[2:])
			case strings.HasPrefix(l, "+ "):
				added = append(added, l[2:])
			default:
				t.Fatalf("DiffLines(%q, %q): line %q is not a change", old, new, l)
			}
		}
		if !fuzzSubsequence(removed, oldLines) || !fuzzSubsequence(added, newLines) {
			t.Fatalf("DiffLines(%q, %q) = %q: changes not in the bodies", old, new, full)
		}
		if len(oldLines) <= 200 && len(newLines) <= 200 {
			if keep := fuzzLcs(oldLines, newLines); len(removed) != len(oldLines)-keep || len(added) != len(newLines)-keep {
				t.Fatalf("DiffLines(%q, %q) = %q: %d removed and %d added, the fewest is %d and %d",
					old, new, full, len(removed), len(added), len(oldLines)-keep, len(newLines)-keep)
			}
		}

		if maxLines <= 0 {
			return
		}
		maxLines = maxLines%50 + 1 // the limit's effect shows on short diffs; a huge one is no limit
		limited := strings.Split(bot.DiffLines(old, new, maxLines), "\n")
		if len(out) <= maxLines {
			if !slices.Equal(limited, out) {
				t.Fatalf("DiffLines(%q, %q, %d) = %q, but the diff fits: %q", old, new, maxLines, limited, full)
			}
			return
		}
		last := len(limited) - 1
		if len(limited) > maxLines || !slices.Equal(limited[:last], out[:last]) || (last > 0 && limited[last-1] == "…") {
			t.Fatalf("DiffLines(%q, %q, %d) = %q, not a prefix of %q", old, new, maxLines, limited, full)
		}
		changed := func(ls []string) int { return len(ls) - fuzzOccurrences(ls, "…") }
		left := changed(out) - changed(limited[:last])
		if want := fmt.Sprintf("… %d more changed %s", left, map[bool]string{true: "line", false: "lines"}[left == 1]); limited[last] != want {
			t.Fatalf("DiffLines(%q, %q, %d) ends %q, want %q", old, new, maxLines, limited[last], want)
		}
	})
}

// FuzzDiffSummary checks the one-line summary of a change: "no change" exactly when nothing but the
// date differs, each changed part named, and the body counts those of DiffLines.
func FuzzDiffSummary(f *testing.F) {
	for _, s := range [][6]string{
		{"VPN", "VPN", "a\nb", "a\nc", "vpn,wifi", "vpn"}, {"VPN", "VPN setup", "x", "x", "", ""},
		{"T", "T", "b", "b", "a,b", "b,a"}, {"T", "T", "b", "b", "a,a", "a"}, {"T", "T", "", "", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	f.Fuzz(func(t *testing.T, oldTitle, newTitle, oldBody, newBody, oldTags, newTags string) {
		a := kb.Article{ID: "a", Title: oldTitle, Body: oldBody, Tags: fuzzSplitList(oldTags)}
		b := kb.Article{ID: "a", Title: newTitle, Body: newBody, Tags: fuzzSplitList(newTags), Updated: a.Updated.AddDate(0, 0, 1)}
		if got := bot.DiffSummary(a, a); got != "no change" {
			t.Fatalf("DiffSummary of an article with itself = %q", got)
		}
		got := bot.DiffSummary(a, b)
		same := a.Title == b.Title && a.Body == b.Body && slices.Equal(a.Tags, b.Tags)
		if (got == "no change") != same {
			t.Fatalf("DiffSummary(%+v, %+v) = %q", a, b, got)
		}
		if strings.Contains(got, "title changed") != (a.Title != b.Title) || strings.Contains(got, "tags") != !slices.Equal(a.Tags, b.Tags) {
			t.Fatalf("DiffSummary(%+v, %+v) = %q", a, b, got)
		}
		if a.Body == b.Body {
			return
		}
		diff := bot.DiffLines(a.Body, b.Body, 0)
		if strings.HasPrefix(diff, "body replaced") {
			if !strings.Contains(got, "body replaced") {
				t.Fatalf("DiffSummary = %q, but DiffLines = %q", got, diff)
			}
			return
		}
		var plus, minus int
		for _, l := range strings.Split(diff, "\n") {
			switch {
			case strings.HasPrefix(l, "+ "):
				plus++
			case strings.HasPrefix(l, "- "):
				minus++
			}
		}
		if want := fmt.Sprintf("body +%d −%d lines", plus, minus); !strings.Contains(got, want) {
			t.Fatalf("DiffSummary(%+v, %+v) = %q, want it to say %q", a, b, got, want)
		}
	})
}

// fuzzOccurrences is how many times x is in s.
func fuzzOccurrences(s []string, x string) int {
	n := 0
	for _, v := range s {
		if v == x {
			n++
		}
	}
	return n
}

// fuzzLines splits a body as the diff does: an empty body has no lines.
func fuzzLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func fuzzSplitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// fuzzDiffering returns how many lines of a and b are left once their common first and last lines are
// dropped.
func fuzzDiffering(a, b []string) (int, int) {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	return len(a) - pre - suf, len(b) - pre - suf
}

// fuzzSubsequence reports whether sub is s with some elements left out.
func fuzzSubsequence(sub, s []string) bool {
	i := 0
	for _, x := range s {
		if i < len(sub) && sub[i] == x {
			i++
		}
	}
	return i == len(sub)
}

// fuzzLcs is the length of a longest common subsequence, by the textbook table.
func fuzzLcs(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
