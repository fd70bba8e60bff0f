package memory

import (
	"context"

	"github.com/dakenh/dakenh/store"
)

// ReadBatch implements store.BatchReader one read after the other: an in-memory store has no round
// trips to save.
func (t *txn) ReadBatch(ctx context.Context, reads ...store.Read) error {
	return store.ReadSequentially(ctx, t, reads)
}
