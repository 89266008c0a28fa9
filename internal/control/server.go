package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// Start listens on the data file's control socket and serves requests until the returned function is
// called; that function stops a request in progress, waits for it, and removes the socket. Failing to
// listen (a path too long for a socket, a file in the way) is logged, not fatal: the desk works without
// it, and backup and check then need it stopped.
func Start(ctx context.Context, db *storage.DB, logger *slog.Logger, opts ...Option) (stop func()) {
	path := Path(db.Path())
	logger = logger.With("component", "control", "socket", path)
	return start(ctx, path, db, db, logger, opts)
}

// StartShared is Start for a desk on a store it does not hold alone (PostgreSQL, which replicas share
// and the read commands open themselves): the socket at path serves the reads and the web console's
// requests; backup and check are refused with what to use instead. There is no lock to say the socket
// is this process's to take: one that answers is another replica's (the same -data twice), and it is
// left alone.
func StartShared(ctx context.Context, path string, src Source, logger *slog.Logger, opts ...Option) (stop func()) {
	logger = logger.With("component", "control", "socket", path)
	if err := Ping(ctx, path); err == nil {
		logger.Warn("another Firstline answers on this control socket: give each replica its own -data folder; this one has no control socket")
		return func() {}
	}
	return start(ctx, path, src, nil, logger, opts)
}

// start serves the socket at path; file is the data file (backup, check), nil for a shared store.
func start(ctx context.Context, path string, src Source, file *storage.DB, logger *slog.Logger, opts []Option) (stop func()) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	o.file = file
	ln, made, err := listen(path, logger)
	if err != nil {
		logger.Warn("no control socket: backup and check will need Firstline stopped", "err", err)
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.AcceptUnix()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				logger.Warn("accept", "err", err)
				select { // a transient failure (too many open files): do not spin
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			serve(ctx, conn, src, o, logger)
		}
	}()
	return func() {
		cancel()
		ln.Close()
		<-done
		// Remove the socket only if it is still ours (it always should be: this process holds the lock).
		if now, err := os.Lstat(path); err == nil && os.SameFile(made, now) {
			os.Remove(path)
		}
	}
}

// listen creates the socket at path. It binds in a directory of its own (os.MkdirTemp beside path: a
// random name, mode 0700, so no one else can put or swap anything in it), sets mode 0600, then renames
// the socket into place, so the socket never appears at path with wider permissions and the chmod can
// only reach the socket this process made. A socket already at path is left by a process that crashed:
// this process holds the data file's lock, so no other process can be serving this file, and the stale
// socket is replaced.
func listen(path string, logger *slog.Logger) (*net.UnixListener, os.FileInfo, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, nil, fmt.Errorf("%s exists and is not a socket: move it away so Firstline can listen there", path)
		}
		logger.Info("replacing a stale control socket")
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".sock-*") // no longer than path: a socket path has ~100 bytes
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir) // empty once the socket is renamed out of it
	tmp := filepath.Join(dir, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, nil, err
	}
	ln.SetUnlinkOnClose(false) // the socket is renamed; stop removes it by its final name
	fail := func(err error) (*net.UnixListener, os.FileInfo, error) {
		ln.Close()
		return nil, nil, err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return fail(err)
	}
	return ln, fi, nil
}

// serve answers one request.
func serve(ctx context.Context, conn *net.UnixConn, db Source, o options, logger *slog.Logger) {
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(Timeout))
	line, err := bufio.NewReader(io.LimitReader(conn, 64<<10)).ReadBytes('\n')
	if err != nil {
		logger.Warn("read request", "err", err)
		return
	}
	var req Request
	var resp Response
	if err := json.Unmarshal(line, &req); err != nil {
		resp.Error = "the request is not a JSON object on one line"
	} else {
		resp = handle(ctx, req, db, o, logger)
	}
	if err := json.NewEncoder(&chunkWriter{conn: conn}).Encode(resp); err != nil {
		logger.Warn("write answer", "op", req.Op, "err", err)
	}
}

