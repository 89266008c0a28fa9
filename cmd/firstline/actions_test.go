package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/webhook/fakewebhook"
	"github.com/firstline-desk/firstline/bot"
)

const actionsSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// actionsConfigFile writes a console desk's config with two actions against target: unlock-account
// (self-service, offered by the password article) and add-to-group (approved by Tier 2), and returns it.
func actionsConfigFile(t *testing.T, kbDir, targetURL, extra string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "firstline.toml")
	writeFile(t, cfg, `[desk]
help_channels = ["console:help"]
approvals_channel = "console:approvals"

[roles]
admins = ["console:ada"]

[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "console:tier2"
members = ["console:tom", "console:tina"]

[kb]
dir = `+tomlString(kbDir)+`

[[actions]]
id = "unlock-account"
title = "Unlock my account"
runner = "http"
url = "`+targetURL+`/api/v1/users/{{login}}/lifecycle/unlock"
headers = { Authorization = "SSWS ${OKTA_TOKEN}" }
secret = "${WEBHOOK_SECRET}"
timeout = "5s"
[[actions.params]]
name = "login"
type = "requester"

[[actions]]
id = "add-to-group"
title = "Add me to a group"
runner = "http"
url = "`+targetURL+`/groups/{{group}}/members"
body = '{"user": "{{requester}}", "ticket": "{{ticket}}"}'
secret = "${WEBHOOK_SECRET}"
[actions.approval]
approvers = ["tier2"]
[[actions.params]]
name = "group"
type = "enum"
choices = ["finance", "hr", "engineering"]
required = true
`+extra)
	return cfg
}

func actionsEnv(name string) (string, bool) {
	switch name {
	case "OKTA_TOKEN":
		return "00okta-token-value", true
	case "WEBHOOK_SECRET":
		return actionsSecret, true
	}
	return "", false
}

// runActionsDesk runs the console desk with the actions' environment.
func runActionsDesk(t *testing.T, cfg, data, input string) string {
	t.Helper()
	var out, errOut strings.Builder
	m := &Main{Stdin: strings.NewReader(input), Stdout: &out, Stderr: &errOut, Getenv: actionsEnv}
	if code := m.Run(t.Context(), []string{"-config", cfg, "-data", data}); code != 0 {
		t.Fatalf("desk: exit %d: %s", code, errOut.String())
	}
	return out.String()
}

func actionsKB(t *testing.T) string {
	return writeKB(t, map[string]string{
		"locked.md": "+++\nid = \"account-locked\"\ntitle = \"Locked out of your account\"\ntags = [\"locked\", \"password\"]\n" +
			"actions = [\"unlock-account\"]\n+++\n\nAfter five wrong passwords your account locks for 30 minutes. Press **Unlock my account** to unlock it now.\n",
		"vpn.md": kbFile("vpn", "Connect to the VPN", "Open the VPN app and sign in."),
	})
}

