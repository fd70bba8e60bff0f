package omnichannel

import (
	"context"
	"errors"
	"time"
)

// NoRelay, as Config.Relay, turns relaying off even when the Store is an EventRelay: each engine's
// subscribers then see the events of its own process only.
var NoRelay EventRelay = noRelay{}

type noRelay struct{}

func (noRelay) RelayEvents(context.Context, []EventRef) error { return nil }

func (noRelay) ListenEvents(ctx context.Context, _ func(EventRef)) error {
	<-ctx.Done()
	return ctx.Err()
}

// refOf is the cross-process form of ev.
func refOf(ev Event) EventRef {
	return EventRef{Kind: ev.Kind, WorkspaceID: ev.WorkspaceID, ConversationID: ev.ConversationID,
		MessageID: ev.MessageID, ConnectionID: ev.ConnectionID, ContactID: ev.ContactID, UserID: ev.UserID, RecordID: ev.RecordID, At: ev.At}
}

// relay passes the committed events to the other processes when the store can.
func (e *Engine) relay(ctx context.Context, evs []Event) {
	r := e.cfg.Relay
	if r == nil || len(evs) == 0 {
		return
	}
	refs := make([]EventRef, len(evs))
	for i, ev := range evs {
		refs[i] = refOf(ev)
	}
	// The caller's context may end right after the commit; the relay is part of the commit's effects.
	if err := r.RelayEvents(context.WithoutCancel(ctx), refs); err != nil {
		e.log.Warn("dakenh: relaying events to other processes failed", "events", len(refs), "err", err)
	}
}

// listenRelay publishes the events of other processes to this engine's subscribers until ctx ends.
func (e *Engine) listenRelay(ctx context.Context) {
	r := e.cfg.Relay
	if r == nil {
		return
	}
	for ctx.Err() == nil {
		err := r.ListenEvents(ctx, func(ref EventRef) {
			if ev, ok := e.rehydrate(ctx, ref); ok {
				e.bus.publish([]Event{ev})
			}
		})
		if ctx.Err() != nil {
			return
		}
		e.log.Warn("dakenh: listening for other processes' events failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// rehydrate turns a ref into an event with fresh snapshots. A record that no longer exists drops
// the event, except for the deletion events, which carry no snapshot.
func (e *Engine) rehydrate(ctx context.Context, ref EventRef) (Event, bool) {
	ev := Event{Kind: ref.Kind, WorkspaceID: ref.WorkspaceID, ConversationID: ref.ConversationID,
		MessageID: ref.MessageID, ConnectionID: ref.ConnectionID, ContactID: ref.ContactID, UserID: ref.UserID, RecordID: ref.RecordID, At: ref.At}
	if ref.Kind.Deletion() {
		return ev, true
	}
	err := e.view(ctx, func(tx Tx) error {
		if ref.ConversationID != "" {
			c, err := tx.GetConversation(ref.WorkspaceID, ref.ConversationID)
			if err != nil {
				return err
			}
			ev.Conversation = c
		}
		if ref.MessageID != "" {
			m, err := tx.GetMessage(ref.WorkspaceID, ref.MessageID)
			if err != nil {
				return err
			}
			ev.Message = m
		}
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrNotFound) && ctx.Err() == nil {
			e.log.Warn("dakenh: re-reading a relayed event failed", "kind", string(ref.Kind), "err", err)
		}
		return Event{}, false
	}
	return ev, true
}
