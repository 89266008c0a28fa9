package bot_test

import (
	"slices"
	"testing"

	"github.com/firstline-desk/firstline/bot"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name, prefix, text string
		ok                 bool
		want               bot.Command
	}{
		{name: "bare", prefix: "!", text: "!help", ok: true, want: bot.Command{Name: "help"}},
		{name: "upper case and spaces", prefix: "!", text: "  !STATUS  ", ok: true, want: bot.Command{Name: "status"}},
		{name: "args", prefix: "!", text: "!priority P1 now", ok: true,
			want: bot.Command{Name: "priority", Args: []string{"P1", "now"}, Rest: "P1 now"}},
		{name: "tab after name", prefix: "!", text: "!vendor\tacme 42", ok: true,
			want: bot.Command{Name: "vendor", Args: []string{"acme", "42"}, Rest: "acme 42"}},
		{name: "long prefix", prefix: "fl/", text: "fl/escalate", ok: true, want: bot.Command{Name: "escalate"}},
		{name: "plain text", prefix: "!", text: "my vpn is broken!", ok: false},
		{name: "exclamations", prefix: "!", text: "!!!", ok: false},
		{name: "prefix then space", prefix: "!", text: "! urgent", ok: false},
		{name: "prefix alone", prefix: "!", text: "!", ok: false},
		{name: "other prefix", prefix: "/", text: "!help", ok: false},
		{name: "empty prefix never matches", prefix: "", text: "help", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := bot.ParseCommand(tt.prefix, tt.text)
			if ok != tt.ok {
				t.Fatalf("ParseCommand(%q, %q) ok = %v, want %v", tt.prefix, tt.text, ok, tt.ok)
			}
			if got.Name != tt.want.Name || got.Rest != tt.want.Rest || !slices.Equal(got.Args, tt.want.Args) {
				t.Fatalf("ParseCommand(%q, %q) = %+v, want %+v", tt.prefix, tt.text, got, tt.want)
			}
		})
	}
}
