package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/firstline-desk/firstline/adapters/console"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/kb"
	"github.com/firstline-desk/firstline/metrics"
	"github.com/firstline-desk/firstline/redact"
	"github.com/firstline-desk/firstline/storage"
)

// dedupRetention is how long event ids are remembered; platforms stop redelivering within hours.
const dedupRetention = 7 * 24 * time.Hour

// runDesk runs the service desk until the console's input ends or the process is told to stop.
func (m *Main) runDesk(ctx context.Context, args []string) error {
	fs := m.flagSet("run")
	if rest, err := parseFlags(fs, args, false); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError("run takes no arguments, got %q", rest)
	}
	cfg, err := m.config()
	if err != nil {
		return err
	}
	db, err := m.openData(false)
	if err != nil {
		return err
	}
	defer db.Close()

	// With a chat platform the desk is a server and logs go to stderr; the console demo keeps them in a
	// file so they do not interleave with the chat.
	server := cfg.Slack.Enabled || cfg.Discord.Enabled
	logger, closeLog, err := m.logger(cfg, !server)
	if err != nil {
		return err
	}
	defer closeLog()
	// The desk holds the file's lock: backup and check reach it through the control socket.
	defer control.Start(ctx, db, logger)()
	m.retention = cfg.Retention

	index, err := m.loadKB(ctx, cfg, db, logger)
	if err != nil {
		return err
	}
	// Metrics exist when something can read them: the HTTP listener of a server.
	var mx *metrics.Metrics
	if server && cfg.HTTP.Listen != "" {
		mx = metrics.New(metrics.Config{Store: db}, logger)
	}
	dm, err := m.setupModel(cfg, db, index, mx, logger)
	if err != nil {
		return err
	}
	engine, err := bot.New(cfg.Bot(), db, dm.search, m.clock(), logger)
	if err != nil {
		return err
	}
	engine.SetReporter(deskReporter{db: db, cfg: cfg})
	if dm.client != nil {
		engine.SetModel(dm.client, cfg.LLM.modelOptions())
	}
	if dm.hybrid != nil {
		vctx, stopVectors := context.WithCancel(ctx)
		vdone := make(chan struct{})
		go func() {
			defer close(vdone)
			syncVectors(vctx, dm.hybrid, logger)
		}()
		defer func() { stopVectors(); <-vdone }()
	}
	if server {
		return m.serve(ctx, cfg, engine, db, mx, logger)
	}
	con := console.New(consoleConfig(cfg), db.Adapter("console"), logger)
	engine.AddChat(con)
	// The console gives message ids in post order, and the README's walkthrough names them: effects
	// one at a time in outbox order make the same lines give the same ids, every time.
	engine.SetSequential()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := &readyEngine{Engine: engine, ready: make(chan struct{})}
	background := make(chan struct{})
	go func() {
		defer close(background)
		// The console refuses posts until it runs; dispatching before that would only schedule retries.
		select {
		case <-ready.ready:
		case <-ctx.Done():
			return
		}
		m.housekeeping(ctx, engine, db, logger)
	}()

	done := make(chan error, 1)
	go func() { done <- con.Run(ctx, ready, m.Stdin, m.Stdout, isTerminal(m.Stdin)) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// Interrupted: the console may be blocked reading a terminal; the data is already committed.
	}
	cancel()
	<-background
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}

// readyEngine notices the console's first Flush: from then on it can print what the engine posts.
type readyEngine struct {
	*bot.Engine
	once  sync.Once
	ready chan struct{}
}

func (r *readyEngine) Flush(ctx context.Context) error {
	r.once.Do(func() { close(r.ready) })
	return r.Engine.Flush(ctx)
}

