package omnichannel

import "github.com/dakenh/dakenh/store"

// The store contract lives in package store (with the domain types in package model), so that
// stores and their conformance suite never import the engine; omnichannel re-exports its main
// names. Their documentation is in package store.
type (
	Store          = store.Store
	Tx             = store.Tx
	RoutingTx      = store.RoutingTx
	GroupCommitter = store.GroupCommitter
	Bulk           = store.Bulk
	BulkLoader     = store.BulkLoader
	EventRef       = store.EventRef
	EventRelay     = store.EventRelay
	FeedTx         = store.FeedTx
	FeedSequencer  = store.FeedSequencer
	WebhookTx      = store.WebhookTx
)
