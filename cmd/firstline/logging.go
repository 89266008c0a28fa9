package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/firstline-desk/firstline/redact"
)

// logger builds the program's logger. In the console, logs go to a file so they do not interleave with
// the chat.
func (m *Main) logger(cfg Config, console bool) (*slog.Logger, func(), error) {
	var w io.Writer = m.Stderr
	closeFn := func() {}
	file := cfg.Log.File
	if file == "" && console {
		file = filepath.Join(m.dataDir, "firstline.log")
		// A name anyone could guess: a link planted there would get the logs appended to what it points
		// at. (A log.file the admin names may be a link, /dev/stdout for one.)
		if fi, err := os.Lstat(file); err == nil && !fi.Mode().IsRegular() {
			return nil, nil, &exitError{code: 1, msg: fmt.Sprintf("%s is not a regular file (a link?): remove it, Firstline writes its log there", file)}
		}
	}
	if file != "" {
		f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		return nil, nil, fmt.Errorf("log level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	// Every line is redacted on its way out: an error from a platform may quote a token, a debug line a
	// message.
	if cfg.Log.Format == "json" {
		return slog.New(redact.Handler(slog.NewJSONHandler(w, opts))), closeFn, nil
	}
	return slog.New(redact.Handler(slog.NewTextHandler(w, opts))), closeFn, nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
