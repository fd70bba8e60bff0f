package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func readStateTests() []test {
	return []test{
		{"RoundTrip", testReadStateRoundTrip},
		{"KeyedByUserAndConversation", testReadStateKeys},
	}
}

func getReadState(t *testing.T, s store.Store, ws, user, conv string) (*model.ReadState, error) {
	t.Helper()
	return readErr(t, s, func(tx store.Tx) (*model.ReadState, error) {
		return tx.GetReadState(ws, user, conv)
	})
}

func testReadStateRoundTrip(t *testing.T, s store.Store) {
	insertConversations(t, s, fullConversation(ws1, "conv-1"))
	_, err := getReadState(t, s, ws1, "u-1", "conv-1")
	require.ErrorIs(t, err, model.ErrNotFound)

	r := fullReadState(ws1, "u-1", "conv-1", 3)
	update(t, s, func(tx store.Tx) error { return tx.PutReadState(r) })
	got, err := getReadState(t, s, ws1, "u-1", "conv-1")
	require.NoError(t, err)
	same(t, r, got)

	got.InboundCount = 99 // the returned value is a copy
	r2 := fullReadState(ws1, "u-1", "conv-1", 4)
	r2.ReadAt = at(2 * time.Hour)
	update(t, s, func(tx store.Tx) error { return tx.PutReadState(r2) })
	got, err = getReadState(t, s, ws1, "u-1", "conv-1")
	require.NoError(t, err)
	same(t, r2, got, "PutReadState replaces")
}

func testReadStateKeys(t *testing.T, s store.Store) {
	insertConversations(t, s, fullConversation(ws1, "conv-1"), fullConversation(ws1, "conv-2"))
	a := fullReadState(ws1, "u-1", "conv-1", 1)
	b := fullReadState(ws1, "u-2", "conv-1", 2)
	c := fullReadState(ws1, "u-1", "conv-2", 3)
	update(t, s, func(tx store.Tx) error {
		for _, r := range []*model.ReadState{a, b, c} {
			if err := tx.PutReadState(r); err != nil {
				return err
			}
		}
		return nil
	})
	for _, want := range []*model.ReadState{a, b, c} {
		got, err := getReadState(t, s, ws1, want.UserID, want.ConversationID)
		require.NoError(t, err)
		same(t, want, got)
	}
	_, err := getReadState(t, s, ws1, "u-2", "conv-2")
	assert.ErrorIs(t, err, model.ErrNotFound)
	_, err = getReadState(t, s, ws2, "u-1", "conv-1")
	assert.ErrorIs(t, err, model.ErrNotFound)
}
