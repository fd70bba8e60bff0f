package memory

import (
	"context"

	"github.com/dakenh/dakenh/omnichannel"
)

var _ omnichannel.GroupCommitter = (*Store)(nil)

// UpdateGrouped implements omnichannel.GroupCommitter as Update: a memory transaction has no
// commit cost to share, so each one is applied on its own, its writes when they are called.
func (s *Store) UpdateGrouped(ctx context.Context, fn func(tx omnichannel.Tx) error) error {
	return s.Update(ctx, fn)
}
