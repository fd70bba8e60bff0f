package sqlite

import (
	"context"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store"
)

// ReadBatch implements store.BatchReader. SQLite runs in the process, so there are no round trips
// to save: reads run one after the other, and the kinds that would otherwise be one statement per
// row (several users, several read positions) are one statement each.
func (t *txn) ReadBatch(ctx context.Context, reads ...store.Read) error {
	for _, r := range reads {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		switch r := r.(type) {
		case *store.UsersRead:
			r.Users, err = t.usersIn(r.WorkspaceID, r.UserIDs)
		case *store.ReadPositionsRead:
			r.Positions, err = t.readPositions(r.WorkspaceID, r.UserIDs, r.ConversationIDs)
		default:
			err = r.Sequential(ctx, t)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// usersIn reads the users of ids in one statement (the ids as a JSON list), in the order of ids.
func (t *txn) usersIn(workspaceID string, ids []string) ([]*omnichannel.User, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := jsonText(ids)
	if err != nil {
		return nil, err
	}
	found, err := getAll(t, scanUser, "users", `SELECT `+userColumns+` FROM users
		WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))`, workspaceID, list)
	if err != nil {
		return nil, err
	}
	return store.InIDOrder(found, ids), nil
}

// readPositions reads the read states of every (user, conversation) pair in one statement.
func (t *txn) readPositions(workspaceID string, userIDs, conversationIDs []string) (map[store.ReadPosition]int64, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	out := map[store.ReadPosition]int64{}
	if len(userIDs) == 0 || len(conversationIDs) == 0 {
		return out, nil
	}
	users, err := jsonText(userIDs)
	if err != nil {
		return nil, err
	}
	convs, err := jsonText(conversationIDs)
	if err != nil {
		return nil, err
	}
	states, err := getAll(t, scanReadState, "read positions", `SELECT `+readStateColumns+` FROM read_states
		WHERE workspace_id = ? AND conversation_id IN (SELECT value FROM json_each(?))
		AND user_id IN (SELECT value FROM json_each(?))`, workspaceID, convs, users)
	if err != nil {
		return nil, err
	}
	for _, rs := range states {
		out[store.ReadPosition{UserID: rs.UserID, ConversationID: rs.ConversationID}] = rs.InboundCount
	}
	return out, nil
}
