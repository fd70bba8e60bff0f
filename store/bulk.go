package store

import (
	"context"

	"github.com/dakenh/dakenh/model"
)

// Bulk is a batch of records imported as they are, without the engine's ingest rules: no routing,
// no events, no jobs. It serves seeding (benchmarks, demos) and imports from another system.
//
// Records must be complete and consistent the way the engine would have written them: every
// identity's contact, every conversation's contact, identity and connection, and every message's
// conversation exist in the store or earlier in the same Bulk (contacts before identities before
// conversations before messages before read states); Conversation.LastSeq, InboundCount and the
// LastMessage fields agree with the conversation's messages; ids and timestamps are set.
type Bulk struct {
	Contacts      []*model.Contact
	Identities    []*model.Identity
	Conversations []*model.Conversation
	Messages      []*model.Message
	ReadStates    []*model.ReadState
}

// BulkLoader is an optional Store capability: importing a Bulk much faster than one Tx call per
// record (COPY, prepared multi-row inserts, deferred index maintenance).
//
// BulkLoad stores all of b or, on error, may have stored a prefix of it (callers import in chunks
// and restart from the failed chunk; records are keyed by id, so a chunk that was stored is reported
// as ErrDuplicate when loaded again). Everything the store derives from the records (search
// indexes, unread counters) is up to date when BulkLoad returns. The store must not be used by an
// engine for other writes while BulkLoad runs on the same workspace.
type BulkLoader interface {
	BulkLoad(ctx context.Context, b *Bulk) error
}
