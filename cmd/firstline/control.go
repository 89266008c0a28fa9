package main

// The control socket is how a command reaches the running desk. The desk holds bbolt's exclusive lock on
// the data file, so no other process can open the file while it runs; "firstline backup" and "firstline
// check" ask the desk instead, over a Unix socket next to the file (DATA/firstline.db.sock, mode 0600, so
// only the desk's own user, and root, can connect).
//
// Protocol: one request per connection. The client writes one JSON object on one line, the desk answers
// with one JSON object on one line and closes the connection:
//
//	{"op":"backup","path":"/abs/path/backup.db"}  ->  {"ok":true,"size":65536,"tickets":42,"schema":4}
//	{"op":"check"}                                ->  {"ok":true,"tickets":42,"schema":4,"problems":["..."],"omitted":0}
//	anything that fails                           ->  {"ok":false,"error":"a sentence for the user"}
//
// The desk serves one request at a time; a request must arrive within controlTimeout of connecting. A
// backup is written by the desk (one read transaction, Tx.WriteTo, into a temporary file renamed into
// place); the client then verifies the file itself. A check runs bbolt's page check and the invariants
// (storage.DB.CheckAll).

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
	"syscall"
	"time"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage"
)

// controlTimeout bounds reading a request and writing an answer, so a client that stalls cannot keep the
// socket from others. The work in between has no limit: a backup of a large file takes what it takes.
const controlTimeout = 10 * time.Second

// controlRequest is what a command asks of the running desk.
type controlRequest struct {
	Op   string `json:"op"`             // "backup" or "check"
	Path string `json:"path,omitempty"` // backup: the absolute path to write
}

// controlResponse is the desk's answer.
type controlResponse struct {
	OK       bool     `json:"ok"`
	Error    string   `json:"error,omitempty"`
	Size     int64    `json:"size,omitempty"`
	Tickets  int      `json:"tickets"`
	Schema   int      `json:"schema,omitempty"`
	Problems []string `json:"problems,omitempty"`
	Omitted  int      `json:"omitted,omitempty"`
}

// controlPath is the socket of the data file at path.
func controlPath(dataFile string) string { return dataFile + ".sock" }

// startControl listens on the data file's control socket and serves requests until the returned function
// is called; that function stops a request in progress, waits for it, and removes the socket. Failing to
// listen (a path too long for a socket, a file in the way) is logged, not fatal: the desk works without
// it, and backup and check then need it stopped.
func (m *Main) startControl(ctx context.Context, db *storage.DB, logger *slog.Logger) (stop func()) {
	path := controlPath(db.Path())
	logger = logger.With("component", "control", "socket", path)
	ln, made, err := listenControl(path, logger)
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
			serveControl(ctx, conn, db, logger)
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

// listenControl creates the socket at path. It binds in a directory of its own (os.MkdirTemp beside
// path: a random name, mode 0700, so no one else can put or swap anything in it), sets mode 0600, then
// renames the socket into place, so the socket never appears at path with wider permissions and the chmod
// can only reach the socket this process made. A socket already at path is left by a process that
// crashed: this process holds the data file's lock, so no other process can be serving this file, and the
// stale socket is replaced.
func listenControl(path string, logger *slog.Logger) (*net.UnixListener, os.FileInfo, error) {
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

// serveControl answers one request.
func serveControl(ctx context.Context, conn *net.UnixConn, db *storage.DB, logger *slog.Logger) {
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(controlTimeout))
	line, err := bufio.NewReader(io.LimitReader(conn, 64<<10)).ReadBytes('\n')
	if err != nil {
		logger.Warn("read request", "err", err)
		return
	}
	var req controlRequest
	var resp controlResponse
	if err := json.Unmarshal(line, &req); err != nil {
		resp.Error = "the request is not a JSON object on one line"
	} else {
		resp = handleControl(ctx, req, db, logger)
	}
	conn.SetWriteDeadline(time.Now().Add(controlTimeout))
	if err := json.NewEncoder(conn).Encode(resp); err != nil {
		logger.Warn("write answer", "op", req.Op, "err", err)
	}
}

func handleControl(ctx context.Context, req controlRequest, db *storage.DB, logger *slog.Logger) controlResponse {
	fail := func(err error) controlResponse {
		if ctx.Err() != nil {
			return controlResponse{Error: "Firstline is stopping; try again once it runs"}
		}
		logger.Warn(req.Op+" failed", "err", err)
		return controlResponse{Error: userMessage(err)}
	}
	switch req.Op {
	case "backup":
		if !filepath.IsAbs(req.Path) {
			return controlResponse{Error: fmt.Sprintf("the backup path %q is not absolute", req.Path)}
		}
		start := time.Now()
		info, err := db.Backup(ctx, req.Path)
		if err != nil {
			return fail(err)
		}
		logger.Info("backup written", "path", req.Path, "bytes", info.Size, "tickets", info.Tickets, "took", time.Since(start).String())
		return controlResponse{OK: true, Size: info.Size, Tickets: info.Tickets, Schema: info.Schema}
	case "check":
		start := time.Now()
		r, err := db.CheckAll(ctx)
		if err != nil {
			return fail(err)
		}
		logger.Info("check", "tickets", r.Tickets, "problems", len(r.Problems)+r.Omitted, "took", time.Since(start).String())
		return controlResponse{OK: true, Tickets: r.Tickets, Schema: r.Schema, Problems: r.Problems, Omitted: r.Omitted}
	}
	return controlResponse{Error: fmt.Sprintf("unknown request %q (this Firstline knows backup and check)", req.Op)}
}

// userMessage is the sentence a user sees for err: a domain error's message, else the error.
func userMessage(err error) string {
	var be *bot.Error
	if errors.As(err, &be) {
		return be.Message
	}
	return err.Error()
}

// errNoControl says no desk answers on the socket: none runs, or one crashed and left its socket.
var errNoControl = errors.New("no Firstline answers on the control socket")

// controlError is a request the running desk refused or failed.
type controlError struct{ msg string }

func (e *controlError) Error() string { return e.msg }

// callControl sends req to the desk listening at path and returns its answer. It returns errNoControl
// when nothing listens there, and a *controlError when the desk answered with an error.
func callControl(ctx context.Context, path string, req controlRequest) (controlResponse, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		// ENOENT: no socket; ECONNREFUSED: a stale one; EINVAL: a path too long to be one (the desk
		// could not listen there either).
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EINVAL) {
			return controlResponse{}, errNoControl
		}
		return controlResponse{}, fmt.Errorf("connect to the running Firstline at %s: %w", path, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return controlResponse{}, fmt.Errorf("send the request to the running Firstline: %w", err)
	}
	var resp controlResponse
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		if ctx.Err() != nil {
			return controlResponse{}, ctx.Err()
		}
		return controlResponse{}, fmt.Errorf("the running Firstline did not answer (is it stopping?): %w", err)
	}
	if !resp.OK {
		return resp, &controlError{msg: resp.Error}
	}
	return resp, nil
}
