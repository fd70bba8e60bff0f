package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

const conversationColumns = `workspace_id, id, connection_id, channel_kind, contact_id, identity_id, contact_name,
	contact_phone, status, assignee_id, team_id, rule_id, awaiting_claim, claimed, historical, category_id,
	category_path, classification_id, note, referral, last_seq, inbound_count, replies_since_inbound,
	last_message_text, last_message_at, last_message_direction, last_inbound_at, created_at, updated_at, version`

func scanConversation(r pgx.Row) (*omnichannel.Conversation, error) {
	var c omnichannel.Conversation
	if err := r.Scan(conversationDest(&c)...); err != nil {
		return nil, err
	}
	return &c, nil
}

// conversationDest are the scan destinations of conversationColumns in c.
func conversationDest(c *omnichannel.Conversation) []any {
	return []any{&c.WorkspaceID, &c.ID, &c.ConnectionID, &c.ChannelKind, &c.ContactID, &c.IdentityID,
		&c.ContactName, &c.ContactPhone, &c.Status, &c.AssigneeID, &c.TeamID, &c.RuleID, &c.AwaitingClaim,
		&c.Claimed, &c.Historical, &c.CategoryID, &c.CategoryPath, &c.ClassificationID, &c.Note, &c.Referral,
		&c.LastSeq, &c.InboundCount, &c.RepliesSinceInbound, &c.LastMessageText, &c.LastMessageAt,
		&c.LastMessageDirection, &c.LastInboundAt, &c.CreatedAt, &c.UpdatedAt, &c.Version}
}

// conversationArgs are c's values in conversationColumns order, then the folded contact name.
func conversationArgs(c *omnichannel.Conversation) []any {
	return []any{c.WorkspaceID, c.ID, c.ConnectionID, c.ChannelKind, c.ContactID, c.IdentityID, c.ContactName,
		c.ContactPhone, c.Status, c.AssigneeID, c.TeamID, c.RuleID, c.AwaitingClaim, c.Claimed, c.Historical,
		c.CategoryID, textArray(c.CategoryPath), c.ClassificationID, c.Note, c.Referral, c.LastSeq,
		c.InboundCount, c.RepliesSinceInbound, c.LastMessageText, c.LastMessageAt, c.LastMessageDirection,
		c.LastInboundAt, c.CreatedAt, c.UpdatedAt, c.Version, foldName(c.ContactName)}
}

// foldName is the search form of a contact name (omnichannel.FoldSearch: lower case, accents
// removed, đ as d), computed in Go so that search does not depend on the database's locale or
// extensions.
func foldName(s string) string { return omnichannel.FoldSearch(s) }

// InsertConversation refuses an existing id or an existing (ConnectionID, IdentityID) thread with
// ErrDuplicate.
func (t *txn) InsertConversation(c *omnichannel.Conversation) error {
	cp := c.Clone()
	defer t.recordWrite("conversations", func(r *txn) error { return r.InsertConversation(cp) }, conversationKeys(c)...)()
	if err := t.writing(); err != nil {
		return err
	}
	tag, err := t.exec("insert conversation", `INSERT INTO conversations (`+conversationColumns+`, contact_name_folded)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
			$21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)
		ON CONFLICT DO NOTHING`, conversationArgs(c)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return duplicate("conversation", fmt.Sprintf("id %q or identity %q on connection %q", c.ID, c.IdentityID, c.ConnectionID))
	}
	return nil
}

func (t *txn) GetConversation(workspaceID, id string) (*omnichannel.Conversation, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "get conversation", "conversation", id, `SELECT `+conversationColumns+` FROM conversations
		WHERE workspace_id = $1 AND id = $2`, scanConversation, workspaceID, id)
}

func (t *txn) FindConversation(workspaceID, connectionID, identityID string) (*omnichannel.Conversation, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "find conversation", "conversation", connectionID+"/"+identityID,
		`SELECT `+conversationColumns+` FROM conversations
		WHERE workspace_id = $1 AND connection_id = $2 AND identity_id = $3`,
		scanConversation, workspaceID, connectionID, identityID)
}

// conversationUpdate sets every column but the keys from the arguments of conversationArgs.
const conversationUpdate = `UPDATE conversations SET channel_kind = $4, contact_id = $5, contact_name = $7,
	contact_phone = $8, status = $9, assignee_id = $10, team_id = $11, rule_id = $12, awaiting_claim = $13,
	claimed = $14, historical = $15, category_id = $16, category_path = $17, classification_id = $18,
	note = $19, referral = $20, last_seq = $21, inbound_count = $22, replies_since_inbound = $23,
	last_message_text = $24, last_message_at = $25, last_message_direction = $26, last_inbound_at = $27,
	created_at = $28, updated_at = $29, contact_name_folded = $31, version = version + 1`

