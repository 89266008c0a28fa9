package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/control"
	"github.com/firstline-desk/firstline/metrics"
)

// runDesk runs the service desk until the console's input ends or the process is told to stop.
func (m *Main) runDesk(ctx context.Context, args []string) error {
	fs := m.flagSet("run")
	fs.Var(&m.web, "web", "the web console's address (\"\": off)")
	if rest, err := parseFlags(fs, args, false); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError("run takes no arguments, got %q", rest)
	}
	cfg, err := m.config()
	if err != nil {
		return err
	}
	// The data file is opened first: what is wrong with it (in use, damaged, on a read-only disk) is what
	// the user is told. On PostgreSQL the data folder holds only the control socket (and the console's
	// log), and the database is opened once there is a log for its migrations.
	var db *store
	if !cfg.postgresOn() {
		if db, err = m.openStore(ctx, cfg, nil); err != nil {
			return err
		}
		defer db.Close()
	} else if err := os.MkdirAll(m.dataDir, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}

	// With a chat platform the desk is a server and logs go to stderr; the console demo keeps them in a
	// file so they do not interleave with the chat.
	server := cfg.Slack.Enabled || cfg.Discord.Enabled
	logger, closeLog, err := m.logger(cfg, !server)
	if err != nil {
		return err
	}
	defer closeLog()
	if db == nil {
		if db, err = m.openStore(ctx, cfg, logger); err != nil {
			return err
		}
		defer db.Close()
	}
	logger.Info("store open", "driver", cfg.Storage.Driver, "store", db.where())
	// The desk holds the data file's lock: backup and check reach it through the control socket. On
	// PostgreSQL the socket serves the web console's requests; the reads open the database themselves.
	m.webSlot = &control.WebSlot{}
	if db.file != nil {
		defer control.Start(ctx, db.file, logger, control.WithWeb(m.webSlot))()
	} else {
		defer control.StartShared(ctx, control.Path(m.dataFile()), db, logger, control.WithWeb(m.webSlot))()
	}
	m.retention = cfg.Retention

	index, err := m.loadKB(ctx, cfg, db, logger)
	if err != nil {
		return err
	}
	// Metrics exist when something can read them: the HTTP listener of a server, or of a desk that
	// receives alerts.
	var mx *metrics.Metrics
	if (server || cfg.alertsOn()) && cfg.HTTP.Listen != "" {
		mx = metrics.New(metrics.Config{Store: db}, logger)
	}
	dm, err := m.setupModel(cfg, db, index, mx, logger)
	if err != nil {
		return err
	}
	desk := cfg.Bot()
	if desk.Actions, err = cfg.actionDefs(logger); err != nil {
		return err
	}
	engine, err := bot.New(desk, db.engineStore(), dm.library, m.clock(), logger)
	if err != nil {
		return err
	}
	engine.SetReporter(deskReporter{db: db, cfg: cfg})
	m.parts.library, m.parts.model = dm.library, dm.client
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
	var notices []string
	if index.Len() == 0 {
		notices = append(notices, emptyKBNotice)
	}
	fronts, err := m.newFronts(cfg, db, notices, logger)
	if err != nil {
		return err
	}
	return m.serve(ctx, cfg, engine, db, mx, fronts, logger)
}

// serve runs the desk's chat fronts until ctx ends (Ctrl-C, SIGTERM), a platform fails for good (a refused
// token, a disallowed intent) or the console's input ends. It is the one run path of the console demo
// and of the server: one engine serves every front, so a ticket opened on one platform can be worked from
// a tier channel on another. With a platform and http.listen set, an HTTP listener serves /healthz and
// /metrics whatever the platforms, and Slack's request URL in its HTTP mode. Housekeeping (the
// dispatcher, the SLA loop, pruning) starts once every front is ready to take posts.
func (m *Main) serve(ctx context.Context, cfg Config, engine *bot.Engine, db *store, mx *metrics.Metrics, fronts []*front, logger *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &runner{ctx: ctx, end: make(chan error, 1)}
	defer r.wg.Wait()
	defer cancel()

	server := cfg.Slack.Enabled || cfg.Discord.Enabled
	if (server || cfg.alertsOn()) && cfg.HTTP.Listen != "" {
		// The listener starts before Slack's token is checked, so /healthz answers while the desk waits
		// for the network; Slack's request URL holds its requests until then (pendingHandler).
		if err := m.listen(r, cfg, engine, db, mx, fronts, logger); err != nil {
			return err
		}
	}
	if err := m.startWeb(r, cfg, engine, db, fronts, logger); err != nil {
		return err
	}
	var ready []<-chan struct{}
	for _, f := range fronts {
		rd, err := f.start(r, engine)
		if err != nil {
			return err
		}
		ready = append(ready, rd)
	}
	r.Go(func(ctx context.Context) error {
		for _, rd := range ready {
			select {
			case <-rd:
			case <-ctx.Done():
				return nil
			}
		}
		m.housekeeping(ctx, engine, db, logger)
		return nil
	})
	if server {
		fmt.Fprintln(m.Stdout, "Stop with Ctrl-C.")
	}
	select {
	case <-ctx.Done():
		logger.Info("stopping")
		return nil
	case err := <-r.end:
		return err
	}
}

// runner runs the desk's goroutines and learns of the first that ends the desk.
type runner struct {
	ctx context.Context
	wg  sync.WaitGroup
	end chan error // the first end; buffered, one
}

// Go runs fn with the desk's context; the desk waits for it to return before it stops. An error from fn
// ends the desk.
func (r *runner) Go(fn func(ctx context.Context) error) {
	r.wg.Go(func() {
		if err := fn(r.ctx); err != nil {
			r.stop(err)
		}
	})
}

// Detach runs fn with the desk's context without the desk waiting for it: the console may be blocked
// reading a terminal when the desk is told to stop, and the data is already committed. fn's return,
// nil included, ends the desk.
func (r *runner) Detach(fn func(ctx context.Context) error) {
	go func() { r.stop(fn(r.ctx)) }()
}

func (r *runner) stop(err error) {
	select {
	case r.end <- err:
	default: // the desk is already ending
	}
}
