package kb_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/firstline-desk/firstline/kb"
)

// shown is the snippet without its marks, to measure and compare the text itself.
func shown(s string) string {
	s = strings.ReplaceAll(s, "**", "")
	return strings.ReplaceAll(s, "…", "")
}

// marked returns the words a snippet marks.
func marked(s string) []string {
	var out []string
	parts := strings.Split(s, "**")
	for i := 1; i < len(parts); i += 2 {
		out = append(out, parts[i])
	}
	return out
}

// The cases assert what holds whatever the stemmer: plurals meet, stop words never match, and the
// exact stems are not looked at.
func TestSnippet(t *testing.T) {
	filler := strings.Repeat("lorem ipsum dolor sit amet ", 20) // 540 runes that match nothing
	tests := []struct {
		name     string
		query    string
		text     string
		max      int
		want     string   // the whole snippet, when given
		marks    []string // the marked words, in order
		contains []string
		lacks    []string
	}{
		{name: "plural query marks singular", query: "printers", text: "Pick the office printer.", max: 100,
			want: "Pick the office **printer**.", marks: []string{"printer"}},
		{name: "singular query marks plural", query: "printer", text: "All printers on floor 2 are shared.", max: 100,
			marks: []string{"printers"}},
		{name: "case does not matter", query: "VPN", text: "Open the vpn client, then the VPN settings.", max: 100,
			marks: []string{"vpn", "VPN"}},
		{name: "stop words mark nothing", query: "the and of it", text: "The printer and the tray of it.", max: 100,
			want: "The printer and the tray of it.", marks: nil},
		{name: "empty query", query: "", text: "Open the VPN client.", max: 100, want: "Open the VPN client."},
		{name: "empty text", query: "vpn", text: "", max: 100, want: ""},
		{name: "only spaces and marks", query: "vpn", text: " \n\t** ## \n", max: 100, want: ""},
		{name: "compound word", query: "wifi", text: "Join the office Wi-Fi network.", max: 100, marks: []string{"Wi-Fi"}},
		{name: "no match is the start of the text", query: "sourdough", text: "Open the VPN client " + filler, max: 30,
			want: "Open the VPN client lorem…"},
		{name: "the window with most distinct terms wins", query: "vpn certificate",
			text: "The VPN is for remote work. " + filler + "If the VPN says the certificate expired, renew it. " + filler, max: 80,
			marks: []string{"VPN", "certificate"}, contains: []string{"…", "expired"}},
		{name: "cut at word boundaries", query: "certificate", text: filler + "renew the certificate today " + filler, max: 40,
			contains: []string{"**certificate**"}},
		{name: "markdown noise", query: "guide",
			text:  "# Setup\n\n* Read **the** [setup guide](https://intranet.example.com/vpn) first\n> quoted `code`\n| a | b |\n~~old~~ _new_ file_name",
			max:   0,
			want:  "Setup Read the setup **guide** first quoted code a b old new file_name",
			marks: []string{"guide"}},
		{name: "other scripts", query: "drucker", text: "Überprüfen Sie den Drucker im Büro.", max: 100,
			marks: []string{"Drucker"}, contains: []string{"Überprüfen"}},
		{name: "invalid UTF-8", query: "printer", text: "\xff\xfe printer \xc3", max: 100, marks: []string{"printer"}},
		{name: "long word without spaces", query: "vpn", text: strings.Repeat("打印机", 100), max: 20,
			want: strings.Repeat("打印机", 7)[:len("打印机")*6+len("打印")] + "…"},
		{name: "a match longer than the window is shown whole", query: "supercalifragilistic", text: "say supercalifragilistic now", max: 5,
			marks: []string{"supercalifragilistic"}},
		{name: "no limit", query: "tray", text: filler + "tray", max: 0, contains: []string{filler[:20], "**tray**"}, lacks: []string{"…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kb.Snippet(tt.query, tt.text, tt.max)
			if !utf8.ValidString(got) {
				t.Fatalf("invalid UTF-8: %q", got)
			}
			if tt.want != "" || tt.text == "" {
				if got != tt.want {
					t.Fatalf("got  %q\nwant %q", got, tt.want)
				}
			}
			if tt.marks != nil || tt.want != "" {
				if m := marked(got); strings.Join(m, "|") != strings.Join(tt.marks, "|") {
					t.Fatalf("marked %q, want %q in %q", m, tt.marks, got)
				}
			}
			for _, s := range tt.contains {
				if !strings.Contains(got, s) {
					t.Errorf("%q lacks %q", got, s)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(got, s) {
					t.Errorf("%q has %q", got, s)
				}
			}
			if tt.max > 0 && len(marked(got)) > 0 {
				// A window is the matches plus whole words around them within max runes.
				if n := utf8.RuneCountInString(shown(got)); n > tt.max && len(marked(got)) == 1 && n > utf8.RuneCountInString(marked(got)[0]) {
					t.Errorf("%d runes shown, max %d: %q", n, tt.max, got)
				}
			}
		})
	}
}

func TestSnippetWindow(t *testing.T) {
	filler := strings.Repeat("lorem ipsum ", 30)
	text := filler + "If the VPN says the certificate expired, renew it on the portal. " + filler
	got := kb.Snippet("vpn certificate expired", text, 60)
	if !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") {
		t.Fatalf("a window in the middle is not marked as cut on both sides: %q", got)
	}
	if n := utf8.RuneCountInString(shown(got)); n > 60 {
		t.Fatalf("%d runes shown, max 60: %q", n, got)
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(got, "…"), "…")
	if !strings.Contains(text, shown(inner)) {
		t.Fatalf("the window %q is not a passage of the text: words were cut", inner)
	}
	for _, w := range strings.Fields(shown(inner)) {
		if !strings.Contains(" "+text+" ", " "+w+" ") && !strings.Contains(" "+text+" ", " "+w+",") && !strings.Contains(" "+text+" ", " "+w+".") {
			t.Fatalf("%q is not a whole word of the text (in %q)", w, got)
		}
	}
	if len(marked(got)) != 3 {
		t.Fatalf("marked %q, want VPN, certificate and expired", marked(got))
	}
}

func TestArticleSnippet(t *testing.T) {
	a := kb.Article{
		ID:      "vpn-connect",
		Title:   "Connect to the VPN",
		Aliases: []string{"can't reach the intranet from home"},
		Body:    "Open the client and sign in with your password.",
	}
	tests := []struct {
		name, query, want string
	}{
		{"body first", "password", "Open the client and sign in with your **password**."},
		{"title when the body does not match", "vpn", "Connect to the **VPN**"},
		{"an alias when neither does", "intranet", "can't reach the **intranet** from home"},
		{"the body's start when nothing matches", "sourdough", "Open the client and sign in with your password."},
		{"stop words", "the", "Open the client and sign in with your password."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kb.ArticleSnippet(tt.query, a, 200); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzSnippet(f *testing.F) {
	f.Add("printers", "Pick the office printer.", 20)
	f.Add("the", "# The **bold** [link](x) `code`", 5)
	f.Add("wi-fi", "wi-fi wi--fi -wi- ...", 3)
	f.Add("x", "\xff\xfe*_~|[](", 1)
	f.Fuzz(func(t *testing.T, query, text string, max int) {
		max %= 1000
		got := kb.Snippet(query, text, max)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
		if len(kb.Analyze(query)) == 0 && strings.Contains(got, "**") {
			t.Fatalf("a query without terms marked something: %q", got)
		}
		if strings.Contains(got, "\n") {
			t.Fatalf("a line break in %q", got)
		}
	})
}