// conversationUpdateWhere is UpdateConversation's compare-and-set when the thread key is unchanged
// (grouped updates fold it: fold.go).
const conversationUpdateWhere = conversationUpdate + `
		WHERE workspace_id = $1 AND id = $2 AND version = $30 AND connection_id = $3 AND identity_id = $6`

// UpdateConversation replaces the conversation when its stored Version equals c.Version, then
// increments Version in the store and in c. A missing conversation is ErrNotFound, a version
// mismatch ErrConflict, and moving it onto another conversation's (ConnectionID, IdentityID)
// ErrDuplicate.
//
// The compare-and-set is the WHERE clause: under READ COMMITTED a concurrent writer's UPDATE waits
// for the row lock and then re-checks the version, so exactly one of them succeeds.
func (t *txn) UpdateConversation(c *omnichannel.Conversation) error {
	cp := c.Clone()
	defer t.recordWrite("conversations", func(r *txn) error { return r.UpdateConversation(cp) }, conversationKeys(c)...)()
	if err := t.writing(); err != nil {
		return err
	}
	args := conversationArgs(c)
	tag, err := t.exec("update conversation", conversationUpdateWhere, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		c.Version++
		return nil
	}
	var stored int64
	var conn, identity string
	err = t.tx.QueryRow(t.ctx, `SELECT version, connection_id, identity_id FROM conversations
		WHERE workspace_id = $1 AND id = $2`, c.WorkspaceID, c.ID).Scan(&stored, &conn, &identity)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return notFound("conversation", c.ID)
	case err != nil:
		return t.fail("update conversation", err)
	case stored != c.Version:
		return conflict("conversation", c.ID, c.Version, stored)
	}
	// The thread key changes: the new key may belong to another conversation.
	tag, err = t.guarded("update conversation", "conversation",
		fmt.Sprintf("for identity %q on connection %q", c.IdentityID, c.ConnectionID),
		conversationUpdate+`, connection_id = $3, identity_id = $6
			WHERE workspace_id = $1 AND id = $2 AND version = $30`, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("conversation", c.ID, c.Version, -1)
	}
	c.Version++
	return nil
}

// CountOpenAssigned returns a count for every user in userIDs (zero included).
func (t *txn) CountOpenAssigned(workspaceID string, userIDs []string) (map[string]int, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	counts := make(map[string]int, len(userIDs))
	for _, id := range userIDs {
		counts[id] = 0
	}
	if len(userIDs) == 0 {
		return counts, nil
	}
	rows, err := t.tx.Query(t.ctx, `SELECT assignee_id, count(*) FROM conversations
		WHERE workspace_id = $1 AND status = 'open' AND assignee_id = ANY($2) GROUP BY assignee_id`,
		workspaceID, userIDs)
	if err != nil {
		return nil, t.fail("count open assigned", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, t.fail("count open assigned", err)
		}
		counts[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail("count open assigned", err)
	}
	return counts, nil
}

const readStateColumns = `workspace_id, user_id, conversation_id, inbound_count, seq, read_at`

func scanReadState(r pgx.Row) (*omnichannel.ReadState, error) {
	var s omnichannel.ReadState
	if err := r.Scan(&s.WorkspaceID, &s.UserID, &s.ConversationID, &s.InboundCount, &s.Seq, &s.ReadAt); err != nil {
		return nil, err
	}
	return &s, nil
}

func (t *txn) GetReadState(workspaceID, userID, conversationID string) (*omnichannel.ReadState, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "get read state", "read state", userID+"/"+conversationID,
		`SELECT `+readStateColumns+` FROM read_states WHERE workspace_id = $1 AND user_id = $2 AND conversation_id = $3`,
		scanReadState, workspaceID, userID, conversationID)
}

// PutReadState inserts or replaces the read state of (UserID, ConversationID).
func (t *txn) PutReadState(r *omnichannel.ReadState) error {
	if err := t.writing(); err != nil {
		return err
	}
	_, err := t.exec("put read state", `INSERT INTO read_states (`+readStateColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (workspace_id, conversation_id, user_id) DO UPDATE
		SET inbound_count = EXCLUDED.inbound_count, seq = EXCLUDED.seq, read_at = EXCLUDED.read_at`,
		r.WorkspaceID, r.UserID, r.ConversationID, r.InboundCount, r.Seq, r.ReadAt)
	return err
}
