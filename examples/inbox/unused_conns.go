package main

import (
	"net"
	"net/http"
	"sync"
)

// unusedConns tracks the server's connections that have not sent a request yet: a browser's
// speculative preconnect, or a client whose request was cancelled after it dialled. net/http's
// Shutdown counts such a connection as busy for its first 5 seconds, so without closing them a
// Ctrl-C could wait that long for nothing.
type unusedConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// track is the server's ConnState hook: a connection is unused from StateNew until its first
// request (StateActive) or until it closes.
func (u *unusedConns) track(c net.Conn, state http.ConnState) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if state == http.StateNew {
		if u.conns == nil {
			u.conns = make(map[net.Conn]struct{})
		}
		u.conns[c] = struct{}{}
		return
	}
	delete(u.conns, c)
}

// closeAll closes every connection that has not sent a request. Call it once the listener is
// closed and Serve has returned, so that no new connection can appear.
func (u *unusedConns) closeAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for c := range u.conns {
		c.Close()
		delete(u.conns, c)
	}
}
