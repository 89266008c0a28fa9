package bot_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/kb"
)

func TestParseKB(t *testing.T) {
	tests := []struct {
		name string
		text string
		want bot.KBCommand
	}{
		{name: "empty is help", text: "", want: bot.KBCommand{Sub: "help"}},
		{name: "blank is help", text: " \n\t", want: bot.KBCommand{Sub: "help"}},
		{name: "help", text: "help", want: bot.KBCommand{Sub: "help"}},
		{name: "help ignores a topic", text: "HELP add", want: bot.KBCommand{Sub: "help"}},
		{name: "search", text: "search  vpn   keeps\n dropping", want: bot.KBCommand{Sub: "search", Query: "vpn keeps dropping"}},
		{name: "search upper case", text: "Search Outlook", want: bot.KBCommand{Sub: "search", Query: "Outlook"}},
		{name: "show", text: "show vpn-setup", want: bot.KBCommand{Sub: "show", ID: "vpn-setup"}},
		{name: "show lower-cases the id", text: "show VPN_Setup.v2", want: bot.KBCommand{Sub: "show", ID: "vpn_setup.v2"}},
		{name: "show version", text: "show vpn v3", want: bot.KBCommand{Sub: "show", ID: "vpn", Version: 3}},
		{name: "show bare version", text: "show vpn 12", want: bot.KBCommand{Sub: "show", ID: "vpn", Version: 12}},
		{name: "show upper V", text: "show vpn V2", want: bot.KBCommand{Sub: "show", ID: "vpn", Version: 2}},
		{name: "list", text: "list", want: bot.KBCommand{Sub: "list", Page: 1}},
		{name: "list tag", text: "list VPN", want: bot.KBCommand{Sub: "list", Tag: "VPN", Page: 1}},
		{name: "list page", text: "list page 3", want: bot.KBCommand{Sub: "list", Page: 3}},
		{name: "list tag page", text: "list wifi Page 2", want: bot.KBCommand{Sub: "list", Tag: "wifi", Page: 2}},
		{name: "history", text: "history printer", want: bot.KBCommand{Sub: "history", ID: "printer"}},
		{name: "restore", text: "restore printer 4", want: bot.KBCommand{Sub: "restore", ID: "printer", Version: 4}},
		{name: "restore v", text: "restore printer v4", want: bot.KBCommand{Sub: "restore", ID: "printer", Version: 4}},
		{name: "diff", text: "diff printer v2 5", want: bot.KBCommand{Sub: "diff", ID: "printer", Version: 2, Version2: 5}},
		{name: "delete", text: "delete printer v7", want: bot.KBCommand{Sub: "delete", ID: "printer", Version: 7}},
		{name: "capture", text: "capture", want: bot.KBCommand{Sub: "capture"}},
		{name: "stale", text: "  STALE  ", want: bot.KBCommand{Sub: "stale"}},
		{
			name: "add",
			text: "add\nReset your password\nGo to https://id.example.com and click **Forgot**.",
			want: bot.KBCommand{Sub: "add", ID: "reset-your-password", Title: "Reset your password",
				Body: "Go to https://id.example.com and click **Forgot**."},
		},
		{
			name: "add title on the command line, heading mark",
			text: "add # VPN: can't connect  \n\n\nOpen the client.\n\n",
			want: bot.KBCommand{Sub: "add", ID: "vpn-cant-connect", Title: "VPN: can't connect", Body: "Open the client."},
		},
		{
			name: "add title: line and tags first",
			text: "add\nTags: vpn, remote\ntitle: VPN setup\nInstall the client.",
			want: bot.KBCommand{Sub: "add", ID: "vpn-setup", Title: "VPN setup", Body: "Install the client.",
				Tags: []string{"vpn", "remote"}},
		},
		{
			name: "add with tags, aliases and a code block",
			text: "add\r\n" +
				"Configure the VPN on Linux\r\n" +
				"\r\n" +
				"Install the package:\r\n" +
				"\r\n" +
				"```yaml\r\n" +
				"tags: not-a-field\r\n" +
				"\r\n" +
				"aliases: also-not\r\n" +
				"```\r\n" +
				"tags: vpn, linux, , VPN\r\n" +
				"\r\n" +
				"    tags: indented code\r\n" +
				"Then reboot.\r\n" +
				"ALIASES: vpn on ubuntu , openvpn\r\n" +
				"tags: network\r\n",
			want: bot.KBCommand{
				Sub:   "add",
				ID:    "configure-the-vpn-on-linux",
				Title: "Configure the VPN on Linux",
				Body: "Install the package:\n\n```yaml\ntags: not-a-field\n\naliases: also-not\n```\n\n" +
					"    tags: indented code\nThen reboot.",
				Tags:    []string{"vpn", "linux", "network"},
				Aliases: []string{"vpn on ubuntu", "openvpn"},
			},
		},
		{
			name: "add with lone CR line breaks",
			text: "add\rOld Mac\rbody",
			want: bot.KBCommand{Sub: "add", ID: "old-mac", Title: "Old Mac", Body: "body"},
		},
		{
			name: "add keeps the indentation of a body starting with code",
			text: "add\nRun the fix\n\n    sudo fixit --now\n\nDone.",
			want: bot.KBCommand{Sub: "add", ID: "run-the-fix", Title: "Run the fix", Body: "    sudo fixit --now\n\nDone."},
		},
		{
			name: "add tilde fence closed only by a long enough fence",
			text: "add\nT\n~~~~\n~~~\ntags: inside\n~~~~\ntags: outside",
			want: bot.KBCommand{Sub: "add", ID: "t", Title: "T", Body: "~~~~\n~~~\ntags: inside\n~~~~",
				Tags: []string{"outside"}},
		},
		{
			name: "edit body",
			text: "edit vpn-setup v3\nNew text.\n\nMore text.",
			want: bot.KBCommand{Sub: "edit", ID: "vpn-setup", Version: 3, Body: "New text.\n\nMore text."},
		},
		{
			name: "edit body with title and tags",
			text: "edit vpn 3\ntitle: VPN on a laptop\nInstall it.\ntags: vpn",
			want: bot.KBCommand{Sub: "edit", ID: "vpn", Version: 3, Title: "VPN on a laptop", Body: "Install it.",
				Tags: []string{"vpn"}},
		},
		{
			name: "edit title on the next line",
			text: "edit vpn v3\n title: VPN setup  \n\n",
			want: bot.KBCommand{Sub: "edit", ID: "vpn", Version: 3, Field: "title", Title: "VPN setup"},
		},
		{
			name: "edit title on the same line",
			text: "edit vpn v3 title: VPN setup",
			want: bot.KBCommand{Sub: "edit", ID: "vpn", Version: 3, Field: "title", Title: "VPN setup"},
		},
		{
			name: "edit tags",
			text: "edit vpn v3 tags: a, b,,c",
			want: bot.KBCommand{Sub: "edit", ID: "vpn", Version: 3, Field: "tags", Tags: []string{"a", "b", "c"}},
		},
		{
			name: "edit tags on the next line",
			text: "edit vpn v3\nTAGS: a",
			want: bot.KBCommand{Sub: "edit", ID: "vpn", Version: 3, Field: "tags", Tags: []string{"a"}},
		},
		{
			name: "edit empty tags clears them",
			text: "edit vpn v3 tags:",
			want: bot.KBCommand{Sub: "edit", ID: "vpn", Version: 3, Field: "tags"},
		},
		{
			name: "edit aliases",
			text: "edit vpn v3 aliases: x, y",
			want: bot.KBCommand{Sub: "edit", ID: "vpn", Version: 3, Field: "aliases", Aliases: []string{"x", "y"}},
		},
		{
			name: "edit field on the same line, body after",
			text: "edit vpn v3 tags: a\nNew body.",
			want: bot.KBCommand{Sub: "edit", ID: "vpn", Version: 3, Tags: []string{"a"}, Body: "New body."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bot.ParseKB(tt.text)
			if err != nil {
				t.Fatalf("ParseKB(%q): %v", tt.text, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseKB(%q)\n got %#v\nwant %#v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseKBErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string // in the message
	}{
		{name: "unknown sub-command", text: "frobnicate", want: "I don't know `!kb frobnicate`"},
		{name: "search without query", text: "search", want: "Say what to search for. Usage: `!kb search WORDS`"},
		{name: "show without id", text: "show", want: "Say which article. Usage: `!kb show ID [vN]`"},
		{name: "show bad id", text: "show -vpn", want: `"-vpn" is not an article id`},
		{name: "show id with a slash", text: "show ../etc", want: "is not an article id"},
		{name: "show bad version", text: "show vpn vx", want: `"vx" is not a version`},
		{name: "show version zero", text: "show vpn v0", want: `"v0" is not a version`},
		{name: "show signed version", text: "show vpn +3", want: `"+3" is not a version`},
		{name: "show huge version", text: "show vpn v99999999999999999999", want: "is not a version"},
		{name: "show too many words", text: "show vpn v1 v2", want: "Too many words"},
		{name: "history without id", text: "history", want: "Usage: `!kb history ID`"},
		{name: "history extra", text: "history vpn 2", want: "Too many words"},
		{name: "restore without version", text: "restore vpn", want: "Say which version to restore"},
		{name: "diff one version", text: "diff vpn 2", want: "Say which two versions"},
		{name: "diff bad second version", text: "diff vpn 2 three", want: `"three" is not a version`},
		{name: "delete without version", text: "delete vpn", want: "Say which version you saw"},
		{name: "list two tags", text: "list vpn wifi", want: "one tag"},
		{name: "list page without number", text: "list page", want: "Say which page"},
		{name: "list page zero", text: "list vpn page 0", want: `"0" is not a page number`},
		{name: "capture with words", text: "capture now", want: "Nothing goes after `!kb capture`"},
		{name: "add nothing", text: "add", want: "Write the title and the article text"},
		{name: "add without title", text: "add\ntags: vpn", want: "Write the title and the article text"},
		{name: "add empty title line", text: "add\ntitle:\nbody", want: "needs a title"},
		{name: "add heading mark only", text: "add #\nbody", want: "needs a title"},
		{name: "add without body", text: "add\nVPN setup\n\ntags: vpn", want: "Write the article text on the lines after the title"},
		{name: "add title without letters", text: "add\n!!!\nbody", want: "letters or digits"},
		{name: "add title too long", text: "add\n" + strings.Repeat("a", kb.MaxTitleLength+1) + "\nbody", want: "201 characters"},
		{name: "edit without id", text: "edit", want: "Say which article to edit"},
		{name: "edit without version", text: "edit vpn\nNew body.", want: "Say which version you are editing"},
		{name: "edit bad version", text: "edit vpn vx\nNew body.", want: "Say which version you are editing"},
		{name: "edit field instead of version", text: "edit vpn title: x", want: "Say which version you are editing"},
		{name: "edit without text", text: "edit vpn v2", want: "Write the new text"},
		{name: "edit body on the same line", text: "edit vpn v2 v3", want: "Put the new text on the lines after"},
		{name: "edit two fields", text: "edit vpn v2\ntitle: New\ntags: a", want: "Change one field at a time (title, tags)"},
		{name: "edit empty title", text: "edit vpn v2 title:", want: "The new title is empty"},
		{name: "invalid utf-8", text: "search \xff", want: "not valid text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bot.ParseKB(tt.text)
			if err == nil {
				t.Fatalf("ParseKB(%q) = %#v, want an error", tt.text, got)
			}
			if code := bot.ErrorCode(err); code != bot.EINVALID {
				t.Fatalf("ParseKB(%q) error code %q, want %q (%v)", tt.text, code, bot.EINVALID, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseKB(%q) error %q, want it to contain %q", tt.text, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("ParseKB(%q) error %q is more than one line", tt.text, err)
			}
		})
	}
}

// TestParseKBCommandRest checks ParseKB against what the bot actually passes it: the Rest of a
// parsed "!kb" command, which must keep the lines of a multi-line add.
func TestParseKBCommandRest(t *testing.T) {
	cmd, ok := bot.ParseCommand("!", "!kb add\nPrinter jams\n\n1. Open tray 2.\n2. Pull the sheet.\ntags: printer\n")
	if !ok || cmd.Name != "kb" {
		t.Fatalf("ParseCommand = %+v, %v", cmd, ok)
	}
	got, err := bot.ParseKB(cmd.Rest)
	if err != nil {
		t.Fatal(err)
	}
	want := bot.KBCommand{Sub: "add", ID: "printer-jams", Title: "Printer jams",
		Body: "1. Open tray 2.\n2. Pull the sheet.", Tags: []string{"printer"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseKB(%q)\n got %#v\nwant %#v", cmd.Rest, got, want)
	}
}

func FuzzParseKB(f *testing.F) {
	for _, s := range []string{
		"", "help", "search vpn", "show vpn v3", "list wifi page 2", "history vpn", "restore vpn 2",
		"diff vpn 1 2", "delete vpn v1", "capture", "stale", "show vpn vx",
		"add\nTitle\n```\ntags: x\n```\ntags: a, b\naliases: c",
		"edit vpn v3 title: New", "edit vpn v3\ntags: a", "edit vpn 3\nbody\n~~~\n", "add # \n\n", "add\rT\rX\rbody",
	} {
		f.Add(s)
	}
	subs := map[string]bool{"search": true, "show": true, "list": true, "add": true, "edit": true, "delete": true,
		"history": true, "restore": true, "diff": true, "capture": true, "stale": true, "help": true}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := bot.ParseKB(text)
		if err != nil {
			if bot.ErrorCode(err) != bot.EINVALID {
				t.Fatalf("ParseKB(%q) error code %q: %v", text, bot.ErrorCode(err), err)
			}
			return
		}
		if !subs[c.Sub] {
			t.Fatalf("ParseKB(%q).Sub = %q", text, c.Sub)
		}
		switch c.Sub {
		case "show", "edit", "delete", "history", "restore", "diff", "add":
			if !isID(c.ID) {
				t.Fatalf("ParseKB(%q).ID = %q, not an article id", text, c.ID)
			}
		}
		switch c.Sub {
		case "edit", "delete", "restore", "diff":
			if c.Version < 1 {
				t.Fatalf("ParseKB(%q).Version = %d", text, c.Version)
			}
		case "list":
			if c.Page < 1 {
				t.Fatalf("ParseKB(%q).Page = %d", text, c.Page)
			}
		case "search":
			if strings.TrimSpace(c.Query) == "" {
				t.Fatalf("ParseKB(%q) has an empty query", text)
			}
		case "add":
			// What add returns must be an article kb accepts.
			a := kb.Article{ID: c.ID, Title: c.Title, Tags: c.Tags, Aliases: c.Aliases, Body: c.Body}
			if err := a.Validate(); err != nil {
				t.Fatalf("ParseKB(%q) gives an invalid article: %v", text, err)
			}
		}
	})
}

// isID is kb's id rule, ^[a-z0-9][a-z0-9._-]{0,99}$, written out here so the tests do not
// trust the code they test.
func isID(id string) bool {
	if id == "" || len(id) > kb.MaxIDLength {
		return false
	}
	for i, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}
