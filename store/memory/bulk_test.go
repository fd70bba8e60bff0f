package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/memory"
)

// bulkOf returns a consistent Bulk of one conversation with n inbound messages and a read state
// (storetest's BulkLoad group checks what a load stores; this file checks the memory store's
// refusals after Close or a cancellation).
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

func TestBulkLoadAfterCloseOrCancel(t *testing.T) {
	s := memory.New()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.BulkLoad(ctx, bulkOf("ws", "1", 1)), context.Canceled)
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.BulkLoad(context.Background(), bulkOf("ws", "1", 1)), memory.ErrClosed)
}
