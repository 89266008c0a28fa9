package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/firstline-desk/firstline/adapters/alerts"
	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/internal/health"
	"github.com/firstline-desk/firstline/metrics"
)

// listen starts the desk's HTTP listener at http.listen on r: /healthz (the data file and each front's
// connection), /metrics, and the routes the fronts take (Slack's request URL in its HTTP mode). It
// returns once the listener listens; the listener stops when r's context ends.
func (m *Main) listen(r *runner, cfg Config, engine *bot.Engine, db *store, mx *metrics.Metrics, fronts []*front, logger *slog.Logger) error {
	hz := health.New(db, time.Now)
	if mx == nil {
		mx = metrics.New(metrics.Config{Store: db}, logger)
	}
	mux := http.NewServeMux()
	for _, f := range fronts {
		if f.conn != nil {
			hz.Watch(f.platform, f.conn)
			if err := mx.WatchConnection(f.platform, f.conn); err != nil {
				return err
			}
		}
		if f.route != "" {
			mux.Handle(f.route, f.handler)
		}
	}
	alerting, err := m.mountAlerts(mux, cfg, engine, logger)
	if err != nil {
		return err
	}
	engine.SetObserver(mx)
	mux.Handle("GET /healthz", hz)
	mux.Handle("GET /metrics", mx.Handler())
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http listener %s: %w", cfg.HTTP.Listen, err)
	}
	limits := defaultHTTPLimits
	if m.httpLimits != nil {
		limits = *m.httpLimits
	}
	srv, ln := newHTTPServer(mux, ln, limits)
	r.Go(func(context.Context) error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http listener %s: %w", cfg.HTTP.Listen, err)
		}
		return nil
	})
	r.Go(func(ctx context.Context) error {
		<-ctx.Done()
		shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = srv.Shutdown(shutdown)
		return nil
	})
	fmt.Fprintf(m.Stdout, "Health and metrics: http://%s/healthz and http://%s/metrics (keep them off the internet).\n", ln.Addr(), ln.Addr())
	if alerting {
		fmt.Fprintf(m.Stdout, "Alerts: Alertmanager posts to http://%s%s, other monitors to http://%s%s, with the bearer token of [alerts].\n",
			ln.Addr(), alerts.AlertmanagerPath, ln.Addr(), alerts.GenericPath)
	}
	return nil
}
