package inboxapi

import (
	"context"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store"
)

// readStatesOf returns the users' positions (the conversation's InboundCount at their last read)
// in the conversation, 0 for a user who never read it, read in one batch (one round trip on a
// networked store, however many users stream).
func readStatesOf(ctx context.Context, tx omnichannel.Tx, workspaceID, conversationID string, users []string) (map[string]int64, error) {
	r := &store.ReadPositionsRead{WorkspaceID: workspaceID, UserIDs: users, ConversationIDs: []string{conversationID}}
	if err := tx.ReadBatch(ctx, r); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(users))
	for _, id := range users {
		out[id] = r.Positions[store.ReadPosition{UserID: id, ConversationID: conversationID}]
	}
	return out, nil
}
