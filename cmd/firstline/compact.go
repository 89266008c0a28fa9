package main

import (
	"context"
	"fmt"

	"github.com/firstline-desk/firstline/storage"
)

func (m *Main) compact(ctx context.Context, args []string) error {
	fs := m.flagSet("compact")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("compact takes no arguments, got %q", rest)
	}
	if err := m.boltOnly("compact", "PostgreSQL reclaims deleted rows itself (autovacuum), and VACUUM FULL gives the space back to the disk (docs/replicas.md)"); err != nil {
		return err
	}
	data, err := m.existingData()
	if err != nil {
		return err
	}
	before, after, err := storage.Compact(ctx, data, storeOptions)
	if err != nil {
		return storeError(err)
	}
	fmt.Fprintf(m.Stdout, "Compacted %s: %s before, %s now; verified.\n", data, byteSize(before), byteSize(after))
	return nil
}
