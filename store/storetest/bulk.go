package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// bulkTests check store.BulkLoader on a store that has it: what a Bulk holds is readable through
// every single read and index the engine uses, the store keeps its own copy, and a chunk loaded
// again (a restarted import) or repeating a key inside itself is refused with ErrDuplicate without
// changing what the first load stored.
func bulkTests() []test {
	return []test{
		{"Readable", testBulkReadable},
		{"Duplicates", testBulkDuplicates},
	}
}

// bulkLoader returns s's BulkLoader, or skips the test for a store without one.
func bulkLoader(t *testing.T, s store.Store) store.BulkLoader {
	t.Helper()
	bl, ok := s.(store.BulkLoader)
	if !ok {
		t.Skip("the store is not a store.BulkLoader")
	}
	return bl
}

// bulkOf returns a consistent Bulk of one conversation with n inbound messages and a read state of
// the first one.
func bulkOf(ws, id string, n int) *store.Bulk {
	when := t0
	b := &store.Bulk{
		Contacts: []*model.Contact{{WorkspaceID: ws, ID: "ct-" + id, Name: "Lê Thu " + id, CreatedAt: when, UpdatedAt: when}},
		Identities: []*model.Identity{{WorkspaceID: ws, ID: "id-" + id, ContactID: "ct-" + id, ConnectionID: "conn",
			ChannelKind: "zalo", ExternalUserID: "u-" + id, CreatedAt: when, UpdatedAt: when}},
	}
	c := &model.Conversation{WorkspaceID: ws, ID: "cv-" + id, ConnectionID: "conn", ChannelKind: "zalo",
		ContactID: "ct-" + id, IdentityID: "id-" + id, ContactName: "Lê Thu " + id, Status: model.StatusOpen,
		CreatedAt: when, Version: 1}
	for seq := 1; seq <= n; seq++ {
		when = when.Add(time.Minute)
		suffix := id + "-" + string(rune('a'+seq))
		b.Messages = append(b.Messages, &model.Message{WorkspaceID: ws, ID: "m-" + suffix,
			ConversationID: c.ID, ConnectionID: "conn", Seq: int64(seq), Direction: model.DirectionIn,
			Type: model.MessageText, Text: "chào shop", Status: model.MessageReceived,
			ProviderMessageID: "pm-" + suffix, CreatedAt: when, UpdatedAt: when})
	}
	c.InboundCount, c.LastSeq, c.LastMessageAt, c.LastInboundAt, c.UpdatedAt = int64(n), int64(n), when, when, when
	b.Conversations = []*model.Conversation{c}
	b.ReadStates = []*model.ReadState{{WorkspaceID: ws, UserID: "agent", ConversationID: c.ID, InboundCount: 1,
		Seq: 1, ReadAt: when}}
	return b
}

// putBulkConnection stores the connection the Bulks of bulkOf refer to.
func putBulkConnection(t *testing.T, s store.Store) {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.PutConnection(fullConnection(ws1, "conn")) })
}

func testBulkReadable(t *testing.T, s store.Store) {
	bl := bulkLoader(t, s)
	putBulkConnection(t, s)
	b := bulkOf(ws1, "1", 3)
	require.NoError(t, bl.BulkLoad(t.Context(), b))
	b.Conversations[0].ContactName = "changed after the load" // the store keeps its own copy

	require.NoError(t, s.View(t.Context(), func(tx store.Tx) error {
		conv, err := tx.FindConversation(ws1, "conn", "id-1")
		require.NoError(t, err)
		assert.Equal(t, "Lê Thu 1", conv.ContactName)
		ident, err := tx.FindIdentity(ws1, "conn", "u-1")
		require.NoError(t, err)
		assert.Equal(t, "ct-1", ident.ContactID)
		m, err := tx.FindMessageByProviderID(ws1, "conn", "pm-1-c")
		require.NoError(t, err)
		assert.EqualValues(t, 2, m.Seq)
		list, err := tx.ListMessages(ws1, "cv-1", 0, 50)
		require.NoError(t, err)
		assert.Len(t, list, 3)
		page, err := tx.ListConversations(model.ConversationQuery{WorkspaceID: ws1, Search: "le thu"})
		require.NoError(t, err)
		require.Len(t, page, 1, "the search index knows the loaded name")
		n, err := tx.CountUnread(model.ConversationQuery{WorkspaceID: ws1, ViewerID: "agent"})
		require.NoError(t, err)
		assert.Equal(t, 1, n, "2 of 3 inbound messages are unread: the counters know the loaded rows")
		return nil
	}))
}

func testBulkDuplicates(t *testing.T, s store.Store) {
	bl := bulkLoader(t, s)
	putBulkConnection(t, s)
	require.NoError(t, bl.BulkLoad(t.Context(), bulkOf(ws1, "1", 2)))

	// The same chunk again, as a restarted import would load it: refused, the first load kept.
	again := bulkOf(ws1, "1", 2)
	again.Conversations[0].ContactName = "second load"
	require.ErrorIs(t, bl.BulkLoad(t.Context(), again), model.ErrDuplicate)

	// A new chunk that repeats a provider message id inside itself: refused.
	twice := bulkOf(ws1, "2", 2)
	twice.Messages[1].ProviderMessageID = twice.Messages[0].ProviderMessageID
	require.ErrorIs(t, bl.BulkLoad(t.Context(), twice), model.ErrDuplicate)

	require.NoError(t, s.View(t.Context(), func(tx store.Tx) error {
		conv, err := tx.GetConversation(ws1, "cv-1")
		require.NoError(t, err)
		assert.Equal(t, "Lê Thu 1", conv.ContactName)
		return nil
	}))
}