// TestConsoleSelfServiceAction: through the console, alice's answer offers Unlock my account; she
// presses it and confirms; the target gets one signed call with the idempotency key, and she is told.
func TestConsoleSelfServiceAction(t *testing.T) {
	target := fakewebhook.New(actionsSecret)
	defer target.Close()
	target.Answer(func(fakewebhook.Call) fakewebhook.Answer {
		return fakewebhook.Answer{Body: `{"status":"ACTIVE","token":"00okta-token-value"}`}
	})
	cfg, data := actionsConfigFile(t, actionsKB(t), target.URL, ""), t.TempDir()
	out := runActionsDesk(t, cfg, data, "My account is locked after too many wrong passwords\n/click m2 Unlock my account\n/click m3 Run it\n")
	for _, want := range []string{"[4] Unlock my account", "Shall I run Unlock my account for you? (A-000001)", "Done: Unlock my account (A-000001) succeeded", `"status":"ACTIVE"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("the console does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "00okta-token-value") {
		t.Fatalf("the desk's own token came back in the output:\n%s", out)
	}
	calls := target.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	c := calls[0]
	if c.Method != "POST" || c.Path != "/api/v1/users/console:alice/lifecycle/unlock" || !c.Signed || !strings.HasPrefix(c.IdempotencyKey, "fl-") ||
		c.Header.Get("Authorization") != "SSWS 00okta-token-value" {
		t.Fatalf("call %s %s signed %v (%s) key %q auth %q", c.Method, c.Path, c.Signed, c.SignatureError, c.IdempotencyKey, c.Header.Get("Authorization"))
	}
	show := runCLIWithEnv(t, "-config", cfg, "-data", data, "tickets", "show", "T-000001")
	for _, want := range []string{"action_requested", "action_started", "action_finished", "A-000001"} {
		if !strings.Contains(show, want) {
			t.Fatalf("tickets show does not record %q:\n%s", want, show)
		}
	}
}

// TestConsoleApprovalByAnotherPerson: alice and tom each ask for a group in their DMs; the cards reach
// the approvals channel; tom may not approve his own request, tina does; tom approves alice's. One call
// each, for the person who asked.
func TestConsoleApprovalByAnotherPerson(t *testing.T) {
	target := fakewebhook.New(actionsSecret)
	defer target.Close()
	cfg, data := actionsConfigFile(t, actionsKB(t), target.URL, ""), t.TempDir()
	out := runActionsDesk(t, cfg, data, "/in @firstline\n!run add-to-group group=finance\n"+
		"/as tom\n!run add-to-group group=hr\n/click m5 Approve\n/as tina\n/click m5 Approve\n/as tom\n/click m2 Approve\n")
	for _, want := range []string{"[#approvals] m2 firstline: Approval needed: Add me to a group", "[#approvals] m5 firstline: Approval needed: Add me to a group",
		"You can't approve or deny your own request (A-000002)", "tina approved Add me to a group (A-000002)", "tom approved Add me to a group (A-000001)",
		"Status: approved by tina; succeeded (HTTP 200)"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the console does not show %q:\n%s", want, out)
		}
	}
	calls := target.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls:\n%s", len(calls), out)
	}
	for i, want := range []string{"console:tom", "console:alice"} {
		var body map[string]string
		if err := json.Unmarshal(calls[i].Body, &body); err != nil || body["user"] != want || !calls[i].Signed {
			t.Fatalf("call %d: body %s (%v), signed %v", i, calls[i].Body, err, calls[i].Signed)
		}
	}
}

func runCLIWithEnv(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut strings.Builder
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: actionsEnv}
	if code := m.Run(t.Context(), args); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
	}
	return out.String()
}

func TestActionsListAndTest(t *testing.T) {
	cfg := actionsConfigFile(t, actionsKB(t), "https://idp.example.com", `
[[actions]]
id = "restart-spooler"
title = "Restart the print spooler"
runner = "exec"
command = ["/usr/local/bin/restart-spooler", "--host", "{{host}}"]
requesters = ["technicians"]
[[actions.params]]
name = "host"
type = "string"
pattern = "PRN-[0-9]+"
required = true
`)
	list := runCLIWithEnv(t, "-config", cfg, "actions", "list")
	for _, want := range []string{"unlock-account", "POST https://idp.example.com/api/v1/users/{{login}}/lifecycle/unlock", "add-to-group", "group (enum: finance|hr|engineering, required)",
		"1 of tier2", "exec /usr/local/bin/restart-spooler", "technicians"} {
		if !strings.Contains(list, want) {
			t.Fatalf("actions list does not show %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "00okta") {
		t.Fatalf("actions list shows a secret:\n%s", list)
	}
	dry := runCLIWithEnv(t, "-config", cfg, "actions", "test", "-as", "slack:U123", "add-to-group", "group=HR")
	for _, want := range []string{"the values are valid", "POST https://idp.example.com/groups/hr/members", `{"user": "slack:U123", "ticket": "T-000000"}`, "Webhook-Signature: (set when sent)", "Idempotency-Key: fl-dry-run"} {
		if !strings.Contains(dry, want) {
			t.Fatalf("actions test does not show %q:\n%s", want, dry)
		}
	}
	dry = runCLIWithEnv(t, "-config", cfg, "actions", "test", "unlock-account")
	if !strings.Contains(dry, "Authorization: [hidden]") || strings.Contains(dry, "00okta") {
		t.Fatalf("actions test shows the token:\n%s", dry)
	}
	dry = runCLIWithEnv(t, "-config", cfg, "actions", "test", "restart-spooler", `host=PRN-3`)
	if !strings.Contains(dry, `argument 2: "PRN-3"`) {
		t.Fatalf("exec dry run:\n%s", dry)
	}
	var out, errOut strings.Builder
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: actionsEnv}
	if code := m.Run(t.Context(), []string{"-config", cfg, "actions", "test", "restart-spooler", "host=PRN-3;reboot"}); code != 1 || !strings.Contains(errOut.String(), "`host` is not in the expected form") {
		t.Fatalf("a bad value: exit %d, %q", code, errOut.String())
	}
}

func TestActionConfigIsChecked(t *testing.T) {
	base := "[[tiers]]\nid = \"tier2\"\nname = \"Tier 2\"\nchannel = \"console:tier2\"\n\n"
	for name, c := range map[string]struct{ toml, want string }{
		"no runner":       {"[[actions]]\nid = \"a\"\ntitle = \"A\"\n", `runner: "" is not "http" or "exec"`},
		"bad id":          {"[[actions]]\nid = \"A B\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n", `id: "A B"`},
		"twice":           {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n", "used by another action"},
		"unknown param":   {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"http\"\nurl = \"https://x.example/{{who}}\"\n", "{{who}} is no parameter"},
		"host template":   {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"http\"\nurl = \"https://{{ticket}}.example/x\"\n", "placeholder in its host"},
		"spliced arg":     {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/echo\", \"--host={{ticket}}\"]\n", "fills a whole argument"},
		"enum no choices": {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n[[actions.params]]\nname = \"g\"\ntype = \"enum\"\n", "an enum needs its choices"},
		"bad pattern":     {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n[[actions.params]]\nname = \"g\"\ntype = \"string\"\npattern = \"(\"\n", "pattern"},
		"no approvers":    {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n[actions.approval]\nquorum = 2\n", "approval.approvers: name who approves"},
		"no channel":      {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n[actions.approval]\napprovers = [\"admins\"]\n", "no channel for its approval cards"},
		"bad approver":    {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n[actions.approval]\napprovers = [\"tier9\"]\n", `"tier9" is not`},
		"bad secret":      {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"http\"\nurl = \"https://x.example/\"\nsecret = \"whsec_%%\"\n", "not base64"},
		"bad default":     {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n[[actions.params]]\nname = \"n\"\ntype = \"int\"\nmax = 3\ndefault = \"9\"\n", "default"},
		"preview alone":   {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n[actions.preview]\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n", "only an action with [actions.approval]"},
		"approvals chan":  {"[desk]\napprovals_channel = \"approvals\"\n", "desk.approvals_channel"},
		"literal secret":  {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"http\"\nurl = \"https://x.example/\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n", "actions[0] (a).secret: write it as \"${NAME}\""},
		"literal token":   {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"http\"\nurl = \"https://x.example/\"\nheaders = { Authorization = \"SSWS 00abc\" }\n", "actions[0] (a).headers.Authorization: carries a credential"},
		"literal api key": {"[[actions]]\nid = \"a\"\ntitle = \"A\"\nrunner = \"exec\"\ncommand = [\"/bin/true\"]\n[actions.approval]\napprovers = [\"tier2\"]\n[actions.preview]\nrunner = \"http\"\nurl = \"https://x.example/\"\nheaders = { X-Api-Key = \"k\" }\n", "(a).preview.headers.X-Api-Key: carries a credential"},
	} {
		_, err := ParseConfig(name+".toml", []byte(base+c.toml), noEnv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want a problem with %q", name, err, c.want)
		}
	}
}

func TestActionConfigConverts(t *testing.T) {
	cfg, err := ParseConfig("a.toml", []byte(`[desk]
actions_enabled = false
[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "console:tier2"
members = ["console:tom"]
[[actions]]
id = "restart"
title = "Restart"
runner = "exec"
command = ["/bin/true", "{{host}}"]
timeout = "90s"
rate = { count = 3, per = "1h" }
[actions.approval]
approvers = ["tier2"]
quorum = 2
expires = "30m"
[actions.preview]
runner = "exec"
command = ["/bin/echo", "{{host}}"]
env = { TOKEN = "${PREVIEW_TOKEN}" }
[[actions.params]]
name = "host"
type = "string"
pattern = "PRN-[0-9]+"
`), func(n string) (string, bool) { return "t0ken-" + n, n == "PREVIEW_TOKEN" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Actions[0].Preview.Env["TOKEN"] != "t0ken-PREVIEW_TOKEN" {
		t.Fatalf("${ENV} in [actions.preview] was not expanded: %q", cfg.Actions[0].Preview.Env["TOKEN"])
	}
	if !cfg.Bot().ActionsOff {
		t.Fatal("desk.actions_enabled = false did not turn actions off")
	}
	defs, err := cfg.actionDefs(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	d := defs[0]
	if d.Approval.Quorum != 2 || d.Approval.AllowSelfApproval || d.Approval.Expires != 30*time.Minute || d.Timeout != 90*time.Second ||
		d.Rate != (bot.RequestRate{Count: 3, Per: time.Hour}) || !d.Program || d.Preview == nil {
		t.Fatalf("def %+v approval %+v", d, d.Approval)
	}
	// The pattern is the whole value's.
	if _, err := d.CheckParams(map[string]string{"host": "xPRN-3y"}); err == nil {
		t.Fatal("a value with the pattern inside it was taken")
	}
	if v, err := d.CheckParams(map[string]string{"host": "PRN-3"}); err != nil || v["host"] != "PRN-3" {
		t.Fatalf("PRN-3: %v %v", v, err)
	}
}

// TestDocsExecExamplePreview: the docs' local program (docs/examples/restart-spooler.sh), dry-run with its
// preview from the command line: the preview runs it with FIRSTLINE_PREVIEW=1, the host one argument.
func TestDocsExecExamplePreview(t *testing.T) {
	script, err := filepath.Abs("../../docs/examples/restart-spooler.sh")
	if err != nil {
		t.Fatal(err)
	}
	cfg := actionsConfigFile(t, actionsKB(t), "https://idp.example.com", `
[[actions]]
id = "restart-spooler"
title = "Restart the print spooler"
runner = "exec"
command = [`+tomlString(script)+`, "--host", "{{host}}"]
[[actions.params]]
name = "host"
type = "string"
pattern = "PRN-[0-9]{1,3}"
required = true
[actions.approval]
approvers = ["tier2"]
[actions.preview]
runner = "exec"
command = [`+tomlString(script)+`, "--host", "{{host}}"]
`)
	out := runCLIWithEnv(t, "-config", cfg, "actions", "test", "-preview", "restart-spooler", "host=PRN-3")
	if !strings.Contains(out, "Preview: succeeded (exit status 0)\nWould restart the print spooler on PRN-3 (run A-000000).") {
		t.Fatalf("preview:\n%s", out)
	}
}

// TestConsoleActionsSafety, through the console: shell metacharacters in a value of an exec action reach
// the program as one inert argument (nothing is run by a shell, and the file the value would touch is
// never made); a value that fails its pattern is refused before anything runs; a denial is told to the
// requester and runs nothing; a secret in a target's answer is redacted on the ticket and absent from the
// data file; and with actions turned off by an admin nothing runs.
func TestConsoleActionsSafety(t *testing.T) {
	target := fakewebhook.New(actionsSecret)
	defer target.Close()
	const secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	target.Answer(func(fakewebhook.Call) fakewebhook.Answer {
		return fakewebhook.Answer{Body: `{"status":"ACTIVE","recovery":"` + secret + `"}`}
	})
	dir := t.TempDir()
	pwned := filepath.Join(dir, "PWNED")
	cfg, data := actionsConfigFile(t, actionsKB(t), target.URL, `
[[actions]]
id = "note-printer"
title = "Leave a note on the printer"
runner = "exec"
command = ["/bin/echo", "note:", "{{note}}"]
requesters = ["tier2"]
[[actions.params]]
name = "note"
type = "string"
required = true

[[actions]]
id = "restart-spooler"
title = "Restart the print spooler"
runner = "exec"
command = ["/bin/echo", "restarting", "{{host}}"]
requesters = ["tier2"]
[[actions.params]]
name = "host"
type = "string"
pattern = "PRN-[0-9]+"
required = true
`), filepath.Join(dir, "data")
	evil := `$(touch ` + pwned + `); touch ` + pwned + ` | cat ` + "`touch " + pwned + "`"
	out := runActionsDesk(t, cfg, data, "/as tom\n/in @firstline\n!run note-printer note=\""+evil+"\"\n"+
		"!run restart-spooler host=\"PRN-3; touch "+pwned+"\"\n"+
		"/as alice\n/in @firstline\n!run add-to-group group=hr\n/as tina\n/click m7 Deny\n"+
		"/as alice\n/in @firstline\n!run unlock-account\n"+
		"/as ada\n/in @firstline\n!actions off\n/as alice\n/in @firstline\n!run unlock-account\n")
	for _, want := range []string{
		"note: " + evil,                         // the program's output: the value as one argument, verbatim
		"I can't run Restart the print spooler", // the pattern
		"tina denied your request to run Add me to a group (A-000002)",
		"Actions are off", "Actions are turned off right now",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("the console does not show %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(pwned); !os.IsNotExist(err) {
		t.Fatalf("a shell ran the value: %s exists (%v)", pwned, err)
	}
	if strings.Contains(out, "restarting") {
		t.Fatalf("the refused host ran:\n%s", out)
	}
	if n := len(target.Calls()); n != 1 {
		t.Fatalf("%d calls to the target, want 1 (unlock-account, before actions were turned off):\n%s", n, out)
	}
	if strings.Contains(out, secret) {
		t.Fatalf("the secret was posted:\n%s", out)
	}
	// the denied request's ticket was closed with it: alice's unlock opened another
	show := runCLIWithEnv(t, "-config", cfg, "-data", data, "tickets", "show", "T-000003")
	if !strings.Contains(show, "A-000003 unlock-account: succeeded") || strings.Contains(show, secret) {
		t.Fatalf("tickets show:\n%s", show)
	}
	raw, err := os.ReadFile(filepath.Join(data, "firstline.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(secret)) || bytes.Contains(raw, []byte("ghp_abcdefghij")) {
		t.Fatal("the secret is in the data file")
	}
	// The log says which runs were made and how they ended, never what was sent or answered.
	logged, err := os.ReadFile(filepath.Join(data, "firstline.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(logged, []byte("action call ended")) {
		t.Fatalf("the log does not record the calls:\n%s", logged)
	}
	for _, never := range []string{"recovery", "ACTIVE", "note:", "touch", pwned} {
		if bytes.Contains(logged, []byte(never)) {
			t.Fatalf("the log holds %q, from a value, a request or an output:\n%s", never, logged)
		}
	}
}
