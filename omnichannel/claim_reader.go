package omnichannel

import (
	"context"
	"fmt"
)

// ClaimSnapshot is what Engine.Claim checks before it assigns a conversation. A pointer is nil when
// its row does not exist (Connection is also nil when the conversation does not exist).
type ClaimSnapshot struct {
	User         *User
	Conversation *Conversation
	// Connection is what the Authorizer sees; a reader may leave its Credentials empty (a claim
	// never uses the provider's secrets).
	Connection *Connection
	// RuleFound reports that the conversation has a rule and the rule exists; InRule that the user
	// is one of the rule's users (false without a rule).
	RuleFound, InRule bool
}

// ClaimReader is an optional capability of a Tx: ReadForClaim reads, within the transaction, the
// user userID, the conversation conversationID, the conversation's connection and the
// conversation's rule, all of workspaceID, at once (one round trip on a networked store) instead of
// four reads. Rows that do not exist are nil fields, not errors; an error is a failure of the store.
// Engine.Claim uses it when the store's Tx has it and reads the rows one by one otherwise.
type ClaimReader interface {
	ReadForClaim(workspaceID, userID, conversationID string) (*ClaimSnapshot, error)
}

// loadForClaim is loadForAction for ActionClaim, plus whether the conversation's rule (if it has
// one that exists) leaves the user out. It reads through the Tx's ClaimReader when there is one.
func (e *Engine) loadForClaim(ctx context.Context, tx Tx, workspaceID, conversationID, userID string) (conv *Conversation, u *User, notInRule bool, err error) {
	r, ok := claimReaderOf(tx)
	if !ok {
		conv, _, u, err := e.loadForAction(ctx, tx, workspaceID, conversationID, userID, ActionClaim)
		if err != nil || conv.RuleID == "" {
			return conv, u, false, err
		}
		rule, err := tx.GetRule(workspaceID, conv.RuleID)
		if err != nil && !isNotFound(err) {
			return nil, nil, false, err
		}
		return conv, u, rule != nil && !contains(rule.UserIDs, userID), nil
	}
	s, err := r.ReadForClaim(workspaceID, userID, conversationID)
	if err != nil {
		return nil, nil, false, err
	}
	// The same errors, in the same order, as loadForAction.
	if s.User == nil {
		return nil, nil, false, &ForbiddenError{Action: ActionClaim, UserID: userID, Code: DenyUnknownUser, Reason: "unknown user in this workspace"}
	}
	if s.Conversation == nil {
		return nil, nil, false, fmt.Errorf("conversation %s: %w", conversationID, ErrNotFound)
	}
	if s.Connection == nil {
		return nil, nil, false, fmt.Errorf("connection %s: %w", s.Conversation.ConnectionID, ErrNotFound)
	}
	if err := e.cfg.Authorizer.Authorize(ctx, s.User, ActionClaim, s.Conversation, s.Connection); err != nil {
		return nil, nil, false, err
	}
	return s.Conversation, s.User, s.Conversation.RuleID != "" && s.RuleFound && !s.InRule, nil
}

// claimReaderOf returns tx's ClaimReader, looking through the engine's own Tx wrapper.
func claimReaderOf(tx Tx) (ClaimReader, bool) {
	if w, ok := tx.(connWatchTx); ok {
		tx = w.Tx
	}
	r, ok := tx.(ClaimReader)
	return r, ok
}
