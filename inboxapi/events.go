package inboxapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// events streams the engine events u may see as Server-Sent Events until the client goes away.
func (h *handler) events(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	ctx := r.Context()
	// The user must be a member before anything streams.
	if err := h.readWorkspace(ctx, u, func(omnichannel.Tx) error { return nil }); err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a server WriteTimeout must not cut a live stream
	sub := h.eng.Subscribe(ctx, omnichannel.SubscribeOptions{WorkspaceID: u.WorkspaceID, Buffer: h.eventBuffer})
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, "retry: 3000\n: connected\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		h.log.Warn("inboxapi: the response writer cannot stream events", "err", err)
		return nil
	}
	tick := time.NewTicker(h.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if sub.Lagged() {
				if writeSSE(w, "resync", []byte("{}")) != nil {
					return nil
				}
			} else if _, err := io.WriteString(w, ": heartbeat\n\n"); err != nil {
				return nil
			}
		case ev, ok := <-sub.C:
			if !ok {
				return nil
			}
			if sub.Lagged() {
				// Events were dropped: the client reloads its state, which covers this one too.
				if writeSSE(w, "resync", []byte("{}")) != nil {
					return nil
				}
			} else if data, send := h.eventFor(ctx, u, ev); send {
				if writeSSE(w, string(ev.Kind), data) != nil {
					return nil
				}
			}
		}
		if rc.Flush() != nil {
			return nil
		}
	}
}

// writeSSE writes one event; data is a single line of JSON.
func writeSSE(w io.Writer, event string, data []byte) error {
	_, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
	return err
}

// eventFor decides whether u may see ev and returns its wire data. Read-state events go only to the
// reader; conversation and message events to users who may view the conversation (the Authorizer
// and the list's scope, omnichannel.Engine.CanView); connection events to users who see the
// connection in GET /connections.
func (h *handler) eventFor(ctx context.Context, u *omnichannel.User, ev omnichannel.Event) ([]byte, bool) {
	if ev.WorkspaceID != u.WorkspaceID {
		return nil, false
	}
	out := Event{Kind: string(ev.Kind), ConversationID: ev.ConversationID, MessageID: ev.MessageID, ConnectionID: ev.ConnectionID}
	switch {
	case ev.Kind == omnichannel.EventReadUpdated:
		if ev.UserID != u.ID {
			return nil, false
		}
	case ev.ConversationID != "":
		if h.eng.CanView(ctx, u.WorkspaceID, u.ID, ev.ConversationID) != nil {
			return nil, false
		}
	case ev.Kind == omnichannel.EventConnectionUpdated:
		conns, err := h.eng.Connections(ctx, u.WorkspaceID, u.ID)
		if err != nil {
			return nil, false
		}
		seen := false
		for _, c := range conns {
			seen = seen || c.ID == ev.ConnectionID
		}
		if !seen {
			return nil, false
		}
	default:
		return nil, false
	}
	if ev.Conversation != nil {
		c, err := h.conversationFor(ctx, u, ev.Conversation)
		if err != nil {
			return nil, false
		}
		out.Conversation = &c
	}
	if ev.Message != nil {
		m, err := h.messageFor(ctx, u, ev.Message)
		if err != nil {
			return nil, false
		}
		out.Message = &m
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, false
	}
	return data, true
}
