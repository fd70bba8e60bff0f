package postgres

import "github.com/dakenh/dakenh/omnichannel"

// ReadStatesOf returns the read states of conversationID in workspaceID held by the users in
// userIDs, in one query (the primary key's range of the conversation), in no particular order; a
// user without a read state has no entry. It implements inboxapi.ReadStatesReader, which the agent
// API's event streams use to load every streaming viewer's position in a conversation at once.
func (t *txn) ReadStatesOf(workspaceID, conversationID string, userIDs []string) ([]*omnichannel.ReadState, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if len(userIDs) == 0 {
		return nil, nil
	}
	return list(t, "get read states of a conversation", `SELECT `+readStateColumns+` FROM read_states
		WHERE workspace_id = $1 AND conversation_id = $2 AND user_id = ANY($3)`,
		scanReadState, workspaceID, conversationID, userIDs)
}
