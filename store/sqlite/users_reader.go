package sqlite

import "github.com/dakenh/dakenh/omnichannel"

var _ omnichannel.UsersReader = (*txn)(nil)

// GetUsers implements omnichannel.UsersReader with one statement (the ids as a JSON list), where
// the writer would otherwise run one per user of a routing rule.
func (t *txn) GetUsers(workspaceID string, ids []string) ([]*omnichannel.User, error) {
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
	return omnichannel.UsersInIDOrder(found, ids), nil
}
