package main

// What one client can hold of the desk's HTTP listener (/healthz, /metrics, Slack's request URL) and how
// much it can send: the listener is reachable before any request's signature is checked, so a client
// that dribbles a byte a second, or opens connections and sends nothing, must lose them, not keep them.

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// httpLimits bound a client of the HTTP listener.
type httpLimits struct {
	// ReadHeader is how long a request's headers may take to arrive; Read the whole request, body
	// included; Write the handling and the answer (Slack's request URL answers within its 3 s, a scrape
	// of /metrics in well under a second); Idle how long a kept-alive connection may wait for the next one.
	ReadHeader, Read, Write, Idle time.Duration
	// MaxHeaderBytes and MaxBody bound what a request may send: Slack's payloads are a few kB.
	MaxHeaderBytes int
	MaxBody        int64
	// MaxConns is how many connections are served at once; more wait to be accepted.
	MaxConns int
}

// defaultHTTPLimits are the listener's.
var defaultHTTPLimits = httpLimits{
	ReadHeader:     5 * time.Second,
	Read:           10 * time.Second,
	Write:          30 * time.Second,
	Idle:           30 * time.Second,
	MaxHeaderBytes: 64 << 10,
	MaxBody:        1 << 20,
	MaxConns:       256,
}

// newHTTPServer returns the server for h with its limits, and the listener to serve it on (ln, accepting
// at most l.MaxConns connections at once). A body past MaxBody fails its read, and its connection is
// closed after the answer.
func newHTTPServer(h http.Handler, ln net.Listener, l httpLimits) (*http.Server, net.Listener) {
	srv := &http.Server{
		Handler:           http.MaxBytesHandler(h, l.MaxBody),
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
	return srv, &limitListener{Listener: ln, slots: make(chan struct{}, l.MaxConns), closed: make(chan struct{})}
}

// limitListener accepts a connection only while fewer than cap(slots) are open.
type limitListener struct {
	net.Listener
	slots     chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: sync.OnceFunc(func() { <-l.slots })}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// limitConn gives its slot back when it is closed.
type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
