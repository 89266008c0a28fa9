package main

// firstline migrate: a desk copied between the bbolt data file and PostgreSQL, either way, so that
// nobody is locked in. The copy is storage/dump's records (every kind the stores hold), written into an
// empty target by the target's own Importer, then read back and compared with what was read: the counts
// of every kind, and a digest of the records in dump.Canonical's form, so a record changed on the way
// fails the copy even when the counts agree.

import (
	"context"
	"crypto/sha256"
	endian "encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
	"github.com/firstline-desk/firstline/storage/dump"
	"github.com/firstline-desk/firstline/storage/postgres"
)

// migrate is `firstline migrate -to postgres|bbolt`.
func (m *Main) migrate(ctx context.Context, args []string) error {
	fs := m.flagSet("migrate")
	to := fs.String("to", "", "where to copy the desk: `postgres` (from the data file in -data) or bbolt (into a new data file in -data; a -data ending in .db names the file itself)")
	dsnFlag := fs.String("dsn", "", "the PostgreSQL connection `DSN` (default: [storage.postgres] dsn of -config)")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("migrate takes no arguments, got %q", rest)
	}
	if *to != driverPostgres && *to != driverBolt {
		return usageError("migrate needs -to postgres (copy the data file into an empty database) or -to bbolt (copy the database into a new data file)")
	}
	cfg := DefaultConfig() // the pool settings, when no -config gives its own
	if m.configFile != "" {
		if cfg, err = m.offlineConfig(); err != nil {
			return err
		}
	}
	dsn := *dsnFlag
	if dsn == "" {
		dsn = cfg.Storage.Postgres.DSN
	}
	if dsn == "" {
		return usageError("migrate needs the database: -dsn postgres://USER@HOST:5432/DB, or a -config with [storage.postgres] dsn")
	}
	if err := checkDSN(dsn); err != nil {
		return usageError("-dsn: %v", err)
	}
	pgOpts := cfg.Storage.Postgres.options(dsn, false, nil)
	if *to == driverPostgres {
		return m.migrateToPostgres(ctx, pgOpts)
	}
	pgOpts.ReadOnly = true // the source: its schema is read, not changed
	return m.migrateToBolt(ctx, pgOpts)
}

// migrateToPostgres copies the data file into the empty database of opts, migrating its schema first.
func (m *Main) migrateToPostgres(ctx context.Context, opts postgres.Options) error {
	data := m.migrateFile()
	if _, err := os.Stat(data); errors.Is(err, fs.ErrNotExist) {
		return &exitError{code: 1, msg: fmt.Sprintf("there is no data file at %s: point -data at the desk's data folder (or its firstline.db)", data)}
	}
	pg, err := postgres.Open(ctx, opts)
	if err != nil {
		return storeError(err)
	}
	defer pg.Close()
	im, err := postgres.NewImporter(ctx, pg)
	if err != nil {
		return storeError(err)
	}
	var sent tally
	err = storage.ExportFile(ctx, data, func(r dump.Record) error {
		if err := sent.add(r); err != nil {
			return err
		}
		return im.Put(r)
	})
	if err != nil {
		im.Abort()
		if bot.ErrorCode(err) == bot.EUNAVAILABLE {
			return &exitError{code: 1, msg: fmt.Sprintf("the data file %s is in use by a running Firstline: stop it first (what it writes during a copy would be lost), then run migrate again", data)}
		}
		return fmt.Errorf("nothing was copied: %w", storeError(err))
	}
	if err := im.Close(); err != nil {
		return fmt.Errorf("nothing was copied: %w", storeError(err))
	}
	var found tally
	if err := pg.Export(ctx, found.add); err != nil {
		return fmt.Errorf("read the copy back from %s: %w", pg.Where(), storeError(err))
	}
	to := "PostgreSQL at " + pg.Where()
	if err := sent.compare(found, to); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Copied %s to %s; verified: every record read back the same.\n", data, to)
	sent.print(m.Stdout)
	fmt.Fprintln(m.Stdout, `Next: set [storage] driver = "postgres" with this dsn in the config, and start the desk (docs/replicas.md). The data file is left as it was.`)
	return nil
}

// migrateToBolt copies the database of opts into a new data file in -data.
func (m *Main) migrateToBolt(ctx context.Context, opts postgres.Options) error {
	path := m.migrateFile()
	if _, err := os.Stat(path); err == nil {
		return &exitError{code: 1, msg: fmt.Sprintf("%s exists: migrate -to bbolt writes a new data file only; point -data at an empty folder, or move the file away", path)}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	pg, err := postgres.Open(ctx, opts)
	if err != nil {
		return storeError(err)
	}
	defer pg.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	im, err := storage.NewImporter(path)
	if err != nil {
		return storeError(err)
	}
	var sent tally
	err = pg.Export(ctx, func(r dump.Record) error {
		if err := sent.add(r); err != nil {
			return err
		}
		return im.Put(r)
	})
	if cerr := im.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // half a desk is no desk: nothing is left behind to be mistaken for one
		return fmt.Errorf("nothing was copied: %w", storeError(err))
	}
	var found tally
	if err := storage.ExportFile(ctx, path, found.add); err != nil {
		return fmt.Errorf("read the copy back from %s: %w", path, storeError(err))
	}
	if err := sent.compare(found, path); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Copied PostgreSQL at %s to %s; verified: every record read back the same.\n", pg.Where(), path)
	sent.print(m.Stdout)
	fmt.Fprintln(m.Stdout, `Next: set [storage] driver = "bbolt" (or remove [storage]) in the config, and start one desk with this -data. The database is left as it was.`)
	return nil
}

// migrateFile is the data file migrate reads or writes: -data names the desk's folder, which holds
// firstline.db, as for every command; or, ending in .db and no folder, the data file itself.
func (m *Main) migrateFile() string {
	if strings.HasSuffix(m.dataDir, ".db") {
		if fi, err := os.Stat(m.dataDir); err != nil || !fi.IsDir() {
			return m.dataDir
		}
	}
	return m.dataFile()
}

// tally counts the records of a dump by kind and digests them: the sum of the SHA-256 of each record's
// canonical line, which does not depend on the order the records come in nor holds them all in memory.
type tally struct {
	counts dump.Counts
	sum    [4]uint64
}

func (t *tally) add(r dump.Record) error {
	if t.counts == nil {
		t.counts = dump.Counts{}
	}
	lines, err := dump.Canonical([]dump.Record{r})
	if err != nil {
		return err
	}
	h := sha256.Sum256([]byte(lines[0]))
	for i := range t.sum {
		t.sum[i] += endian.BigEndian.Uint64(h[8*i:])
	}
	t.counts.Add(r)
	return nil
}

// compare fails unless found, read back from the copy at where, holds what t sent.
func (t *tally) compare(found tally, where string) error {
	if diff := t.counts.Diff(found.counts); len(diff) > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("the copy at %s does not hold what was copied, do not use it:\n  %s", where, strings.Join(diff, "\n  "))}
	}
	if t.sum != found.sum {
		return &exitError{code: 1, msg: fmt.Sprintf("the copy at %s holds as many records as were copied, but not the same ones: do not use it", where)}
	}
	return nil
}

// print lists the records copied, by kind.
func (t *tally) print(w io.Writer) {
	for _, k := range dump.Kinds {
		if n := t.counts[k]; n > 0 {
			fmt.Fprintf(w, "  %-17s %d\n", k, n)
		}
	}
}
