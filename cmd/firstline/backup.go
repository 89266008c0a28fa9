package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/storage"
)

func (m *Main) backup(ctx context.Context, args []string) error {
	fs := m.flagSet("backup")
	force := fs.Bool("force", false, "replace FILE when it exists")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError("backup needs one FILE to write, like firstline-backup.db")
	}
	if err := m.boltOnly("backup", "back the database up with pg_dump, and restore it with pg_restore (docs/replicas.md, \"Backups\")"); err != nil {
		return err
	}
	data, err := m.existingData()
	if err != nil {
		return err
	}
	dest, err := filepath.Abs(rest[0]) // the running desk has its own working directory
	if err != nil {
		return err
	}
	if _, err := os.Stat(dest); err == nil && !*force {
		return usageError("%s exists: pass -force to replace it", rest[0])
	}
	how := "from the running Firstline"
	_, err = control.Call(ctx, control.Path(data), control.Request{Op: "backup", Path: dest})
	if errors.Is(err, control.ErrNotRunning) {
		how = "(Firstline is not running)"
		_, err = storage.BackupFile(ctx, data, dest, storeOptions)
		if bot.ErrorCode(err) == bot.EUNAVAILABLE {
			return notAnswering(data)
		}
	}
	if err != nil {
		return storeError(err)
	}
	info, err := storage.VerifyFile(dest, storeOptions)
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("the backup at %s does not verify, do not rely on it: %s", dest, userMessage(err))}
	}
	fmt.Fprintf(m.Stdout, "Backed up %s to %s %s: %s, %s, schema %d; verified.\n", data, dest, how, byteSize(info.Size), ticketCount(info.Tickets), info.Schema)
	return nil
}