// chunkWriter writes to conn in chunks, each with Timeout to go: an answer of every ticket of a large
// desk takes longer than Timeout to send whole, yet a client that stops reading still loses the socket
// within Timeout.
type chunkWriter struct{ conn *net.UnixConn }

// writeChunk is how much of an answer one deadline covers.
const writeChunk = 256 << 10

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := p[:min(len(p), writeChunk)]
		w.conn.SetWriteDeadline(time.Now().Add(Timeout))
		m, err := w.conn.Write(c)
		n += m
		if err != nil {
			return n, err
		}
		p = p[m:]
	}
	return n, nil
}

func handle(ctx context.Context, req Request, db Source, o options, logger *slog.Logger) Response {
	fail := func(err error) Response {
		if ctx.Err() != nil {
			return Response{Error: "Firstline is stopping; try again once it runs"}
		}
		code := ""
		if be := (*bot.Error)(nil); errors.As(err, &be) {
			code = be.Code
		}
		if code != bot.ENOTFOUND {
			logger.Warn(req.Op+" failed", "err", err)
		}
		return Response{Error: message(err), Code: code}
	}
	read := Local(db)
	start := time.Now()
	defer func() { logger.Debug("request", "op", req.Op, "took", time.Since(start).String()) }()
	switch req.Op {
	case "ping":
		return Response{OK: true}
	case "tickets":
		list, err := read.Tickets(ctx, bot.TicketFilter{Requester: req.Requester, Status: req.Status, Limit: req.Limit})
		if err != nil {
			return fail(err)
		}
		return Response{OK: true, Found: list}
	case "ticket":
		t, err := read.Ticket(ctx, req.ID)
		if err != nil {
			return fail(err)
		}
		return Response{OK: true, Ticket: &t}
	case "tickets_since":
		list, err := read.TicketsActiveOrUpdatedSince(ctx, req.Since)
		if err != nil {
			return fail(err)
		}
		return Response{OK: true, List: list}
	case "audit":
		entries, err := read.AuditEntries(ctx, req.Since, req.Limit)
		if err != nil {
			return fail(err)
		}
		return Response{OK: true, Audit: entries}
	case "articles":
		articles, err := read.Articles(ctx)
		if err != nil {
			return fail(err)
		}
		return Response{OK: true, Articles: articles}
	case "backup":
		if !filepath.IsAbs(req.Path) {
			return Response{Error: fmt.Sprintf("the backup path %q is not absolute", req.Path)}
		}
		if o.file == nil {
			return Response{Error: sharedStore("backup", "back the database up with pg_dump (docs/replicas.md)")}
		}
		info, err := o.file.Backup(ctx, req.Path)
		if err != nil {
			return fail(err)
		}
		logger.Info("backup written", "path", req.Path, "bytes", info.Size, "tickets", info.Tickets, "took", time.Since(start).String())
		return Response{OK: true, Size: info.Size, Tickets: info.Tickets, Schema: info.Schema}
	case "web_link", "web_signout":
		return handleWeb(ctx, req, o.web, fail)
	case "check":
		if o.file == nil {
			return Response{Error: sharedStore("check", "run firstline check with the desk's config: it checks the database itself")}
		}
		r, err := o.file.CheckAll(ctx)
		if err != nil {
			return fail(err)
		}
		logger.Info("check", "tickets", r.Tickets, "problems", len(r.Problems)+r.Omitted, "took", time.Since(start).String())
		return Response{OK: true, Tickets: r.Tickets, Schema: r.Schema, Problems: r.Problems, Omitted: r.Omitted}
	}
	return Response{Error: fmt.Sprintf("unknown request %q (this Firstline knows ping, backup, check, tickets, ticket, tickets_since, audit, articles, web_link and web_signout)", req.Op)}
}

// sharedStore is what a desk on PostgreSQL answers a request of the data file alone.
func sharedStore(op, instead string) string {
	return fmt.Sprintf("this desk keeps its records in PostgreSQL, not in a data file, so it has no %s to do: %s", op, instead)
}

// message is the sentence a user sees for err: a domain error's message, else the error.
func message(err error) string {
	var be *bot.Error
	if errors.As(err, &be) {
		return be.Message
	}
	return err.Error()
}
