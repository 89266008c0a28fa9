package main

// The desk on PostgreSQL ([storage] driver = "postgres"), through the real binary: it serves Slack, the
// read commands read the database while it runs, the data-file commands say what to use instead, and a
// restart finds everything where it was.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/adapters/discord/fakediscord"
	"github.com/firstline-desk/firstline/adapters/slack/fakeslack"
	"github.com/firstline-desk/firstline/storage/postgres"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
)

// pgStorage is the [storage] of a desk on the PostgreSQL database in $FIRSTLINE_PG_DSN.
const pgStorage = `
[storage]
driver = "postgres"

[storage.postgres]
dsn = "${FIRSTLINE_PG_DSN}"
max_conns = 4
`

// TestDeskOnPostgres runs the binary on PostgreSQL against fakeslack (HTTP mode): a question is answered
// in its thread; tickets list, show, report, audit and kb export read the database while the desk runs
// (from a folder with no data file, as on another machine), and check finds it sound; backup says it is pg_dump's job; no data
// file is written; kb import writes into the database; web link reaches the desk's console through the
// control socket in its data folder; after a restart the ticket is still there and the next question gets the next number.
func TestDeskOnPostgres(t *testing.T) {
	t.Setenv("FIRSTLINE_PG_DSN", pgtest.DSN(t))
	bin := firstlineBinary(t)
	fake := fakeslack.New(t)
	fake.AddUser("UALICE", "Alice Smith", "alice")
	fake.AddUser(loadTechUser, "Tom Tech", "tom")
	dir := t.TempDir()
	addr := freeAddr(t)
	webAddr := freeAddr(t)
	cfg := writeLoadConfig(t, dir, fake.APIURL(), addr, pgStorage+"\n[web]\nlisten = \""+webAddr+"\"\nbase_url = \"http://"+webAddr+"\"\n")
	data := filepath.Join(dir, "data")
	d := newDeskProcess(t, bin, data, cfg, addr, filepath.Join(dir, "desk.log"))
	d.start()
	d.waitHealthy(60 * time.Second)

	ask := func(id, text, ts string) {
		t.Helper()
		body := slackMessage{EventID: id, Channel: loadHelp, User: "UALICE", Text: text, TS: ts}.body()
		status, err := deliver(context.Background(), http.DefaultClient, "http://"+addr+"/slack/events", body, 0)
		if err != nil || status != http.StatusOK {
			t.Fatalf("deliver %s: status %d, %v; see %s", id, status, err, d.log.Name())
		}
	}
	answered := func(ts, article string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			for _, p := range fake.Posted() {
				if p.Channel == loadHelp && p.ThreadTS == ts && strings.Contains(string(p.Blocks)+p.Text, article) {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no answer with %s in the thread of %s; posted %+v; see %s", article, ts, fake.Posted(), d.log.Name())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ask("Ev1", "My VPN will not connect", "1700000001.000100")
	answered("1700000001.000100", "vpn-connect")

	// The reads, while the desk runs, from elsewhere: nothing to stop, no socket to reach.
	elsewhere := t.TempDir()
	read := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, append(args, "-config", cfg, "-data", elsewhere)...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	if out := read("tickets", "list"); !strings.Contains(out, "T-000001") || !strings.Contains(out, "VPN") {
		t.Fatalf("tickets list while the desk runs on PostgreSQL:\n%s", out)
	}
	if out := read("tickets", "show", "T-000001"); !strings.Contains(out, "My VPN will not connect") {
		t.Fatalf("tickets show:\n%s", out)
	}
	var rep struct {
		Opened int `json:"opened"`
	}
	if out := read("report", "-since", "1d", "-json"); json.Unmarshal([]byte(out), &rep) != nil || rep.Opened != 1 {
		t.Fatalf("report -json: opened %d, want 1:\n%s", rep.Opened, out)
	}
	if out := read("audit", "-since", "1d"); !strings.Contains(out, "T-000001") {
		t.Fatalf("audit:\n%s", out)
	}
	if out := read("check"); !strings.Contains(out, "no problems found") || !strings.Contains(out, "PostgreSQL at") {
		t.Fatalf("check while the desk runs:\n%s", out)
	}
	kbOut := filepath.Join(t.TempDir(), "kb")
	read("kb", "export", kbOut)
	if _, err := os.Stat(filepath.Join(kbOut, "vpn-connect.md")); err != nil {
		t.Fatalf("kb export wrote no vpn-connect.md: %v", err)
	}
	// kb import writes into the database the desk runs on.
	kbIn := t.TempDir()
	if err := os.WriteFile(filepath.Join(kbIn, "badge-reader.md"), []byte("+++\nid = \"badge-reader\"\ntitle = \"Badge reader beeps red\"\ntags = [\"badge\"]\n+++\nHold the badge flat on the reader for two seconds.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	read("kb", "import", kbIn)
	if out := read("kb", "search", "badge reader beeps"); !strings.Contains(out, "badge-reader") {
		t.Fatalf("kb search after kb import:\n%s", out)
	}
	// web link reaches this replica's console over the control socket in its own data folder.
	if out, err := runCLI(t, "web", "link", "slack:"+loadTechUser, "-config", cfg, "-data", data); err != nil || !strings.HasPrefix(out, "http://"+webAddr+"/") {
		t.Fatalf("web link on PostgreSQL: %v\n%s", err, out)
	}
	out, err := runCLI(t, "backup", "-config", cfg, "-data", data, filepath.Join(t.TempDir(), "b.db"))
	if err == nil || !strings.Contains(out, "pg_dump") {
		t.Fatalf("backup on PostgreSQL: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(data, "firstline.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a desk on PostgreSQL wrote a data file: %v", err)
	}
	d.stop()

	d.start()
	d.waitHealthy(60 * time.Second)
	ask("Ev2", "How do I reset my password?", "1700000002.000100")
	answered("1700000002.000100", "password")
	d.stop()
	var list []struct {
		ID string `json:"id"`
	}
	if out := read("tickets", "list", "-json"); json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 {
		t.Fatalf("after a restart, tickets list -json: want 2 tickets:\n%s", out)
	}
	if list[0].ID == list[1].ID {
		t.Fatalf("two tickets with one id: %+v", list)
	}
}

// TestStandbyReplicaIsHealthy runs a desk on PostgreSQL with Discord while another replica holds the
// gateway session (its lease taken here): the desk stands by without opening a session, and /healthz says
// it is up, so a load balancer or a container's HEALTHCHECK keeps it; once the other replica lets go, it
// takes the session over and /healthz follows the session. Without leadConn a standby said "degraded"
// (Discord not connected), and "down" (503) once the 2 minutes of a reconnect's grace had passed.
func TestStandbyReplicaIsHealthy(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	pg, err := postgres.Open(ctx, postgres.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	lease := []string{"lead:discord-gateway"}
	if grants, err := pg.Lease(ctx, "replica-a", lease, time.Hour); err != nil || len(grants) != 1 {
		t.Fatalf("take the gateway's lease as another replica: %v, %v", grants, err)
	}
	fake := fakediscord.New(t)
	addr := freeAddr(t)
	name := filepath.Join(t.TempDir(), "firstline.toml")
	writeFile(t, name, `
[discord]
enabled = true
token = "test-token"
api_url = "`+fake.URL()+`"
help_channels = ["100000000000000001"]

[http]
listen = "`+addr+`"

[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "discord:100000000000000002"
members = ["discord:role:300000000000000001"]

[storage]
driver = "postgres"

[storage.postgres]
dsn = "`+dsn+`"
`)
	var out, errOut syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: noEnv}
	runCtx, cancel := context.WithCancel(ctx)
	code := make(chan int, 1)
	go func() { code <- m.Run(runCtx, []string{"-data", t.TempDir(), "-config", name}) }()
	defer func() {
		cancel()
		if c := <-code; c != 0 {
			t.Errorf("exit %d\n%s", c, errOut.String())
		}
	}()

	type report struct {
		Status   string `json:"status"`
		Adapters map[string]struct {
			Connected bool `json:"connected"`
		} `json:"adapters"`
	}
	healthz := func() (int, report) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return 0, report{}
		}
		defer resp.Body.Close()
		var r report
		json.NewDecoder(resp.Body).Decode(&r)
		return resp.StatusCode, r
	}
	// until: poll /healthz until ok says yes, or fail with what it last said.
	until := func(what string, ok func(int, report) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			status, r := healthz()
			if ok(status, r) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: /healthz %d %+v\n%s", what, status, r, errOut.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	until("the standby's first answer", func(status int, r report) bool {
		if status == 0 {
			return false // not listening yet
		}
		if status != http.StatusOK || r.Status != "ok" || !r.Adapters["discord"].Connected {
			t.Fatalf("a replica standing by: /healthz %d %+v", status, r)
		}
		return true
	})
	if n := fake.Identifies(); n != 0 {
		t.Fatalf("a replica standing by opened %d gateway sessions", n)
	}

	if err := pg.Release(ctx, "replica-a", lease); err != nil {
		t.Fatal(err)
	}
	fake.WaitIdentifies(t, 1)
	until("after taking the session over", func(status int, r report) bool {
		return status == http.StatusOK && r.Status == "ok" && r.Adapters["discord"].Connected
	})
}
