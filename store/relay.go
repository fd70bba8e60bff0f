package store

import (
	"context"
	"time"

	"github.com/dakenh/dakenh/model"
)

// EventRef identifies an event without its snapshot: what crosses process boundaries when several
// engine processes share one store. Receivers re-read the records it names.
type EventRef struct {
	Kind           model.EventKind
	WorkspaceID    string
	ConversationID string
	MessageID      string
	ConnectionID   string
	ContactID      string
	UserID         string
	RecordID       string
	At             time.Time
}

// EventRelay carries events between engine processes that share a store. With it, a subscriber of
// any engine sees the events committed by every engine. An engine uses its Config.Relay, by default
// its Store when the Store implements EventRelay (store/postgres does, with LISTEN/NOTIFY).
//
// The engine calls RelayEvents after each commit that produced events (best effort: a failure is
// logged, the commit stands) and, while Engine.Run runs, ListenEvents; for every ref it receives it
// re-reads the conversation and message and publishes the event to its own subscribers.
type EventRelay interface {
	// RelayEvents hands the refs of events committed by this process to the other processes sharing
	// the store.
	RelayEvents(ctx context.Context, refs []EventRef) error
	// ListenEvents calls fn, from one goroutine, for the refs relayed through other Store values over
	// the same database (never those relayed through this one), at least once each, until ctx ends;
	// it then returns ctx.Err(). Refs relayed while no listener ran may be lost.
	ListenEvents(ctx context.Context, fn func(EventRef)) error
}
