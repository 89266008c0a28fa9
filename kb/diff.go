package kb

// What changed between two versions of an article, in words and line by line, as chat shows it.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/firstline-desk/firstline/internal/plural"
)

// maxDiffLines bounds the line diff: the LCS table is quadratic, and a body this long is not
// something a person reads as a diff in chat anyway.
const maxDiffLines = 2000

// DiffSummary says in one line what changed between two versions of an article, for a history
// list or a confirmation: "title changed; body +3 −1 lines; tags +vpn −wifi". Unchanged parts are
// left out; it returns "no change" when nothing differs. Updated is not compared: it moves with
// every edit.
func DiffSummary(old, new Article) string {
	var parts []string
	if old.Title != new.Title {
		parts = append(parts, "title changed")
	}
	if old.Body != new.Body {
		ops, ok := diffLines(splitLines(old.Body), splitLines(new.Body))
		if !ok {
			parts = append(parts, "body replaced")
		} else {
			var added, removed int
			for _, o := range ops {
				switch o.kind {
				case '+':
					added++
				case '-':
					removed++
				}
			}
			parts = append(parts, fmt.Sprintf("body +%d −%d lines", added, removed))
		}
	}
	parts = appendListChange(parts, "tags", old.Tags, new.Tags)
	parts = appendListChange(parts, "aliases", old.Aliases, new.Aliases)
	parts = appendListChange(parts, "actions", old.Actions, new.Actions)
	if old.Category != new.Category {
		parts = append(parts, "category changed")
	}
	if old.Owner != new.Owner {
		parts = append(parts, "owner changed")
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, "; ")
}

// appendListChange describes the values added to and removed from a list as "tags +vpn −wifi",
// or "tags reordered" when only the order differs.
func appendListChange(parts []string, name string, old, new []string) []string {
	if slices.Equal(old, new) {
		return parts
	}
	var b strings.Builder
	b.WriteString(name)
	for _, v := range new {
		if !slices.Contains(old, v) {
			b.WriteString(" +" + v)
		}
	}
	for _, v := range old {
		if !slices.Contains(new, v) {
			b.WriteString(" −" + v)
		}
	}
	if b.Len() == len(name) {
		b.WriteString(" reordered")
	}
	return append(parts, b.String())
}

// DiffLines returns a line diff of two bodies for chat: added lines prefixed "+ ", removed ones
// "- ", unchanged lines left out except for a "…" line between two changes. It returns at most
// maxLines lines (no limit when maxLines <= 0), the last saying how many changed lines were left
// out, and "" when the bodies are equal.
func DiffLines(old, new string, maxLines int) string {
	if old == new {
		return ""
	}
	ops, ok := diffLines(splitLines(old), splitLines(new))
	if !ok {
		return fmt.Sprintf("body replaced (%s → %s, too long to compare line by line)",
			plural.Count(len(splitLines(old)), "line", "lines"), plural.Count(len(splitLines(new)), "line", "lines"))
	}
	var out []string
	skipped := false
	for _, o := range ops {
		if o.kind == '=' {
			skipped = true
			continue
		}
		if skipped && len(out) > 0 {
			out = append(out, "…")
		}
		skipped = false
		out = append(out, string(o.kind)+" "+o.line)
	}
	if maxLines > 0 && len(out) > maxLines {
		left := 0
		for _, l := range out[maxLines-1:] {
			if l != "…" {
				left++
			}
		}
		out = out[:maxLines-1]
		if n := len(out); n > 0 && out[n-1] == "…" {
			out = out[:n-1]
		}
		out = append(out, fmt.Sprintf("… %s", plural.Count(left, "more changed line", "more changed lines")))
	}
	return strings.Join(out, "\n")
}

// splitLines splits a body into lines; an empty body has none, not one empty line.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// diffOp is one line of an edit script: '=' kept, '+' added, '-' removed.
type diffOp struct {
	kind byte
	line string
}

// diffLines returns an edit script from a to b with the fewest changed lines (a longest common
// subsequence). It reports false when the part that differs, after the common first and last
// lines, is longer than maxDiffLines on either side: the table is quadratic in it.
func diffLines(a, b []string) ([]diffOp, bool) {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma) > maxDiffLines || len(mb) > maxDiffLines {
		return nil, false
	}

	ops := make([]diffOp, 0, len(a)+len(b))
	for _, l := range a[:pre] {
		ops = append(ops, diffOp{'=', l})
	}
	// lcs[i][j] is the LCS length of ma[i:] and mb[j:]; uint16 holds it since both are at most
	// maxDiffLines long, and keeps the table at 8 MB in the worst case.
	n, m := len(ma), len(mb)
	lcs := make([]uint16, (n+1)*(m+1))
	at := func(i, j int) uint16 { return lcs[i*(m+1)+j] }
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case ma[i] == mb[j]:
				lcs[i*(m+1)+j] = at(i+1, j+1) + 1
			default:
				lcs[i*(m+1)+j] = max(at(i+1, j), at(i, j+1))
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && ma[i] == mb[j]:
			ops = append(ops, diffOp{'=', ma[i]})
			i, j = i+1, j+1
		case i < n && (j == m || at(i+1, j) >= at(i, j+1)):
			// Removals before additions, as in a unified diff: the old line, then its replacement.
			ops = append(ops, diffOp{'-', ma[i]})
			i++
		default:
			ops = append(ops, diffOp{'+', mb[j]})
			j++
		}
	}
	for _, l := range a[len(a)-suf:] {
		ops = append(ops, diffOp{'=', l})
	}
	return ops, true
}
