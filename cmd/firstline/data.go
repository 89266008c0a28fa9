package main

// The data file as the commands find and open it, and how its errors reach the user.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/storage"
)

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

// notAnswering is what backup and check say when a process holds the file but nothing answers on its
// control socket.
func notAnswering(path string) error {
	return &exitError{code: 1, msg: fmt.Sprintf("the data file %s is in use by a Firstline that does not answer on %s (still starting, or a version without it): try again in a moment, or stop it", path, control.Path(path))}
}

func (m *Main) dataFile() string { return filepath.Join(m.dataDir, "firstline.db") }

// openData opens the data file. Reading commands open it read-only and say so when it does not exist.
func (m *Main) openData(readOnly bool) (*storage.DB, error) {
	path := m.dataFile()
	if readOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, &exitError{code: 1, msg: fmt.Sprintf("there is no data file at %s yet: run `firstline` first, or point -data at the right directory", path)}
		}
	}
	db, err := storage.Open(path, storage.Options{LockTimeout: time.Second, ReadOnly: readOnly})
	if err != nil {
		var be *bot.Error
		if errors.As(err, &be) {
			return nil, &exitError{code: 1, msg: be.Message}
		}
		return nil, err
	}
	return db, nil
}
