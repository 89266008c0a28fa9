package main

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/firstline-desk/firstline/internal/health"
)

// healthTimeout bounds the health command: a container's health check has its own timeout, and a desk
// that takes longer than this to answer is not healthy.
const healthTimeout = 5 * time.Second

// health asks the running desk's /healthz and exits 0 when it is up ("ok", or "degraded" while a platform
// reconnects), 1 when it is down or does not answer. It is the container's HEALTHCHECK: a distroless
// image has no curl.
func (m *Main) health(ctx context.Context, args []string) error {
	fs := m.flagSet("health")
	url := fs.String("url", "", "the desk's health `URL`; none is /healthz at the config's http.listen, on this host")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("health takes no arguments, got %q", rest)
	}
	if *url == "" {
		cfg, err := m.offlineConfig()
		if err != nil {
			return err
		}
		if cfg.HTTP.Listen == "" {
			return usageError("health needs -url, or a config with [http] listen")
		}
		*url = "http://" + localAddr(cfg.HTTP.Listen) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	rep, code, err := health.Probe(ctx, *url)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	var notes []string
	if !rep.Store.Writable {
		notes = append(notes, "the data file takes no writes: "+rep.Store.Error)
	}
	var names []string
	for name := range rep.Adapters {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a := rep.Adapters[name]
		if a.Connected {
			notes = append(notes, name+" connected")
		} else {
			notes = append(notes, fmt.Sprintf("%s disconnected since %s", name, a.Since.Format(time.RFC3339)))
		}
	}
	line := "Firstline is " + rep.Status
	if len(notes) > 0 {
		line += ": " + strings.Join(notes, "; ")
	}
	if rep.Status == "down" || code != 200 {
		return &exitError{code: 1, msg: line}
	}
	fmt.Fprintln(m.Stdout, line)
	return nil
}

// localAddr is where this host reaches a listener at addr: its host, or the loopback when it listens on
// every address (":8080", "0.0.0.0:8080", "[::]:8080").
func localAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