// housekeeping performs effects as they come (retries included), forgets old dedup keys, and deletes
// resolved tickets past [retention].
func (m *Main) housekeeping(ctx context.Context, engine *bot.Engine, db *storage.DB, logger *slog.Logger) {
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if n, err := db.PruneEvents(ctx, time.Now().Add(-dedupRetention)); err != nil && ctx.Err() == nil {
				logger.Warn("prune dedup keys", "err", err)
			} else if n > 0 {
				logger.Debug("pruned dedup keys", "count", n)
			}
			m.purgeResolved(ctx, db, logger) // [retention]
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	go func() {
		// The SLA loop: each tick reads only the tickets with a warning or breach due (an index), so a
		// short period is cheap even with a large data file.
		t := time.NewTicker(slaTick)
		defer t.Stop()
		for {
			if n, err := engine.CheckSLAs(ctx, m.clock().Now()); err != nil && ctx.Err() == nil {
				logger.Warn("SLA check", "err", err)
			} else if n > 0 {
				logger.Debug("SLA check", "tickets", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	if err := engine.Run(ctx); err != nil {
		logger.Error("dispatcher stopped", "err", err)
	}
}

// slaTick is how often SLA warnings and breaches are looked for.
const slaTick = 30 * time.Second

// loadKB brings the data file's articles up to date (the configured folder, or the demo KB when the file
// has none and no config is given) and indexes them.
func (m *Main) loadKB(ctx context.Context, cfg Config, db *storage.DB, logger *slog.Logger) (*kb.Library, error) {
	switch {
	case cfg.KB.Dir != "":
		files, err := kb.ReadFolder(ctx, cfg.KB.Dir)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("read knowledge base %s: %w", cfg.KB.Dir, err)
		}
		if err := m.syncKBDir(ctx, cfg.KB.Dir, files, db, logger); err != nil {
			return nil, err
		}
	case m.configFile == "":
		have, err := db.Articles(ctx)
		if err != nil {
			return nil, err
		}
		if len(have) == 0 {
			sub, err := fs.Sub(demoFS, "demo/kb")
			if err != nil {
				return nil, err
			}
			articles, err := kb.ReadDir(sub, ".")
			if err != nil {
				return nil, fmt.Errorf("read the demo knowledge base: %w", err)
			}
			if err := putArticles(ctx, db, articles, "demo"); err != nil {
				return nil, err
			}
			logger.Info("imported the demo knowledge base", "articles", len(articles))
		}
	}
	articles, err := db.Articles(ctx)
	if err != nil {
		return nil, err
	}
	index := kb.NewLibrary(articles, kb.Options{Synonyms: cfg.KB.Synonyms})
	logger.Info("knowledge base indexed", "articles", index.Len())
	return index, nil
}

// syncKBDir brings kb.dir's files into the data file without undoing chat's edits (bot.SyncKBFolder says
// which source wins), and logs what it did and every conflict.
func (m *Main) syncKBDir(ctx context.Context, dir string, files []kb.File, db *storage.DB, logger *slog.Logger) error {
	res, err := bot.SyncKBFolder(ctx, db, files, kbDirAuthor, time.Now())
	if err != nil {
		return err
	}
	if len(res.Added)+len(res.Changed)+len(res.Deleted) > 0 {
		logger.Info("imported the knowledge base folder", "dir", dir, "added", len(res.Added), "changed", len(res.Changed), "deleted", len(res.Deleted))
	}
	if res.KeptEmpty {
		logger.Warn("the knowledge base folder has no articles: the articles imported from it earlier are kept", "dir", dir)
	}
	for _, c := range res.Conflicts {
		what := "changed"
		if c.Conflict.Removed {
			what = "removed"
		}
		logger.Warn("knowledge base conflict: the file "+what+" while the article was changed in Firstline; the article's version is kept (see !kb, or run kb export or kb import)",
			"article_id", c.ID, "file", c.File, "version", c.Conflict.Version)
	}
	return nil
}

// kbDirAuthor is the author of the versions kb.dir writes; SyncKBFolder also reads it back to tell the
// folder's versions from chat's in a data file from before it kept records.
const kbDirAuthor = "config:kb.dir"

func putArticles(ctx context.Context, db *storage.DB, articles []kb.Article, author string) error {
	now := time.Now()
	for _, a := range articles {
		if _, _, err := db.PutArticle(ctx, a, author, now); err != nil {
			return err
		}
	}
	return nil
}

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
