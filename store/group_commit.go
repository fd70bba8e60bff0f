package store

import "context"

// GroupCommitter is an optional Store capability for the webhook ingest. UpdateGrouped runs fn as
// Update does, except that the store may apply fn's writes after fn returns, together with the
// writes of concurrent UpdateGrouped calls, in one transaction of its database (store/postgres
// does: one round trip and one commit for a group of webhooks instead of several per webhook).
// Its contract differs from Update's in three ways:
//   - A write method may return nil before its write is applied. When a write then fails
//     (ErrDuplicate, ErrConflict, ErrNotFound), UpdateGrouped returns that error, as Update would
//     have, and none of fn's writes is applied. fn must not take a write's nil error as proof
//     that the write was applied, only as "no failure yet".
//   - fn's reads see fn's own earlier writes, but two reads of fn may see different commits of
//     other transactions (each read sees what was committed when it ran).
//   - nil from UpdateGrouped means that every write of fn was committed.
//
// The engine runs each inbound event's transaction through it when the Store has it; its writes
// are guarded by unique keys and versions, so a group never applies a write computed from a stale
// read.
type GroupCommitter interface {
	UpdateGrouped(ctx context.Context, fn func(tx Tx) error) error
}
