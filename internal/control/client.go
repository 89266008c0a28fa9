package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"syscall"
)

// ErrNotRunning says no desk answers on the socket: none runs, or one crashed and left its socket.
var ErrNotRunning = errors.New("no Firstline answers on the control socket")

// Error is a request the running desk refused or failed; Message is a sentence for the user.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

// Call sends req to the desk listening at path and returns its answer. It returns ErrNotRunning when
// nothing listens there, and an *Error when the desk answered with an error.
func Call(ctx context.Context, path string, req Request) (Response, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		// ENOENT: no socket; ECONNREFUSED: a stale one; EINVAL: a path too long to be one (the desk
		// could not listen there either).
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EINVAL) {
			return Response{}, ErrNotRunning
		}
		return Response{}, fmt.Errorf("connect to the running Firstline at %s: %w", path, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return Response{}, fmt.Errorf("send the request to the running Firstline: %w", err)
	}
	var resp Response
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		if ctx.Err() != nil {
			return Response{}, ctx.Err()
		}
		return Response{}, fmt.Errorf("the running Firstline did not answer (is it stopping?): %w", err)
	}
	if !resp.OK {
		return resp, &Error{Message: resp.Error}
	}
	return resp, nil
}
