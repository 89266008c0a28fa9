package kb_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/kb"
)

// sameArticle reports the first difference between two articles, or "".
// Times compare with Equal (the zone pointer and monotonic reading do not
// matter) and nil and empty slices are the same.
func sameArticle(got, want kb.Article) string {
	switch {
	case got.ID != want.ID:
		return "id " + quote(got.ID) + " != " + quote(want.ID)
	case got.Title != want.Title:
		return "title " + quote(got.Title) + " != " + quote(want.Title)
	case !slices.Equal(got.Tags, want.Tags):
		return "tags " + strings.Join(got.Tags, "|") + " != " + strings.Join(want.Tags, "|")
	case got.Category != want.Category:
		return "category " + quote(got.Category) + " != " + quote(want.Category)
	case !slices.Equal(got.Aliases, want.Aliases):
		return "aliases " + strings.Join(got.Aliases, "|") + " != " + strings.Join(want.Aliases, "|")
	case got.Owner != want.Owner:
		return "owner " + quote(got.Owner) + " != " + quote(want.Owner)
	case !got.Updated.Equal(want.Updated):
		return "updated " + got.Updated.String() + " != " + want.Updated.String()
	case got.Body != want.Body:
		return "body " + quote(got.Body) + " != " + quote(want.Body)
	}
	return ""
}

func quote(s string) string { return `"` + s + `"` }

// mustParse parses a file the test expects to be valid.
func mustParse(tb testing.TB, data string) kb.Article {
	tb.Helper()
	a, err := kb.Parse([]byte(data))
	if err != nil {
		tb.Fatalf("parse: %v\n%s", err, data)
	}
	return a
}

