package main

// The data file as the commands find and open it, and how its errors reach the user.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/storage"
	"github.com/jackc/pgx/v5"
)

func (m *Main) dataFile() string { return filepath.Join(m.dataDir, "firstline.db") }

// openData opens the data file to write it, creating it when there is none. A running desk holds its
// lock: that is said in a sentence.
func (m *Main) openData() (*storage.DB, error) {
	db, err := storage.Open(m.dataFile(), storage.Options{LockTimeout: time.Second, SoloCommits: m.soloCommits})
	if err != nil {
		return nil, storeError(err)
	}
	return db, nil
}

// reader opens what the read commands read: the running desk, over its control socket (it holds the data
// file's lock, so nothing else can open the file), or, when no desk runs, the data file itself,
// read-only. Both give the same values, so a read command prints the same while the desk runs as after
// it stops. On PostgreSQL ([storage] driver = "postgres" in -config) they read the database itself,
// whatever desks run on it: one snapshot, the schema left as it is. close releases what was opened.
func (m *Main) reader(ctx context.Context) (r control.Reader, close func(), err error) {
	cfg, err := m.offlineConfig()
	if err != nil {
		return nil, nil, err
	}
	if cfg.postgresOn() {
		pg, err := m.openPostgres(ctx, cfg, true, nil)
		if err != nil {
			return nil, nil, err
		}
		return control.Local(pg), func() { pg.Close() }, nil
	}
	path := m.dataFile()
	switch err := control.Ping(ctx, control.Path(path)); {
	case err == nil:
		return control.Remote(control.Path(path)), func() {}, nil
	case !errors.Is(err, control.ErrNotRunning):
		return nil, nil, storeError(err)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil, &exitError{code: 1, msg: fmt.Sprintf("there is no data file at %s yet: run `firstline` first, or point -data at the right directory", path)}
	}
	db, err := storage.Open(path, storage.Options{LockTimeout: time.Second, ReadOnly: true})
	if bot.ErrorCode(err) == bot.EUNAVAILABLE {
		return nil, nil, notAnswering(path)
	}
	if err != nil {
		return nil, nil, storeError(err)
	}
	return control.Local(db), func() { db.Close() }, nil
}

// where names the store of cfg for messages: the data file, or the PostgreSQL database (no password).
func (m *Main) where(cfg Config) string {
	if !cfg.postgresOn() {
		return m.dataFile()
	}
	if c, err := pgx.ParseConfig(cfg.Storage.Postgres.DSN); err == nil {
		return fmt.Sprintf("PostgreSQL at %s:%d/%s", c.Host, c.Port, c.Database)
	}
	return "PostgreSQL"
}

// boltOnly refuses command, which works on the data file alone, when the config keeps the desk in
// PostgreSQL, saying what to use instead.
func (m *Main) boltOnly(command, instead string) error {
	cfg, err := m.offlineConfig()
	if err != nil {
		return err
	}
	if cfg.postgresOn() {
		return &exitError{code: 1, msg: fmt.Sprintf("%s works on the bbolt data file, and this desk keeps its records in PostgreSQL ([storage] driver = \"postgres\"): %s", command, instead)}
	}
	return nil
}

// storeOptions are the options of every data-file command: fail fast when another process holds the file.
var storeOptions = storage.Options{LockTimeout: time.Second}

// existingData returns the data file's path, or an error that says there is none.
func (m *Main) existingData() (string, error) {
	path := m.dataFile()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", &exitError{code: 1, msg: fmt.Sprintf("there is no data file at %s: point -data at the right directory", path)}
	}
	return path, nil
}

// storeError turns a domain error into what the user sees.
func storeError(err error) error {
	var be *bot.Error
	if errors.As(err, &be) {
		return &exitError{code: 1, msg: be.Message}
	}
	var ce *control.Error
	if errors.As(err, &ce) {
		return &exitError{code: 1, msg: ce.Message}
	}
	return err
}

// notAnswering is what backup, check and the read commands say when a process holds the file but nothing answers on its
// control socket.
func notAnswering(path string) error {
	return &exitError{code: 1, msg: fmt.Sprintf("the data file %s is in use by a Firstline that does not answer on %s (still starting, or a version without it): try again in a moment, or stop it", path, control.Path(path))}
}
