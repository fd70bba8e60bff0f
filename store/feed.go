package store

import (
	"context"
	"time"

	"github.com/dakenh/dakenh/model"
)

// FeedTx keeps the durable event feed (model.FeedEntry): the engine appends the events of each
// change in the change's own transaction, and hosts read them back with a cursor they keep.
//
// Positions increase in commit order: once ListFeed has returned an entry at position N, no entry
// at a position ≤ N appears later, in any workspace. A store that can only number entries after
// they commit (store/postgres) implements FeedSequencer; its entries become visible to ListFeed
// once sequenced.
type FeedTx interface {
	// AppendFeed records entries, in order, as part of the transaction; their Position fields are
	// ignored (the store numbers them). In a grouped update (GroupCommitter) it is a recorded
	// write: the entries are committed with the update's other writes or not at all.
	AppendFeed(entries []model.FeedEntry) error
	// ListFeed returns up to limit entries of the workspace with Position > after, in position
	// order (none when limit ≤ 0).
	ListFeed(workspaceID string, after int64, limit int) ([]model.FeedEntry, error)
	// PruneFeed removes up to limit entries older than before (At < before), oldest first, in
	// every workspace, and returns how many it removed. It walks the feed in the order it was
	// written (position order, or the insertion order positions follow) and stops at the first
	// entry that is not older (entries' times follow that order except for clock differences
	// between engines), so an old entry behind a newer one waits for a later prune.
	PruneFeed(before time.Time, limit int) (int, error)
	// DeleteConversationsFeed removes the workspace's entries that name one of the conversations
	// (for data-protection deletes). Absent entries are not an error.
	DeleteConversationsFeed(workspaceID string, conversationIDs []string) error
	// DeleteWorkspaceFeed removes every entry of the workspace.
	DeleteWorkspaceFeed(workspaceID string) error
}

// FeedSequencer is the Store capability of stores whose feed entries get their positions after
// they commit (store/postgres: concurrent transactions commit in another order than they insert).
// SequenceFeed numbers the entries committed so far; ListFeed returns only numbered ones. Readers
// call it before reading (Engine.Events does) and Engine.Run calls it periodically. It is safe to
// call from several processes at once.
type FeedSequencer interface {
	SequenceFeed(ctx context.Context) error
}
