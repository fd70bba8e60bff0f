package sqlite

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// MaxCategoryDepth is the deepest category path a conversation may carry (three levels).
const MaxCategoryDepth = 3

const conversationColumns = `workspace_id, id, connection_id, channel_kind, contact_id, identity_id, contact_name,
	contact_phone, status, assignee_id, team_id, rule_id, awaiting_claim, claimed, historical, category_id,
	category_path, classification_id, note, referral, last_seq, inbound_count, replies_since_inbound,
	last_message_text, last_message_at, last_message_direction, last_inbound_at, created_at, updated_at, version`

// conversationColumnsC is conversationColumns qualified with the alias c, for joins.
var conversationColumnsC = qualify("c", conversationColumns)

// qualify prefixes every column of a comma-separated list with alias.
func qualify(alias, columns string) string {
	names := strings.Split(strings.Join(strings.Fields(columns), " "), ", ")
	return alias + "." + strings.Join(names, ", "+alias+".")
}

func scanConversation(sc scanner) (*omnichannel.Conversation, error) {
	var c omnichannel.Conversation
	var path string
	var lastAt, lastInAt, created, updated int64
	if err := sc.Scan(&c.WorkspaceID, &c.ID, &c.ConnectionID, &c.ChannelKind, &c.ContactID, &c.IdentityID,
		&c.ContactName, &c.ContactPhone, &c.Status, &c.AssigneeID, &c.TeamID, &c.RuleID, &c.AwaitingClaim,
		&c.Claimed, &c.Historical, &c.CategoryID, &path, &c.ClassificationID, &c.Note, &c.Referral, &c.LastSeq,
		&c.InboundCount, &c.RepliesSinceInbound, &c.LastMessageText, &lastAt, &c.LastMessageDirection,
		&lastInAt, &created, &updated, &c.Version); err != nil {
		return nil, err
	}
	if err := fromJSON(path, &c.CategoryPath); err != nil {
		return nil, err
	}
	c.LastMessageAt, c.LastInboundAt = fromMicros(lastAt), fromMicros(lastInAt)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// conversationValues are the columns written for c after the keys (workspace_id, id), in the order
// of conversationSet, and the derived search and category columns.
func conversationValues(c *omnichannel.Conversation) ([]any, error) {
	if len(c.CategoryPath) > MaxCategoryDepth {
		return nil, fmt.Errorf("sqlite: conversation %q: category path has %d levels, at most %d: %w",
			c.ID, len(c.CategoryPath), MaxCategoryDepth, omnichannel.ErrInvalid)
	}
	path, err := jsonText(c.CategoryPath)
	if err != nil {
		return nil, err
	}
	var levels [MaxCategoryDepth]string
	copy(levels[:], c.CategoryPath)
	return []any{c.ConnectionID, string(c.ChannelKind), c.ContactID, c.IdentityID,
		c.ContactName, omnichannel.FoldSearch(c.ContactName), c.ContactPhone, strings.TrimPrefix(c.ContactPhone, "+"),
		string(c.Status), c.AssigneeID, c.TeamID, c.RuleID,
		boolInt(c.AwaitingClaim), boolInt(c.Claimed), boolInt(c.Historical),
		c.CategoryID, path, levels[0], levels[1], levels[2], c.ClassificationID, c.Note, c.Referral,
		c.LastSeq, c.InboundCount, c.RepliesSinceInbound, c.LastMessageText, micros(c.LastMessageAt),
		string(c.LastMessageDirection), micros(c.LastInboundAt), micros(c.CreatedAt), micros(c.UpdatedAt)}, nil
}

// conversationSet assigns the columns of conversationValues, in order.
const conversationSet = `connection_id = ?, channel_kind = ?, contact_id = ?, identity_id = ?,
	contact_name = ?, contact_name_fold = ?, contact_phone = ?, contact_phone_digits = ?,
	status = ?, assignee_id = ?, team_id = ?, rule_id = ?, awaiting_claim = ?, claimed = ?, historical = ?,
	category_id = ?, category_path = ?, category1 = ?, category2 = ?, category3 = ?, classification_id = ?,
	note = ?, referral = ?, last_seq = ?, inbound_count = ?, replies_since_inbound = ?, last_message_text = ?,
	last_message_at = ?, last_message_direction = ?, last_inbound_at = ?, created_at = ?, updated_at = ?`

// InsertConversation refuses an existing id or an existing (ConnectionID, IdentityID) thread with
// ErrDuplicate. The connection, contact and identity must exist (ErrNotFound otherwise), and the
// category path has at most MaxCategoryDepth levels (ErrInvalid otherwise).
func (t *txn) InsertConversation(c *omnichannel.Conversation) error {
	if err := t.writingRecorded(); err != nil {
		return err
	}
	vals, err := conversationValues(c)
	if err != nil {
		return err
	}
	args := append([]any{c.WorkspaceID, c.ID}, vals...)
	args = append(args, c.Version)
	if err := t.write(conversationsWrite, `INSERT INTO conversations (workspace_id, id, connection_id, channel_kind, contact_id,
			identity_id, contact_name, contact_name_fold, contact_phone, contact_phone_digits, status, assignee_id,
			team_id, rule_id, awaiting_claim, claimed, historical, category_id, category_path, category1,
			category2, category3, classification_id, note, referral, last_seq, inbound_count,
			replies_since_inbound, last_message_text, last_message_at, last_message_direction, last_inbound_at,
			created_at, updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		args, execChecked("insert conversation")); err != nil {
		return err
	}
	t.remember(c)
	return nil
}

func (t *txn) GetConversation(workspaceID, id string) (*omnichannel.Conversation, error) {
	return t.rememberRead(getOne(t, scanConversation, "conversation", id,
		`SELECT `+conversationColumns+` FROM conversations WHERE workspace_id = ? AND id = ?`, workspaceID, id))
}

func (t *txn) FindConversation(workspaceID, connectionID, identityID string) (*omnichannel.Conversation, error) {
	return t.rememberRead(getOne(t, scanConversation, "conversation", connectionID+"/"+identityID,
		`SELECT `+conversationColumns+` FROM conversations
		WHERE workspace_id = ? AND connection_id = ? AND identity_id = ?`, workspaceID, connectionID, identityID))
}

// rememberRead passes a conversation read in t on, remembering it (see remember).
func (t *txn) rememberRead(c *omnichannel.Conversation, err error) (*omnichannel.Conversation, error) {
	if err == nil {
		t.remember(c)
	}
	return c, err
}

// UpdateConversation replaces the conversation when its stored Version equals c.Version, then
// increments Version in the store and in c. A missing conversation is ErrNotFound, a version mismatch
// ErrConflict, and moving it onto another conversation's (ConnectionID, IdentityID) ErrDuplicate.
// When the same transaction read or wrote the conversation at c.Version, only the columns whose
// values differ are written (see conversation_update.go); the stored row is the same either way.
func (t *txn) UpdateConversation(c *omnichannel.Conversation) error {
	if err := t.writingRecorded(); err != nil {
		return err
	}
	vals, err := conversationValues(c)
	if err != nil {
		return err
	}
	query, args := `UPDATE conversations SET `+conversationSet+`, version = version + 1
		WHERE workspace_id = ? AND id = ? AND version = ?`, []any(nil)
	if mask, ok := t.changedColumns(c, vals); ok {
		if q, ok := partialUpdateSQL(mask); ok {
			query, args = q, partialArgs(mask, vals, c)
		}
	}
	if args == nil {
		args = append(vals, c.WorkspaceID, c.ID, c.Version)
	}
	ws, id, version := c.WorkspaceID, c.ID, c.Version
	if err := t.write(conversationsWrite, query, args, func(w *txn, res sql.Result, err error) error {
		if err != nil {
			return writeError("update conversation", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := w.GetConversation(ws, id); err != nil {
				return err
			}
			return conflict("conversation", id, version)
		}
		return nil
	}); err != nil {
		return err
	}
	if t.group != nil {
		t.group.undo = append(t.group.undo, func() { c.Version = version })
	}
	c.Version++
	t.remember(c)
	return nil
}

// CountOpenAssigned returns a count for every user in userIDs (zero included).
func (t *txn) CountOpenAssigned(workspaceID string, userIDs []string) (map[string]int, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	counts := make(map[string]int, len(userIDs))
	if len(userIDs) == 0 {
		return counts, nil
	}
	for _, id := range userIDs {
		counts[id] = 0
	}
	args := append([]any{workspaceID}, anys(userIDs)...)
	rows, err := t.q.queryDynamic(`SELECT assignee_id, COUNT(*) FROM conversations
		WHERE workspace_id = ? AND status = 'open' AND assignee_id IN (`+placeholders(len(userIDs))+`)
		GROUP BY assignee_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: count open assigned: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("sqlite: count open assigned: %w", err)
		}
		counts[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: count open assigned: %w", err)
	}
	return counts, nil
}

const readStateColumns = `workspace_id, user_id, conversation_id, inbound_count, seq, read_at`

func scanReadState(sc scanner) (*omnichannel.ReadState, error) {
	var r omnichannel.ReadState
	var readAt int64
	if err := sc.Scan(&r.WorkspaceID, &r.UserID, &r.ConversationID, &r.InboundCount, &r.Seq, &readAt); err != nil {
		return nil, err
	}
	r.ReadAt = fromMicros(readAt)
	return &r, nil
}

func (t *txn) GetReadState(workspaceID, userID, conversationID string) (*omnichannel.ReadState, error) {
	return getOne(t, scanReadState, "read state", userID+"/"+conversationID,
		`SELECT `+readStateColumns+` FROM read_states WHERE workspace_id = ? AND user_id = ? AND conversation_id = ?`,
		workspaceID, userID, conversationID)
}

// readStateTimeSQL is the value of read_states.last_message_at for a new row: its conversation's
// last_message_at, looked up by key (arguments: workspace id, conversation id). A missing
// conversation gives 0, and the foreign key reports the row.
const readStateTimeSQL = `COALESCE((SELECT last_message_at FROM conversations WHERE workspace_id = ? AND id = ?), 0)`

// PutReadState inserts or replaces the read state of (UserID, ConversationID); the conversation must
// exist (ErrNotFound otherwise).
func (t *txn) PutReadState(r *omnichannel.ReadState) error {
	if err := t.writing(); err != nil {
		return err
	}
	// The list-order copy of the conversation's time (migration 4) is written along; an existing
	// row has it already (a trigger keeps it current).
	if _, err := t.q.exec(`INSERT INTO read_states (`+readStateColumns+`, last_message_at)
		VALUES (?, ?, ?, ?, ?, ?, `+readStateTimeSQL+`)
		ON CONFLICT (workspace_id, user_id, conversation_id) DO UPDATE SET inbound_count = excluded.inbound_count,
			seq = excluded.seq, read_at = excluded.read_at`,
		r.WorkspaceID, r.UserID, r.ConversationID, r.InboundCount, r.Seq, micros(r.ReadAt),
		r.WorkspaceID, r.ConversationID); err != nil {
		return writeError("put read state", err)
	}
	return nil
}

// placeholders returns "?, ?, …" with n marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// anys converts a list of strings (or string kinds) to query arguments.
func anys[S ~string](list []S) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}
