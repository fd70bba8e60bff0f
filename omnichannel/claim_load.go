package omnichannel

import (
	"context"
	"fmt"

	"github.com/dakenh/dakenh/store"
)

// loadForClaim is loadForAction for ActionClaim, plus whether the conversation's rule (if it has
// one that exists) leaves the user out. It reads the user and the conversation with its connection
// and rule in one batch (one round trip on a networked store).
func (e *Engine) loadForClaim(ctx context.Context, tx Tx, workspaceID, conversationID, userID string) (conv *Conversation, u *User, notInRule bool, err error) {
	user := &store.UserRead{WorkspaceID: workspaceID, UserID: userID}
	cc := &store.ConversationContextRead{WorkspaceID: workspaceID, ConversationID: conversationID}
	if err := tx.ReadBatch(ctx, user, cc); err != nil {
		return nil, nil, false, err
	}
	// The same errors, in the same order, as loadForAction.
	if user.User == nil {
		return nil, nil, false, &ForbiddenError{Action: ActionClaim, UserID: userID, Code: DenyUnknownUser, Reason: "unknown user in this workspace"}
	}
	if cc.Conversation == nil {
		return nil, nil, false, fmt.Errorf("conversation %s: %w", conversationID, ErrNotFound)
	}
	if cc.Connection == nil {
		return nil, nil, false, fmt.Errorf("connection %s: %w", cc.Conversation.ConnectionID, ErrNotFound)
	}
	if err := e.cfg.Authorizer.Authorize(ctx, user.User, ActionClaim, cc.Conversation, cc.Connection); err != nil {
		return nil, nil, false, err
	}
	if err := checkNotSuspended(tx, workspaceID, ActionClaim, userID); err != nil {
		return nil, nil, false, err
	}
	return cc.Conversation, user.User, cc.Rule != nil && !contains(cc.Rule.UserIDs, userID), nil
}
