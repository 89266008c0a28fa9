package kb_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode"

	"github.com/firstline-desk/firstline/kb"
)

// FuzzParse (fuzz_test.go) reads arbitrary files. The fuzzers here cover the other directions: what kb
// writes it must read back, and a folder of files is read or refused as a whole, each problem named by
// file and line.

// FuzzArticleMarkdown checks the writing side of the file format: every article Validate accepts is
// written by Markdown as a file Parse reads back to the same article (the body normalized as Parse
// does: CRLF to LF, blank lines before and white space after dropped), and that file is a fixed point.
// `kb export` writes with Markdown and `kb import` reads with Parse, so an export must never be refused.
func FuzzArticleMarkdown(f *testing.F) {
	type seed struct {
		id, title, tags, category, aliases, owner, body string
		sec, nsec                                       int64
	}
	for _, s := range []seed{
		{"vpn-connect", "Connect to the VPN", "vpn\x1fremote", "network", "vpn down\x1fcan't connect", "it-network", "1. Open the app.\n2. Sign in.", 1789344000, 0},
		{"a", `Quotes " and \ backslash`, "tab\there", "", "new\nline", "", "    indented code first\n\ntext  \n\n", 1789344000, 500},
		{"x.y_z", "Ünïcode 日本語", "", "", "", "Ops <ops@example.com>", "\r\nCRLF body\r\nline\r\n", 0, 0},
		{"p1", "Control \x7f\x01 chars", "\u2028", "c\x00", "", "", "+++\nnot front matter\n+++", -62135596800, 0},
		{"t", "t", "", "", "", "", "\n \n\tbody after blank lines", 253402300799, 999999999},
	} {
		f.Add(s.id, s.title, s.tags, s.category, s.aliases, s.owner, s.body, s.sec, s.nsec)
	}
	f.Fuzz(func(t *testing.T, id, title, tags, category, aliases, owner, body string, sec, nsec int64) {
		a := kb.Article{
			ID: id, Title: title, Tags: splitFields(tags), Category: category, Aliases: splitFields(aliases), Owner: owner, Body: body,
		}
		if sec != 0 || nsec != 0 {
			a.Updated = time.Unix(sec, nsec)
		}
		if a.Validate() != nil {
			return
		}
		file := a.Markdown()
		b, err := kb.Parse(file)
		if err != nil {
			t.Fatalf("Parse refuses what Markdown wrote for a valid article: %v\n%+v\n%s", err, a, file)
		}
		want := a
		want.Body = parsedBody(a.Body)
		want.Updated = a.Updated.UTC()
		if !reflect.DeepEqual(normalized(b), normalized(want)) {
			t.Fatalf("written and read back, the article changed:\n%+v\n%+v\n%s", want, b, file)
		}
		c, err := kb.Parse(b.Markdown())
		if err != nil || !reflect.DeepEqual(normalized(c), normalized(b)) || !bytes.Equal(c.Markdown(), b.Markdown()) {
			t.Fatalf("a parsed article is not a fixed point (%v):\n%+v\n%+v", err, b, c)
		}
	})
}

