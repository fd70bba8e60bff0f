package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/store"
)

// readsOwnWritesTests check that a batch of reads sees the writes made earlier in the same
// transaction (Update, and UpdateGrouped on a store that is a GroupCommitter, whose reads may run
// outside the transaction): the engine reads a rule's users, a redelivery check and read
// positions in batches after writing.
func readsOwnWritesTests() []test {
	return []test{
		{"Update", func(t *testing.T, s store.Store) { testReadBatchSeesOwnWrites(t, s, s.Update) }},
		{"UpdateGrouped", func(t *testing.T, s store.Store) { testReadBatchSeesOwnWrites(t, s, grouped(t, s)) }},
	}
}

func testReadBatchSeesOwnWrites(t *testing.T, s store.Store, run func(context.Context, func(store.Tx) error) error) {
	c := fullConversation(ws1, "c-own")
	insertConversations(t, s, c)
	m := fullMessage(c, "m-own", 1)
	m.ProviderMessageID = "pm-own"
	require.NoError(t, run(t.Context(), func(tx store.Tx) error {
		if err := tx.PutUser(fullUser(ws1, "u-own")); err != nil {
			return err
		}
		if err := tx.PutReadState(fullReadState(ws1, "u-own", c.ID, 2)); err != nil {
			return err
		}
		if err := tx.InsertMessage(m); err != nil {
			return err
		}
		user := &store.UserRead{WorkspaceID: ws1, UserID: "u-own"}
		users := &store.UsersRead{WorkspaceID: ws1, UserIDs: []string{"u-own"}}
		known := &store.ProviderMessageRead{WorkspaceID: ws1, ConnectionID: c.ConnectionID, ProviderMessageID: "pm-own"}
		pos := &store.ReadPositionsRead{WorkspaceID: ws1, UserIDs: []string{"u-own"}, ConversationIDs: []string{c.ID}}
		if err := tx.ReadBatch(t.Context(), user, users, known, pos); err != nil {
			return err
		}
		assert.NotNil(t, user.User, "the user put in this transaction")
		assert.Len(t, users.Users, 1, "the user put in this transaction")
		assert.True(t, known.Exists, "the message inserted in this transaction")
		assert.Equal(t, map[store.ReadPosition]int64{{UserID: "u-own", ConversationID: c.ID}: 2}, pos.Positions,
			"the read state put in this transaction")
		return nil
	}))
	require.NoError(t, s.View(t.Context(), func(tx store.Tx) error {
		_, err := tx.FindMessageByProviderID(ws1, c.ConnectionID, "pm-own")
		return err
	}), "and the writes were committed")
}
