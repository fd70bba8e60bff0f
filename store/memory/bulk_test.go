package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/memory"
)

// bulkOf returns a consistent Bulk of one conversation with n inbound messages and a read state.
func bulkOf(ws, id string, n int) *omnichannel.Bulk {
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	b := &omnichannel.Bulk{
		Contacts:   []*omnichannel.Contact{{WorkspaceID: ws, ID: "ct-" + id, Name: "Lê Thu " + id, CreatedAt: at, UpdatedAt: at}},
		Identities: []*omnichannel.Identity{{WorkspaceID: ws, ID: "id-" + id, ContactID: "ct-" + id, ConnectionID: "conn", ChannelKind: "zalo", ExternalUserID: "u-" + id, CreatedAt: at, UpdatedAt: at}},
	}
	c := &omnichannel.Conversation{WorkspaceID: ws, ID: "cv-" + id, ConnectionID: "conn", ChannelKind: "zalo",
		ContactID: "ct-" + id, IdentityID: "id-" + id, ContactName: "Lê Thu " + id, Status: omnichannel.StatusOpen,
		CreatedAt: at, Version: 1}
	for seq := 1; seq <= n; seq++ {
		at = at.Add(time.Minute)
		b.Messages = append(b.Messages, &omnichannel.Message{WorkspaceID: ws, ID: "m-" + id + "-" + string(rune('a'+seq)),
			ConversationID: c.ID, ConnectionID: "conn", Seq: int64(seq), Direction: omnichannel.DirectionIn,
			Type: omnichannel.MessageText, Text: "chào shop", Status: omnichannel.MessageReceived,
			ProviderMessageID: "pm-" + id + "-" + string(rune('a'+seq)), CreatedAt: at, UpdatedAt: at})
	}
	c.InboundCount, c.LastSeq, c.LastMessageAt, c.LastInboundAt, c.UpdatedAt = int64(n), int64(n), at, at, at
	b.Conversations = []*omnichannel.Conversation{c}
	b.ReadStates = []*omnichannel.ReadState{{WorkspaceID: ws, UserID: "agent", ConversationID: c.ID, InboundCount: 1, Seq: 1, ReadAt: at}}
	return b
}

func TestBulkLoadIsReadableThroughEveryIndex(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()
	b := bulkOf("ws", "1", 3)
	require.NoError(t, s.BulkLoad(ctx, b))
	b.Conversations[0].ContactName = "changed after the load" // the store keeps its own copy

	require.NoError(t, s.View(ctx, func(tx omnichannel.Tx) error {
		conv, err := tx.FindConversation("ws", "conn", "id-1")
		require.NoError(t, err)
		assert.Equal(t, "Lê Thu 1", conv.ContactName)
		ident, err := tx.FindIdentity("ws", "conn", "u-1")
		require.NoError(t, err)
		assert.Equal(t, "ct-1", ident.ContactID)
		m, err := tx.FindMessageByProviderID("ws", "conn", "pm-1-c")
		require.NoError(t, err)
		assert.EqualValues(t, 2, m.Seq)
		list, err := tx.ListMessages("ws", "cv-1", 0, 50)
		require.NoError(t, err)
		assert.Len(t, list, 3)
		n, err := tx.CountUnread(omnichannel.ConversationQuery{WorkspaceID: "ws", ViewerID: "agent"})
		require.NoError(t, err)
		assert.Equal(t, 1, n, "2 of 3 inbound messages are unread")
		return nil
	}))
}

func TestBulkLoadRefusesDuplicatesAndStoresNothing(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()
	require.NoError(t, s.BulkLoad(ctx, bulkOf("ws", "1", 2)))

	// Loading the same chunk again, as a restarted import would: refused, nothing of it stored.
	again := bulkOf("ws", "1", 2)
	again.Conversations[0].ContactName = "second load"
	require.ErrorIs(t, s.BulkLoad(ctx, again), omnichannel.ErrDuplicate)

	// A new chunk that repeats a provider message id inside itself: refused as a whole.
	twice := bulkOf("ws", "2", 2)
	twice.Messages[1].ProviderMessageID = twice.Messages[0].ProviderMessageID
	require.ErrorIs(t, s.BulkLoad(ctx, twice), omnichannel.ErrDuplicate)

	require.NoError(t, s.View(ctx, func(tx omnichannel.Tx) error {
		conv, err := tx.GetConversation("ws", "cv-1")
		require.NoError(t, err)
		assert.Equal(t, "Lê Thu 1", conv.ContactName)
		_, err = tx.GetConversation("ws", "cv-2")
		assert.ErrorIs(t, err, omnichannel.ErrNotFound)
		_, err = tx.GetContact("ws", "ct-2")
		assert.ErrorIs(t, err, omnichannel.ErrNotFound)
		return nil
	}))
}

func TestBulkLoadAfterCloseOrCancel(t *testing.T) {
	s := memory.New()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.BulkLoad(ctx, bulkOf("ws", "1", 1)), context.Canceled)
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.BulkLoad(context.Background(), bulkOf("ws", "1", 1)), memory.ErrClosed)
}
