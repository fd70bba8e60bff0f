package sqlite

import (
	"context"

	"github.com/dakenh/dakenh/omnichannel"
)

var _ omnichannel.GroupCommitter = (*Store)(nil)

// UpdateGrouped implements omnichannel.GroupCommitter as Update: the single writer already commits
// the transactions queued while it worked in one SQLite transaction (group commit), each in a
// savepoint of its own, so a grouped update needs nothing more.
func (s *Store) UpdateGrouped(ctx context.Context, fn func(tx omnichannel.Tx) error) error {
	return s.Update(ctx, fn)
}
