package main

import (
	"net"
	"net/http"
	"strings"
	"time"
)

// ServerTimeouts bound what a slow or stalled client can hold: a connection that stops after its
// headers, or keeps an idle keep-alive connection, is closed instead of holding a descriptor.
type ServerTimeouts struct {
	// Header is the time to read a request's headers (http.Server.ReadHeaderTimeout). Default 10 s.
	Header time.Duration
	// Body is the time to read a request's body, from the end of its headers, on every route
	// but the event stream (which has no body and must stay open). Default 60 s: a 10 MiB upload
	// at 1.4 Mbit/s.
	Body time.Duration
	// Write is the time to write an answer on every route but the event stream. Default 60 s.
	Write time.Duration
	// Idle closes a keep-alive connection without a request for that long. Default 60 s.
	Idle time.Duration
	// MaxHeaderBytes caps a request's headers. Default 64 KiB.
	MaxHeaderBytes int
}

// withDefaults fills the zero fields.
func (t ServerTimeouts) withDefaults() ServerTimeouts {
	if t.Header <= 0 {
		t.Header = 10 * time.Second
	}
	if t.Body <= 0 {
		t.Body = 60 * time.Second
	}
	if t.Write <= 0 {
		t.Write = 60 * time.Second
	}
	if t.Idle <= 0 {
		t.Idle = 60 * time.Second
	}
	if t.MaxHeaderBytes <= 0 {
		t.MaxHeaderBytes = 64 << 10
	}
	return t
}

// newHTTPServer returns the server of the app: header, idle and header-size limits for every
// connection, and per-route read and write deadlines (bodyDeadlines).
func newHTTPServer(h http.Handler, t ServerTimeouts, connState func(net.Conn, http.ConnState)) *http.Server {
	t = t.withDefaults()
	return &http.Server{
		Handler:           bodyDeadlines(h, t),
		ReadHeaderTimeout: t.Header,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    t.MaxHeaderBytes,
		ConnState:         connState,
	}
}

// streaming reports whether r is a long-lived event stream, which needs no read or write deadline.
func streaming(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.TrimSuffix(r.URL.Path, "/") == apiPrefix+"/events"
}

// bodyDeadlines sets, per request, a read deadline for the body and a write deadline for the
// answer (http.ResponseController), except on the event stream. http.Server's ReadTimeout and
// WriteTimeout would cut the event stream too.
func bodyDeadlines(next http.Handler, t ServerTimeouts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if streaming(r) {
			// A keep-alive connection may carry the deadlines of its previous request: clear them.
			_ = rc.SetReadDeadline(time.Time{})
			_ = rc.SetWriteDeadline(time.Time{})
		} else {
			now := time.Now()
			_ = rc.SetReadDeadline(now.Add(t.Body))
			_ = rc.SetWriteDeadline(now.Add(t.Write))
		}
		next.ServeHTTP(w, r)
	})
}
