package inboxapi

import (
	"errors"

	"github.com/dakenh/dakenh/omnichannel"
)

// ReadStatesReader is an optional capability of a store's Tx that the event stream uses: when a
// conversation's event reaches the streams of a workspace, the unread count of every streaming
// viewer is needed at once, and ReadStatesOf reads their read positions in one round trip instead
// of one GetReadState per viewer (1,000 round trips for 1,000 streams on a networked store).
// Without it the stream falls back to GetReadState per viewer, with the same result.
type ReadStatesReader interface {
	// ReadStatesOf returns, within the transaction, the read states of conversationID in
	// workspaceID held by the users in userIDs, in no particular order. A user who never read the
	// conversation has no entry and is not an error; rows of another workspace, conversation or
	// user are never returned.
	ReadStatesOf(workspaceID, conversationID string, userIDs []string) ([]*omnichannel.ReadState, error)
}

// readStatesOf returns the users' positions (the conversation's InboundCount at their last read)
// in the conversation, 0 for a user who never read it, through tx's ReadStatesReader when it has
// one.
func readStatesOf(tx omnichannel.Tx, workspaceID, conversationID string, users []string) (map[string]int64, error) {
	out := make(map[string]int64, len(users))
	for _, id := range users {
		out[id] = 0
	}
	if r, ok := tx.(ReadStatesReader); ok {
		states, err := r.ReadStatesOf(workspaceID, conversationID, users)
		if err != nil {
			return nil, err
		}
		for _, rs := range states {
			if _, asked := out[rs.UserID]; asked && rs.WorkspaceID == workspaceID && rs.ConversationID == conversationID {
				out[rs.UserID] = rs.InboundCount
			}
		}
		return out, nil
	}
	for _, id := range users {
		rs, err := tx.GetReadState(workspaceID, id, conversationID)
		switch {
		case errors.Is(err, omnichannel.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			out[id] = rs.InboundCount
		}
	}
	return out, nil
}
