package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// TestRotationOutsideTransaction: a transaction that took a round-robin position does not hold the
// counter until it ends (another transaction takes the next position meanwhile), and a position
// taken by a transaction that rolls back is skipped, not handed out again.
func TestRotationOutsideTransaction(t *testing.T) {
	st := openStore(t, newSchema(t))
	ctx := context.Background()
	next := func(tx omnichannel.Tx) int64 {
		n, err := tx.NextRotation("w", "rule")
		require.NoError(t, err)
		return n
	}
	held := make(chan struct{})
	release := make(chan struct{})
	rollback := errors.New("rolled back on purpose")
	done := make(chan error, 1)
	go func() {
		done <- st.Update(ctx, func(tx omnichannel.Tx) error {
			assert.Equal(t, int64(0), next(tx))
			close(held)
			<-release
			return rollback
		})
	}()
	<-held
	got := make(chan int64, 1)
	go func() {
		_ = st.Update(ctx, func(tx omnichannel.Tx) error { got <- next(tx); return nil })
	}()
	select {
	case n := <-got:
		assert.Equal(t, int64(1), n, "the next position, while the first holder is still open")
	case <-time.After(5 * time.Second):
		t.Fatal("a second transaction waited for the first one's position")
	}
	close(release)
	require.ErrorIs(t, <-done, rollback)
	var n int64
	require.NoError(t, st.Update(ctx, func(tx omnichannel.Tx) error { n = next(tx); return nil }))
	assert.Equal(t, int64(2), n, "the rolled-back transaction's position 0 is not handed out again")
}
