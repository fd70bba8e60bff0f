package keylock

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLockWaitsForTheHolder checks that a second Lock of a key waits (calling idle first) until the
// holder unlocks it, that other keys do not wait, and that a canceled wait holds nothing.
func TestLockWaitsForTheHolder(t *testing.T) {
	var l Locks
	ctx := context.Background()
	require.NoError(t, l.Lock(ctx, "a", nil))
	require.NoError(t, l.Lock(ctx, "b", func() { t.Error("another key waited") }))

	idled := make(chan struct{}, 1)
	got := make(chan error, 1)
	go func() { got <- l.Lock(ctx, "a", func() { idled <- struct{}{} }) }()
	<-idled
	select {
	case err := <-got:
		t.Fatalf("the second Lock returned %v while the key was held", err)
	default:
	}
	l.Unlock("a")
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the second Lock never got the released key")
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, l.Lock(canceled, "a", nil), context.Canceled)
	l.Unlock("a", "b", "never held")
	require.NoError(t, l.Lock(ctx, "a", func() { t.Error("a released key waited") }))
}
