package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiscordInvite(t *testing.T) {
	want := "https://discord.com/oauth2/authorize?client_id=1234567890123456789&scope=bot+applications.commands&permissions=309237763136\n"
	if out, errOut, code := runMain(t, "discord", "invite", "1234567890123456789"); code != 0 || out != want {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
	// From the token in the config: its first part is the id in base64.
	token := base64.RawStdEncoding.EncodeToString([]byte("1234567890123456789")) + ".GhIjKl.abcdefghijklmnopqrstuvwxyz"
	cfg := filepath.Join(t.TempDir(), "f.toml")
	if err := os.WriteFile(cfg, []byte(minimal+"[discord]\nenabled = true\ntoken = \""+token+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runMain(t, "discord", "invite", "-config", cfg); code != 0 || out != want {
		t.Fatalf("from token: exit %d, out %q, err %q", code, out, errOut)
	}
	if _, errOut, code := runMain(t, "discord", "invite", "my-bot"); code == 0 || !strings.Contains(errOut, "not an application id") {
		t.Fatalf("bad id: exit %d, err %q", code, errOut)
	}
}