// FuzzReadDir checks a folder read as a whole: it fails exactly when a file fails Parse or two share an
// id, every problem then starts with its file's name; otherwise the articles are those Parse returns,
// sorted by id. Hidden files and files not ending in .md are never read (they hold garbage here).
func FuzzReadDir(f *testing.F) {
	vpn := "+++\nid = \"vpn\"\ntitle = \"VPN\"\ntags = [\"network\"]\nupdated = 2026-09-14\n+++\n\nOpen the VPN app.\n"
	wifi := "+++\nid = \"wifi\"\ntitle = \"Wi-Fi\"\n+++\nForget the network and join again.\n"
	for _, s := range [][2]string{
		{vpn, wifi}, {wifi, vpn}, {vpn, vpn}, {vpn, "+++\ntitel = \"typo\"\nid = \"x\"\n+++\nbody"},
		{"no front matter", "+++\nid = \"UPPER\"\ntitle = \"\"\n+++\n"}, {"", ""},
		{"+++\nid = \"a\"\ntitle = \"A\"\nupdated = \"2026-09-14\"\n+++\nb", "+++\nid = \"b\"\ntitle = \"B\"\nupdated = 2026-09-14T10:00:00\n+++\nb"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, first, second string) {
		fsys := fstest.MapFS{
			"kb/first.md":       {Data: []byte(first)},
			"kb/second.md":      {Data: []byte(second)},
			"kb/.first.md.swp":  {Data: []byte("garbage")},
			"kb/.hidden.md":     {Data: []byte("garbage")},
			"kb/notes.txt":      {Data: []byte("garbage")},
			"kb/drafts/deep.md": {Data: []byte("garbage")},
		}
		got, err := kb.ReadDir(fsys, "kb")

		a, errA := kb.Parse([]byte(first))
		b, errB := kb.Parse([]byte(second))
		bad := errA != nil || errB != nil || a.ID == b.ID
		if (err != nil) != bad {
			t.Fatalf("ReadDir error = %v, but Parse errors are %v and %v (ids %q, %q)", err, errA, errB, a.ID, b.ID)
		}
		if err != nil {
			if got != nil {
				t.Fatalf("ReadDir returned %d articles with an error", len(got))
			}
			for _, e := range leaves(err) {
				if msg := e.Error(); !strings.HasPrefix(msg, "first.md") && !strings.HasPrefix(msg, "second.md") {
					t.Fatalf("problem %q does not name its file", msg)
				}
			}
			return
		}
		want := []kb.Article{a, b}
		slices.SortFunc(want, func(x, y kb.Article) int { return strings.Compare(x.ID, y.ID) })
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ReadDir = %+v, want %+v", got, want)
		}
	})
}

// FuzzParseErrors checks the problems Parse reports for any file: each one is a *kb.ParseError with a
// message, on a line of the file (or 0, for a problem of no line), so an editor can jump to it.
func FuzzParseErrors(f *testing.F) {
	for _, s := range []string{
		"", "+++", "+++\nid = \"vpn\"\n", "+++\ntitel = \"x\"\nid = \"a\"\n+++\nbody", "+++\nid = \"a\"\ntitle = [\n+++\nbody",
		"+++\nid = \"a\"\ntitle = \"T\"\nupdated = 2026-13-45\n+++\nb", "\xef\xbb\xbf+++\r\nid = \"A B\"\r\ntitle = \"\"\r\n+++\r\n",
		"+++\nid = \"a\"\ntitle = \"T\"\ntags = [\"\", \" \"]\n+++\nb", "+++\n[table]\nkey = 1\n+++\nb", "+++\nid = \"a\"\nid = \"b\"\n+++\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		_, err := kb.Parse([]byte(data))
		if err == nil {
			return
		}
		fileLines := strings.Count(strings.ReplaceAll(data, "\r\n", "\n"), "\n") + 1
		for _, e := range leaves(err) {
			var pe *kb.ParseError
			if !errors.As(e, &pe) {
				t.Fatalf("Parse(%q): problem %v (%T) is not a *kb.ParseError", data, e, e)
			}
			if pe.Msg == "" || pe.Line < 0 || pe.Line > fileLines {
				t.Fatalf("Parse(%q): problem %+v, for a file of %d lines", data, *pe, fileLines)
			}
		}
	})
}

// splitFields splits a fuzzed list on U+001F, so its values may hold commas and line breaks.
func splitFields(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x1f")
}

// parsedBody is the body Parse reads from a file that has body after its front matter: CRLF as LF, the
// blank lines before the text and the white space after it dropped.
func parsedBody(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for {
		line, rest, found := strings.Cut(s, "\n")
		if !found || strings.TrimSpace(line) != "" {
			break
		}
		s = rest
	}
	return strings.TrimRightFunc(s, unicode.IsSpace)
}

// leaves flattens errors.Join trees.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}
