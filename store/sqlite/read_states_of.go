package sqlite

import "github.com/dakenh/dakenh/omnichannel"

// ReadStatesOf returns the read states of conversationID in workspaceID held by the users in
// userIDs, in no particular order; a user without a read state has no entry. It reads the
// conversation's read states in one query (index read_states_conversation) and keeps those of
// userIDs. It implements inboxapi.ReadStatesReader, which the agent API's event streams use to
// load every streaming viewer's position in a conversation at once.
func (t *txn) ReadStatesOf(workspaceID, conversationID string, userIDs []string) ([]*omnichannel.ReadState, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if len(userIDs) == 0 {
		return nil, nil
	}
	all, err := getAll(t, scanReadState, "read states of a conversation",
		`SELECT `+readStateColumns+` FROM read_states WHERE workspace_id = ? AND conversation_id = ?`,
		workspaceID, conversationID)
	if err != nil {
		return nil, err
	}
	wanted := make(map[string]bool, len(userIDs))
	for _, id := range userIDs {
		wanted[id] = true
	}
	out := all[:0]
	for _, rs := range all {
		if wanted[rs.UserID] {
			out = append(out, rs)
		}
	}
	return out, nil
}