func TestParse(t *testing.T) {
	date := time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC)
	full := kb.Article{
		ID:       "vpn",
		Title:    "Connect to the VPN",
		Tags:     []string{"vpn", "remote"},
		Category: "network",
		Aliases:  []string{"vpn broken"},
		Owner:    "network-team",
		Updated:  date,
		Body:     "Open GlobalProtect.\n\nSign in.",
	}
	tests := []struct {
		name string
		file string
		want kb.Article
	}{
		{
			name: "all keys",
			file: "+++\nid = \"vpn\"\ntitle = \"Connect to the VPN\"\ntags = [\"vpn\", \"remote\"]\ncategory = \"network\"\n" +
				"aliases = [\"vpn broken\"]\nowner = \"network-team\"\nupdated = 2026-09-14\n+++\n\nOpen GlobalProtect.\n\nSign in.\n",
			want: full,
		},
		{
			name: "bom and crlf",
			file: "\xef\xbb\xbf+++\r\nid = \"vpn\"\r\ntitle = \"Connect to the VPN\"\r\ntags = [\"vpn\", \"remote\"]\r\ncategory = \"network\"\r\n" +
				"aliases = [\"vpn broken\"]\r\nowner = \"network-team\"\r\nupdated = 2026-09-14\r\n+++\r\n\r\nOpen GlobalProtect.\r\n\r\nSign in.\r\n",
			want: full,
		},
		{
			name: "offset date-time becomes utc",
			file: "+++\nid = \"a\"\ntitle = \"T\"\nupdated = 2026-09-14T09:30:00+02:00\n+++\nbody\n",
			want: kb.Article{ID: "a", Title: "T", Updated: time.Date(2026, 9, 14, 7, 30, 0, 0, time.UTC), Body: "body"},
		},
		{
			name: "leading blank lines and trailing whitespace trimmed, indentation kept",
			file: "+++\nid = \"a\"\ntitle = \"T\"\n+++\n\n  \n    code block\ntext  \n\n\n",
			want: kb.Article{ID: "a", Title: "T", Body: "    code block\ntext"},
		},
		{
			name: "fence inside the body stays in the body",
			file: "+++\nid = \"a\"\ntitle = \"T\"\n+++\nbefore\n+++\nafter\n",
			want: kb.Article{ID: "a", Title: "T", Body: "before\n+++\nafter"},
		},
		{
			name: "fences with trailing spaces",
			file: "+++  \nid = \"a\"\ntitle = \"T\"\n+++\t\nbody",
			want: kb.Article{ID: "a", Title: "T", Body: "body"},
		},
		{
			name: "comments in front matter",
			file: "+++\n# reviewed by alice\nid = \"a\" # stable\ntitle = \"T\"\n+++\nbody\n",
			want: kb.Article{ID: "a", Title: "T", Body: "body"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.file)
			if diff := sameArticle(got, tt.want); diff != "" {
				t.Fatalf("Parse: %s", diff)
			}
			if got.Updated.Location() != time.UTC {
				t.Fatalf("Updated location = %v, want UTC", got.Updated.Location())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		// want are substrings of the error, each expected in order on its
		// own line.
		want []string
	}{
		{
			name: "no front matter",
			file: "# VPN\n\nOpen GlobalProtect.\n",
			want: []string{"line 1: missing front matter"},
		},
		{
			name: "empty file",
			file: "",
			want: []string{"line 1: missing front matter"},
		},
		{
			name: "front matter not closed",
			file: "+++\nid = \"a\"\ntitle = \"T\"\n\nbody\n",
			want: []string{"line 1: front matter is not closed"},
		},
		{
			name: "unknown key with its file line",
			file: "+++\nid = \"vpn\"\ntitel = \"VPN\"\n+++\nbody\n",
			want: []string{`line 3: unknown key "titel"`},
		},
		{
			name: "every unknown key",
			file: "+++\nid = \"vpn\"\ntitle = \"VPN\"\nauthor = \"bob\"\n\nlabels = [\"x\"]\n+++\nbody\n",
			want: []string{`line 4: unknown key "author"`, `line 6: unknown key "labels"`},
		},
		{
			name: "unknown key in crlf file keeps its line",
			file: "+++\r\nid = \"vpn\"\r\ntitle = \"VPN\"\r\nowner = \"x\"\r\ntitel = \"VPN\"\r\n+++\r\nbody\r\n",
			want: []string{`line 5: unknown key "titel"`},
		},
		{
			name: "syntax error",
			file: "+++\nid = \"vpn\"\ntitle = \"VPN\nowner = \"x\"\n+++\nbody\n",
			want: []string{"line 3: front matter:"},
		},
		{
			name: "wrong type",
			file: "+++\nid = \"vpn\"\ntitle = \"VPN\"\ntags = \"vpn\"\n+++\nbody\n",
			want: []string{"line 4: front matter:"},
		},
		{
			name: "quoted date",
			file: "+++\nid = \"vpn\"\ntitle = \"VPN\"\nupdated = \"2026-09-14\"\n+++\nbody\n",
			want: []string{"line 4: updated must be a date without quotes"},
		},
		{
			name: "date-time without offset",
			file: "+++\nid = \"vpn\"\ntitle = \"VPN\"\nupdated = 2026-09-14T10:00:00\n+++\nbody\n",
			want: []string{"line 4: updated 2026-09-14T10:00:00 has no time zone"},
		},
		{
			name: "every validation problem, on the key's line",
			file: "+++\ntitle = \"\"\nid = \"VPN Setup\"\n+++\n\n",
			want: []string{"line 3: id \"VPN Setup\" must be", "line 2: title is required", "body is required"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kb.Parse([]byte(tt.file))
			if err == nil {
				t.Fatalf("Parse: no error, want %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("Parse error has %d lines, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Fatalf("Parse error line %d = %q, want prefix %q", i, lines[i], w)
				}
			}
			var pe *kb.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error %v is not a *kb.ParseError", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	valid := kb.Article{ID: "vpn", Title: "VPN", Body: "text"}
	tests := []struct {
		name   string
		modify func(*kb.Article)
		want   []string // one problem per line; nil means valid
	}{
		{name: "valid", modify: func(*kb.Article) {}},
		{name: "id with dots, dashes and underscores", modify: func(a *kb.Article) { a.ID = "0x8007.vpn_setup-2" }},
		{name: "id of 100 characters", modify: func(a *kb.Article) { a.ID = strings.Repeat("a", 100) }},
		{name: "title of 200 characters", modify: func(a *kb.Article) { a.Title = strings.Repeat("é", 200) }},
		{name: "missing id", modify: func(a *kb.Article) { a.ID = "" }, want: []string{"id is required"}},
		{name: "upper-case id", modify: func(a *kb.Article) { a.ID = "VPN" }, want: []string{`id "VPN" must be`}},
		{name: "id starting with a dot", modify: func(a *kb.Article) { a.ID = ".vpn" }, want: []string{`id ".vpn" must be`}},
		{name: "id with a slash", modify: func(a *kb.Article) { a.ID = "a/b" }, want: []string{`id "a/b" must be`}},
		{name: "id of 101 characters", modify: func(a *kb.Article) { a.ID = strings.Repeat("a", 101) }, want: []string{"id \"aaaa"}},
		{name: "blank title", modify: func(a *kb.Article) { a.Title = "  " }, want: []string{"title is required"}},
		{name: "title of 201 characters", modify: func(a *kb.Article) { a.Title = strings.Repeat("x", 201) }, want: []string{"title is 201 characters long"}},
		{name: "title of two lines", modify: func(a *kb.Article) { a.Title = "a\nb" }, want: []string{"title must be one line"}},
		{name: "empty tag", modify: func(a *kb.Article) { a.Tags = []string{"vpn", ""} }, want: []string{"tags[1] is empty"}},
		{name: "blank body", modify: func(a *kb.Article) { a.Body = "\n \n" }, want: []string{"body is required"}},
		{name: "invalid utf-8", modify: func(a *kb.Article) { a.Owner = "\xff" }, want: []string{"owner is not valid UTF-8"}},
		{name: "year 10000", modify: func(a *kb.Article) { a.Updated = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, want: []string{"updated year 10000"}},
		{
			name:   "all problems at once",
			modify: func(a *kb.Article) { *a = kb.Article{Aliases: []string{""}} },
			want:   []string{"id is required", "title is required", "aliases[0] is empty", "body is required"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := valid
			tt.modify(&a)
			err := a.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("Validate() has %d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Fatalf("problem %d = %q, want prefix %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name string
		a    kb.Article
		want string
	}{
		{
			name: "keys in order, date as a local date",
			a: kb.Article{
				Updated: time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC), Owner: "net", Aliases: []string{"vpn down"},
				Category: "network", Tags: []string{"vpn", "remote"}, Title: "VPN", ID: "vpn", Body: "Open it.",
			},
			want: "+++\nid = \"vpn\"\ntitle = \"VPN\"\ntags = [\"vpn\", \"remote\"]\ncategory = \"network\"\n" +
				"aliases = [\"vpn down\"]\nowner = \"net\"\nupdated = 2026-09-14\n+++\n\nOpen it.\n",
		},
		{
			name: "empty keys omitted",
			a:    kb.Article{ID: "a", Title: "T", Tags: []string{}, Body: "b"},
			want: "+++\nid = \"a\"\ntitle = \"T\"\n+++\n\nb\n",
		},
		{
			name: "time of day kept, in utc",
			a:    kb.Article{ID: "a", Title: "T", Updated: time.Date(2026, 9, 14, 9, 30, 0, 5, time.FixedZone("CEST", 2*3600)), Body: "b"},
			want: "+++\nid = \"a\"\ntitle = \"T\"\nupdated = 2026-09-14T07:30:00.000000005Z\n+++\n\nb\n",
		},
		{
			name: "midnight elsewhere is not midnight utc",
			a:    kb.Article{ID: "a", Title: "T", Updated: time.Date(2026, 9, 14, 0, 0, 0, 0, time.FixedZone("CEST", 2*3600)), Body: "b"},
			want: "+++\nid = \"a\"\ntitle = \"T\"\nupdated = 2026-09-13T22:00:00Z\n+++\n\nb\n",
		},
		{
			name: "escapes",
			a:    kb.Article{ID: "a", Title: `say "hi" \ bye` + "\t\x01", Body: "b"},
			want: "+++\nid = \"a\"\ntitle = \"say \\\"hi\\\" \\\\ bye\\t\\u0001\"\n+++\n\nb\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(tt.a.Markdown()); got != tt.want {
				t.Fatalf("Markdown() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// roundTripCases are articles with the characters and shapes that break
// naive writers.
func roundTripCases() []kb.Article {
	return []kb.Article{
		{ID: "quotes", Title: `The "best" printer's guide`, Body: `Say "hello" and 'bye'.`},
		{ID: "backslashes", Title: `C:\Users\alice\Documents\Outlook Files`, Aliases: []string{`\\server\share`, `a\"b`}, Body: `Path: C:\Temp\ and \n is not a newline`},
		{ID: "unicode", Title: "Ça marche? 日本語のヘルプ 🖨️", Tags: []string{"ü", "ß", "日本"}, Owner: "Zoë", Body: "Ünïcödé\u00a0text – “curly” quotes"},
		{ID: "control-chars", Title: "tab\there", Aliases: []string{"bell\a", "del\x7f", "cr\rlf"}, Body: "body"},
		{ID: "fence-in-body", Title: "Fences", Body: "Before\n+++\nid = \"evil\"\n+++\nAfter"},
		{ID: "multi-line", Title: "Steps", Body: "# Steps\n\n1. One\n2. Two\n\n```\ncode\n    indented\n```\n\n> quote"},
		{ID: "indented-first-line", Title: "Code", Body: "    $ ping host\n\nDone."},
		{ID: "toml-lookalike", Title: "[section] = value # not a comment", Category: "x = 1", Body: "key = \"value\""},
		{ID: "times", Title: "T", Updated: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), Body: "b"},
		{ID: "date", Title: "T", Updated: time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), Body: "b"},
		{ID: "zone", Title: "T", Updated: time.Date(2026, 3, 29, 1, 30, 0, 0, time.FixedZone("", -9*3600-30*60)), Body: "b"},
		{ID: "a", Title: "x", Body: "y"},
	}
}

func TestMarkdownRoundTrip(t *testing.T) {
	articles := append(mustReadFixtures(t), roundTripCases()...)
	for _, want := range articles {
		t.Run(want.ID, func(t *testing.T) {
			md := want.Markdown()
			got, err := kb.Parse(md)
			if err != nil {
				t.Fatalf("Parse(Markdown()): %v\n%s", err, md)
			}
			if diff := sameArticle(got, want); diff != "" {
				t.Fatalf("Parse(Markdown()) differs: %s\n%s", diff, md)
			}
			if again := got.Markdown(); string(again) != string(md) {
				t.Fatalf("Markdown is not stable:\n%s\nthen\n%s", md, again)
			}
		})
	}
}

// TestFixturesAreCanonical keeps the fixture files in the form Markdown
// writes, so an export of the demo knowledge base makes no diff.
func TestFixturesAreCanonical(t *testing.T) {
	entries, err := os.ReadDir("testdata/articles")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile("testdata/articles/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		a := mustParse(t, string(data))
		if strings.Contains(string(data), "\nupdated = ") && !strings.Contains(string(data), "\nupdated = "+a.Updated.Format(time.DateOnly)+"\n") {
			continue // a date-time with an offset is written back in UTC, by design
		}
		if got := string(a.Markdown()); got != string(data) {
			t.Fatalf("%s is not canonical; Markdown() gives\n%s", e.Name(), got)
		}
	}
}
