package kb_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/kb"
)

func TestDiffSummary(t *testing.T) {
	base := kb.Article{
		ID: "vpn", Title: "VPN setup", Tags: []string{"vpn", "wifi"}, Aliases: []string{"remote access"},
		Category: "network", Owner: "net-team", Body: "one\ntwo\nthree",
	}
	tests := []struct {
		name   string
		change func(*kb.Article)
		want   string
	}{
		{name: "equal", change: func(*kb.Article) {}, want: "no change"},
		{name: "updated is not a change", change: func(a *kb.Article) { a.Updated = a.Updated.AddDate(0, 0, 1) }, want: "no change"},
		{name: "title", change: func(a *kb.Article) { a.Title = "VPN" }, want: "title changed"},
		{
			name:   "body",
			change: func(a *kb.Article) { a.Body = "one\n2\nthree\nfour\nfive" },
			want:   "body +3 −1 lines",
		},
		{name: "body emptied", change: func(a *kb.Article) { a.Body = "" }, want: "body +0 −3 lines"},
		{
			name:   "tags",
			change: func(a *kb.Article) { a.Tags = []string{"vpn", "remote"} },
			want:   "tags +remote −wifi",
		},
		{name: "tags reordered", change: func(a *kb.Article) { a.Tags = []string{"wifi", "vpn"} }, want: "tags reordered"},
		{name: "aliases removed", change: func(a *kb.Article) { a.Aliases = nil }, want: "aliases −remote access"},
		{
			name: "everything",
			change: func(a *kb.Article) {
				a.Title, a.Body, a.Tags, a.Aliases = "New", "one\ntwo\nthree\nfour", []string{"vpn", "wifi", "x"}, []string{"y"}
				a.Category, a.Owner = "hardware", "ann"
			},
			want: "title changed; body +1 −0 lines; tags +x; aliases +y −remote access; category changed; owner changed",
		},
		{
			name:   "too long to compare",
			change: func(a *kb.Article) { a.Body = strings.Repeat("x\n", 2001) + "end" },
			want:   "body replaced",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := base
			next.Tags = append([]string(nil), base.Tags...)
			tt.change(&next)
			if got := kb.DiffSummary(base, next); got != tt.want {
				t.Fatalf("DiffSummary = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDiffLines(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		max      int
		want     string
	}{
		{name: "equal", old: "a\nb", new: "a\nb", max: 10, want: ""},
		{name: "added to empty", old: "", new: "a\nb", max: 10, want: "+ a\n+ b"},
		{name: "removed all", old: "a\nb", new: "", max: 10, want: "- a\n- b"},
		{name: "one line replaced", old: "a\nb\nc", new: "a\nB\nc", max: 10, want: "- b\n+ B"},
		{
			name: "separate changes get a separator",
			old:  "a\nb\nc\nd\ne",
			new:  "a\nB\nc\nd\ne\nf",
			max:  10,
			want: "- b\n+ B\n…\n+ f",
		},
		{
			name: "adjacent changes share no separator",
			old:  "x\ny",
			new:  "x\nz\nw",
			max:  10,
			want: "- y\n+ z\n+ w",
		},
		{
			name: "cut to max lines",
			old:  "1\n2\n3\n4\n5",
			new:  "",
			max:  3,
			want: "- 1\n- 2\n… 3 more changed lines",
		},
		{
			name: "cut drops a dangling separator",
			old:  "a\nb\nc\nd",
			new:  "A\nb\nC\nD",
			max:  4,
			want: "- a\n+ A\n… 4 more changed lines",
		},
		{name: "cut leaves one", old: "a\nb\nc", new: "x\na\nb\nc\ny", max: 2, want: "+ x\n… 1 more changed line"},
		{name: "fits exactly", old: "a", new: "a\nb\nc", max: 2, want: "+ b\n+ c"},
		{name: "no limit", old: "", new: "1\n2\n3", max: 0, want: "+ 1\n+ 2\n+ 3"},
		{
			name: "too long",
			old:  strings.Repeat("x\n", 2001) + "y",
			new:  strings.Repeat("z\n", 2001) + "y",
			max:  10,
			want: "body replaced (2002 lines → 2002 lines, too long to compare line by line)",
		},
		{
			name: "long but mostly common",
			old:  strings.Repeat("x\n", 3000) + "old",
			new:  strings.Repeat("x\n", 3000) + "new",
			max:  10,
			want: "- old\n+ new",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kb.DiffLines(tt.old, tt.new, tt.max)
			if got != tt.want {
				t.Fatalf("DiffLines(%q, %q, %d)\n got %q\nwant %q", shortForTest(tt.old), shortForTest(tt.new), tt.max, got, tt.want)
			}
		})
	}
}

func shortForTest(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
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
		full := kb.DiffLines(old, new, 0)
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
		limited := strings.Split(kb.DiffLines(old, new, maxLines), "\n")
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
		if got := kb.DiffSummary(a, a); got != "no change" {
			t.Fatalf("DiffSummary of an article with itself = %q", got)
		}
		got := kb.DiffSummary(a, b)
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
		diff := kb.DiffLines(a.Body, b.Body, 0)
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
