package main

import (
	"context"
	"fmt"
	"time"

	"github.com/firstline-desk/firstline/storage"
)

func (m *Main) restore(ctx context.Context, args []string) error {
	fs := m.flagSet("restore")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError("restore needs the backup FILE to restore")
	}
	if err := m.boltOnly("restore", "restore a pg_dump backup with pg_restore (docs/replicas.md, \"Backups\")"); err != nil {
		return err
	}
	data := m.dataFile()
	res, err := storage.Restore(ctx, data, rest[0], time.Now(), storeOptions)
	if err != nil {
		return storeError(err)
	}
	fmt.Fprintf(m.Stdout, "Restored %s from %s: %s, %s, schema %d.\n", data, rest[0], byteSize(res.Size), ticketCount(res.Tickets), res.Schema)
	if res.Schema < storage.SchemaVersion() {
		fmt.Fprintf(m.Stdout, "Firstline upgrades it from schema %d to %d when it next starts.\n", res.Schema, storage.SchemaVersion())
	}
	if res.Previous != "" {
		fmt.Fprintf(m.Stdout, "The file it replaced is kept as %s; delete it once you no longer need it.\n", res.Previous)
	}
	return nil
}
