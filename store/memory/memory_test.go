package memory_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/memory"
	"github.com/dakenh/dakenh/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) omnichannel.Store {
		s := memory.New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestConformanceShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (a, b omnichannel.Store) {
		s := memory.New()
		t.Cleanup(func() { s.Close() })
		return s, s
	})
}

func TestViewIsReadOnly(t *testing.T) {
	s := memory.New()
	err := s.View(context.Background(), func(tx omnichannel.Tx) error {
		return tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: "u"})
	})
	require.ErrorIs(t, err, memory.ErrReadOnly)
	err = s.View(context.Background(), func(tx omnichannel.Tx) error {
		_, err := tx.NextRotation("ws", "k")
		return err
	})
	require.ErrorIs(t, err, memory.ErrReadOnly)
}

func TestTxUnusableAfterReturn(t *testing.T) {
	s := memory.New()
	var leaked omnichannel.Tx
	require.NoError(t, s.Update(context.Background(), func(tx omnichannel.Tx) error {
		leaked = tx
		return nil
	}))
	_, err := leaked.GetUser("ws", "u")
	require.ErrorIs(t, err, memory.ErrTxDone)
	require.ErrorIs(t, leaked.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: "u"}), memory.ErrTxDone)
}

func TestPanicRollsBack(t *testing.T) {
	s := memory.New()
	assert.Panics(t, func() {
		_ = s.Update(context.Background(), func(tx omnichannel.Tx) error {
			if err := tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: "u"}); err != nil {
				return err
			}
			panic("boom")
		})
	})
	err := s.View(context.Background(), func(tx omnichannel.Tx) error {
		_, err := tx.GetUser("ws", "u")
		return err
	})
	require.ErrorIs(t, err, omnichannel.ErrNotFound, "the write before the panic was undone and the lock released")
}

func TestClosedAndCanceled(t *testing.T) {
	s := memory.New()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := s.Update(ctx, func(omnichannel.Tx) error { ran = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, ran)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	err = s.View(context.Background(), func(omnichannel.Tx) error { return errors.New("must not run") })
	require.ErrorIs(t, err, memory.ErrClosed)
	err = s.Update(context.Background(), func(omnichannel.Tx) error { return errors.New("must not run") })
	require.ErrorIs(t, err, memory.ErrClosed)
}

func TestPageSizeCap(t *testing.T) {
	s := memory.New()
	require.NoError(t, s.Update(context.Background(), func(tx omnichannel.Tx) error {
		for i := range memory.MaxPageSize + 10 {
			c := &omnichannel.Conversation{WorkspaceID: "ws", ID: fmt.Sprintf("c%03d", i),
				ConnectionID: "conn", IdentityID: fmt.Sprintf("i%03d", i)}
			if err := tx.InsertConversation(c); err != nil {
				return err
			}
		}
		return nil
	}))
	var n int
	require.NoError(t, s.View(context.Background(), func(tx omnichannel.Tx) error {
		list, err := tx.ListConversations(omnichannel.ConversationQuery{WorkspaceID: "ws", Limit: 10000})
		n = len(list)
		return err
	}))
	assert.Equal(t, memory.MaxPageSize, n)
}
