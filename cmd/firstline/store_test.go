package main

import (
	"context"
	"strings"
	"testing"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/postgres/pgtest"
)

// TestStorageConfig checks [storage]: each wrong value is named by its key with what to do, a password
// never shows in a message, and the defaults are the data file.
func TestStorageConfig(t *testing.T) {
	base := `
[[tiers]]
id = "tier2"
name = "Tier 2"
channel = "console:tier2"
members = ["console:tom"]
`
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"PG": "postgres://firstline:s3cret@db.example.com:5432/firstline"}[k]
		return v, ok
	}
	cases := []struct {
		name, toml string
		want       []string // each in the error; none: it loads
	}{
		{"default is the data file", "", nil},
		{"postgres", "[storage]\ndriver = \"postgres\"\n[storage.postgres]\ndsn = \"${PG}\"\nmax_conns = 20\nmin_conns = 2\n", nil},
		{"unknown driver", "[storage]\ndriver = \"mysql\"\n", []string{`storage.driver: "mysql" is not "bbolt"`}},
		{"no dsn", "[storage]\ndriver = \"postgres\"\n", []string{"storage.postgres.dsn: required", "${FIRSTLINE_PG_DSN}"}},
		{"dsn unset in the environment", "[storage]\ndriver = \"postgres\"\n[storage.postgres]\ndsn = \"${NOPE}\"\n", []string{"storage.postgres.dsn: environment variable NOPE is not set"}},
		{"bad dsn", "[storage]\ndriver = \"postgres\"\n[storage.postgres]\ndsn = \"postgres://firstline:s3cret@db.example.com:99999999/x\"\n", []string{"storage.postgres.dsn: not a PostgreSQL connection string"}},
		{"dsn without the driver", "[storage.postgres]\ndsn = \"${PG}\"\n", []string{`storage.postgres.dsn: set, but storage.driver is "bbolt"`}},
		{"pool", "[storage]\ndriver = \"postgres\"\n[storage.postgres]\ndsn = \"${PG}\"\nmax_conns = 0\nmin_conns = -1\nmax_conn_lifetime = \"-1h\"\nconnect_timeout = \"-1s\"\n",
			[]string{"storage.postgres.max_conns: 0 must be between 1", "storage.postgres.min_conns: -1", "storage.postgres.max_conn_lifetime: must not be negative", "storage.postgres.connect_timeout: must not be negative"}},
		{"min above max", "[storage]\ndriver = \"postgres\"\n[storage.postgres]\ndsn = \"${PG}\"\nmax_conns = 2\nmin_conns = 3\n", []string{"storage.postgres.min_conns: 3 must be between 0 and max_conns (2)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig("f.toml", []byte(base+c.toml), env)
			if len(c.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.toml == "" && (cfg.Storage.Driver != "bbolt" || cfg.postgresOn()) {
					t.Fatalf("default storage: %+v", cfg.Storage)
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded; want %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the password is in the message:\n%v", err)
			}
		})
	}
}

// TestEngineStoreKeepsCapabilities checks that the engine gets the store the driver opened, with the
// capabilities it finds by type assertion: on PostgreSQL, leases and notifications, without which every
// replica would perform every outbox lane and run the SLA loop.
func TestEngineStoreKeepsCapabilities(t *testing.T) {
	dsn := pgtest.DSN(t)
	cfg := DefaultConfig()
	cfg.Storage.Driver, cfg.Storage.Postgres.DSN = driverPostgres, dsn
	m := &Main{dataDir: t.TempDir()}
	st, err := m.openStore(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, ok := st.engineStore().(bot.Leaser); !ok {
		t.Error("the engine's store on PostgreSQL is no bot.Leaser")
	}
	if _, ok := st.engineStore().(bot.Watcher); !ok {
		t.Error("the engine's store on PostgreSQL is no bot.Watcher")
	}
}
