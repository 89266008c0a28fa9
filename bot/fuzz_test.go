package bot_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/firstline-desk/firstline/bot"
)

// The fuzzers here cover the parsers that read what people type in chat: command lines, the !kb
// sub-commands written back as the message that makes them. FuzzParseKB is in kbparse_test.go; the
// fuzzers of article ids and diffs are kb's (kb/slug_test.go, kb/diff_test.go). `go test` runs the seeds;
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
