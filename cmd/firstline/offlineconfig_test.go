package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestOfflineCommandsNeedNoCredentials: the commands that read or tend the desk's records run from cron
// or an admin's shell without the desk's secrets (the chat tokens, the model's key, the monitors' token),
// which they never use; they refused the config for them. A variable they do use (the store's dsn) is
// still required, and the desk itself still refuses to start without its credentials.
func TestOfflineCommandsNeedNoCredentials(t *testing.T) {
	dir := t.TempDir()
	kbDir, err := filepath.Abs("demo/kb")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "firstline.toml")
	data := filepath.Join(dir, "data")
	const connections = `
[slack]
bot_token = "${SLACK_BOT_TOKEN}"
app_token = "${SLACK_APP_TOKEN}"

[discord]
token = "${DISCORD_TOKEN}"

[llm]
base_url = "https://api.example.com/v1"
api_key = "${OPENAI_API_KEY}"
model = "m"

[http]
listen = "127.0.0.1:0"

[alerts]
token = "${ALERTS_TOKEN}"

[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "slack:C0TIER2"
members = ["slack:UTOM"]
`
	writeFile(t, cfg, "[kb]\ndir = "+tomlString(kbDir)+"\n"+connections)
	if _, stderr, code := runMain(t, "kb", "import", "-config", cfg, "-data", data, kbDir); code != 0 {
		t.Fatalf("kb import without the desk's secrets: exit %d: %s", code, stderr)
	}
	at := []string{"-config", cfg, "-data", data}
	for _, args := range [][]string{
		append([]string{"tickets", "list"}, at...),
		append([]string{"report"}, at...),
		append([]string{"audit"}, at...),
		append(append([]string{"kb", "search"}, at...), "vpn"),
		append(append([]string{"kb", "export"}, at...), filepath.Join(dir, "export")),
		append([]string{"check"}, at...),
		append(append([]string{"backup"}, at...), filepath.Join(dir, "backup.db")),
	} {
		if _, stderr, code := runMain(t, args...); code != 0 {
			t.Errorf("%v without the desk's secrets: exit %d: %s", args, code, stderr)
		}
	}

	// The desk opens its connections: it still names every credential it lacks.
	_, stderr, code := runMain(t, "-config", cfg, "-data", data)
	for _, name := range []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DISCORD_TOKEN", "OPENAI_API_KEY", "ALERTS_TOKEN"} {
		if code == 0 || !strings.Contains(stderr, name) {
			t.Errorf("the desk started (exit %d) or did not name %s:\n%s", code, name, stderr)
		}
	}

	// What an offline command uses is read as the desk reads it.
	pg := filepath.Join(dir, "pg.toml")
	writeFile(t, pg, "[kb]\ndir = "+tomlString(kbDir)+"\n"+connections+"\n[storage]\ndriver = \"postgres\"\n\n[storage.postgres]\ndsn = \"${FIRSTLINE_PG_DSN}\"\n")
	if _, stderr, code := runMain(t, "tickets", "list", "-config", pg, "-data", data); code == 0 || !strings.Contains(stderr, "FIRSTLINE_PG_DSN is not set") || strings.Contains(stderr, "SLACK_BOT_TOKEN") {
		t.Errorf("tickets list on PostgreSQL without its dsn: exit %d, want the dsn's variable named alone:\n%s", code, stderr)
	}
}
