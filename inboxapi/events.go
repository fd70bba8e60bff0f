package inboxapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// events streams the engine events u may see as Server-Sent Events until the client goes away.
func (h *handler) events(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	ctx := r.Context()
	// The user must be a member before anything streams.
	if err := h.readWorkspace(ctx, u, func(*omnichannel.WorkspaceReader) error { return nil }); err != nil {
		return err
	}
	select {
	case <-h.closing:
		h.tel.refused(ctx, "shutting_down")
		w.Header().Set("Retry-After", "3")
		writeJSON(w, http.StatusServiceUnavailable, ErrorResponse{Error: ErrorDetail{Code: "shutting_down",
			Message: "the server is shutting down; reconnect"}})
		return nil
	default:
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a server WriteTimeout must not cut a live stream
	fd := h.fan.join(h.eng, u.WorkspaceID, u.ID)
	if fd == nil {
		h.tel.refused(ctx, "too_many_streams")
		w.Header().Set("Retry-After", "30")
		writeJSON(w, http.StatusTooManyRequests, ErrorResponse{Error: ErrorDetail{Code: "too_many_streams",
			Message: "too many open event streams: close another tab or device"}})
		return nil
	}
	defer h.fan.leave(fd, u.ID)
	h.tel.clients.Add(ctx, 1)
	defer h.tel.clients.Add(context.WithoutCancel(ctx), -1)
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
		case <-h.closing:
			return nil
		case <-tick.C:
			if sub.Lagged() {
				fd.forgetReads()
				if writeSSE(w, "resync", []byte("{}")) != nil {
					return nil
				}
			} else if _, err := io.WriteString(w, ": heartbeat\n\n"); err != nil {
				return nil
			}
		case ev, ok := <-sub.C:
			// The events of one commit arrive together: write those queued, then flush once.
			for n := 0; ; n++ {
				if !ok || !h.writeEvent(ctx, w, fd, sub, u, ev) {
					return nil
				}
				if n == maxEventsPerFlush || len(sub.C) == 0 {
					break
				}
				ev, ok = <-sub.C
			}
		}
		if rc.Flush() != nil {
			return nil
		}
	}
}

// maxEventsPerFlush bounds how many queued events a stream writes before it flushes.
const maxEventsPerFlush = 32

// writeEvent writes ev when u may see it, or a resync when events were dropped before it; false
// when the client is gone.
func (h *handler) writeEvent(ctx context.Context, w io.Writer, fd *feed, sub *omnichannel.Subscription, u *omnichannel.User, ev omnichannel.Event) bool {
	if endsStream(ev, u) {
		return false
	}
	if sub.Lagged() {
		// Events were dropped (a read.updated among them, maybe: the feed forgets read positions):
		// the client reloads its state, which covers this one too.
		fd.forgetReads()
		return writeSSE(w, "resync", []byte("{}")) == nil
	}
	if frame, send := h.eventFor(ctx, fd, u, ev); send {
		_, err := w.Write(frame)
		return err == nil
	}
	return true
}

// writeSSE writes one event; data is a single line of JSON.
func writeSSE(w io.Writer, event string, data []byte) error {
	_, err := w.Write(appendSSE(nil, event, data))
	return err
}

// deletedFrame is the frame of a conversation.deleted event, sent to every stream of the
// workspace: who could see the conversation can no longer be decided (it is gone), and the frame
// carries its id only, for the interfaces that show it to drop it.
func deletedFrame(ev omnichannel.Event) ([]byte, bool) {
	data, err := json.Marshal(Event{Kind: string(ev.Kind), ConversationID: ev.ConversationID})
	if err != nil {
		return nil, false
	}
	return appendSSE(nil, string(ev.Kind), data), true
}

// appendSSE appends the SSE frame of one event to b; data is a single line of JSON.
func appendSSE(b []byte, event string, data []byte) []byte {
	b = append(b, "event: "...)
	b = append(b, event...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// eventFor decides whether u may see ev and returns its SSE frame (shared by the streams: the
// caller must not modify it). Read-state events go only to the reader; conversation and message
// events to users who may view the conversation (the Authorizer and the list's scope, as
// omnichannel.Engine.CanView); connection events to users who see the connection in GET
// /connections. The store work is shared by the workspace's streams (see feed): the decision
// itself is made in memory with omnichannel.Engine.Visible.
func (h *handler) eventFor(ctx context.Context, fd *feed, u *omnichannel.User, ev omnichannel.Event) ([]byte, bool) {
	if ev.WorkspaceID != u.WorkspaceID || fd.ws != u.WorkspaceID {
		return nil, false
	}
	if ev.Kind == omnichannel.EventConversationDeleted {
		return deletedFrame(ev)
	}
	p := fd.prepare(ctx, h, ev)
	if !p.ok {
		return nil, false
	}
	switch {
	case ev.Kind == omnichannel.EventReadUpdated:
		if ev.UserID != u.ID {
			return nil, false
		}
	case ev.ConversationID != "" || ev.Kind == omnichannel.EventConnectionUpdated:
		viewer, err := fd.user(ctx, u.ID)
		if err != nil || viewer == nil || h.eng.Visible(ctx, viewer, p.conv, p.conn) != nil {
			return nil, false
		}
	default:
		return nil, false
	}
	unread := int64(0)
	if ev.Conversation != nil && p.out.Conversation != nil {
		var err error
		if unread, err = fd.unread(ctx, u.ID, ev.Conversation); err != nil {
			return nil, false
		}
	}
	frame, err := p.frame(unread)
	if err != nil {
		return nil, false
	}
	return frame, true
}

// endsStream reports whether ev takes u's right to stream away: her workspace was suspended or
// deleted, or she was deactivated or removed. The stream then ends; the client's reconnection is
// refused.
func endsStream(ev omnichannel.Event, u *omnichannel.User) bool {
	switch ev.Kind {
	case omnichannel.EventWorkspaceSuspended, omnichannel.EventWorkspaceDeleted:
		return ev.WorkspaceID == u.WorkspaceID
	case omnichannel.EventUserDeactivated, omnichannel.EventUserRemoved:
		return ev.WorkspaceID == u.WorkspaceID && ev.UserID == u.ID
	}
	return false
}
