package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store"
)

// ReadBatch implements store.BatchReader. SQLite runs in the process, so there are no round trips
// to save: reads run one after the other; the kinds that would otherwise be one statement per row
// (several users, several read positions, the unread counts per connection) are one statement
// each, and connections read for visibility and authorization leave their credentials sealed in
// the file (no decryption on a list, a badge or a claim).
//
// In a grouped update, a batch that looks a customer up takes the customer's thread first
// (grouping.lockThread), so that its other reads (whether the message is a redelivery) come after
// the writes of a grouped update of the same customer in flight.
func (t *txn) ReadBatch(ctx context.Context, reads ...store.Read) error {
	for _, r := range reads {
		if c, ok := r.(*store.CustomerThreadRead); ok {
			if err := t.lockCustomer(c.WorkspaceID, c.ConnectionID, c.ExternalUserID); err != nil {
				return err
			}
		}
	}
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
		case *store.ConnectionsRead:
			r.Connections, err = getAll(t, t.scanConnection, "connections",
				`SELECT `+connectionColumnsNoCredentials+` FROM connections WHERE workspace_id = ? ORDER BY id`, r.WorkspaceID)
		case *store.ConversationContextRead:
			err = t.conversationContext(r)
		case *store.UnreadByConnectionRead:
			r.Counts, err = t.unreadByConnection(r.WorkspaceID, r.UserID)
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

// connectionColumnsNoCredentials are connectionColumns with empty credentials in their place.
var connectionColumnsNoCredentials = strings.Replace(connectionColumns, "credentials", `'{}'`, 1)

// conversationContext reads a conversation, its connection without credentials and its rule.
func (t *txn) conversationContext(r *store.ConversationContextRead) (err error) {
	r.Conversation, r.Connection, r.Rule = nil, nil, nil
	if r.Conversation, err = store.IgnoreNotFound(t.GetConversation(r.WorkspaceID, r.ConversationID)); err != nil || r.Conversation == nil {
		return err
	}
	if r.Connection, err = store.IgnoreNotFound(getOne(t, t.scanConnection, "connection", r.Conversation.ConnectionID,
		`SELECT `+connectionColumnsNoCredentials+` FROM connections WHERE id = ? AND workspace_id = ?`,
		r.Conversation.ConnectionID, r.WorkspaceID)); err != nil {
		return err
	}
	if r.Conversation.RuleID != "" {
		r.Rule, err = store.IgnoreNotFound(t.GetRule(r.WorkspaceID, r.Conversation.RuleID))
	}
	return err
}

// unreadByConnection reads the unread counters of every connection in one statement: per
// connection, the conversations with inbound messages less those userID has read up to date.
func (t *txn) unreadByConnection(workspaceID, userID string) (map[string]int, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	rows, err := t.q.query(`SELECT connection_id, SUM(n) FROM (
			SELECT connection_id, with_inbound AS n FROM conversation_counts WHERE workspace_id = ?
			UNION ALL
			SELECT connection_id, -up_to_date FROM read_counts WHERE workspace_id = ? AND user_id = ?)
		GROUP BY connection_id`, workspaceID, workspaceID, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: unread by connection: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("sqlite: unread by connection: %w", err)
		}
		if n > 0 {
			counts[id] = n
		}
	}
	return counts, rows.Err()
}
