package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

// DefaultMessageLimit is used when ListMessages is given a limit ≤ 0.
const DefaultMessageLimit = 50

const messageColumns = `workspace_id, id, conversation_id, connection_id, seq, direction, type, sender_id,
	sender_name, text, attachments, quote_provider_message_id, template_id, provider_message_id,
	idempotency_key, status, failure_code, failure_reason, attempts, activity, provider_time, created_at, updated_at,
	reactions, failure_reason_code`

func scanMessage(r pgx.Row) (*omnichannel.Message, error) {
	var m omnichannel.Message
	var attachments, activity, reactions []byte
	err := r.Scan(&m.WorkspaceID, &m.ID, &m.ConversationID, &m.ConnectionID, &m.Seq, &m.Direction, &m.Type,
		&m.SenderID, &m.SenderName, &m.Text, &attachments, &m.QuoteProviderMessageID, &m.TemplateID,
		&m.ProviderMessageID, &m.IdempotencyKey, &m.Status, &m.FailureCode, &m.FailureReason, &m.Attempts,
		&activity, &m.ProviderTime, &m.CreatedAt, &m.UpdatedAt, &reactions, &m.FailureReasonCode)
	if err != nil {
		return nil, err
	}
	if err := fromJSON(reactions, &m.Reactions); err != nil {
		return nil, err
	}
	if len(m.Reactions) == 0 {
		m.Reactions = nil // as stored: none
	}
	if err := fromJSON(attachments, &m.Attachments); err != nil {
		return nil, err
	}
	if err := fromJSON(activity, &m.Activity); err != nil {
		return nil, err
	}
	return &m, nil
}

// messageArgs are m's values in messageColumns order.
func messageArgs(m *omnichannel.Message) ([]any, error) {
	attachments, err := jsonArg(m.Attachments)
	if err != nil {
		return nil, err
	}
	var activity []byte // SQL NULL when nil
	if m.Activity != nil {
		if activity, err = jsonArg(m.Activity); err != nil {
			return nil, err
		}
	}
	reactions := m.Reactions
	if reactions == nil {
		reactions = []omnichannel.Reaction{} // the column's default, never null
	}
	reactionsArg, err := jsonArg(reactions)
	if err != nil {
		return nil, err
	}
	return []any{m.WorkspaceID, m.ID, m.ConversationID, m.ConnectionID, m.Seq, m.Direction, m.Type, m.SenderID,
		m.SenderName, m.Text, attachments, m.QuoteProviderMessageID, m.TemplateID, m.ProviderMessageID,
		m.IdempotencyKey, m.Status, m.FailureCode, m.FailureReason, m.Attempts, activity, m.ProviderTime,
		m.CreatedAt, m.UpdatedAt, reactionsArg, m.FailureReasonCode}, nil
}

// InsertMessage refuses an existing id, an existing non-empty (ConnectionID, ProviderMessageID) or
// an existing non-empty (ConversationID, IdempotencyKey) with ErrDuplicate. ON CONFLICT DO NOTHING
// covers all three unique indexes, waits for a concurrent insert of the same key to finish, and
// leaves the transaction usable.
func (t *txn) InsertMessage(m *omnichannel.Message) error {
	cp := m.Clone()
	defer t.recordWrite("messages", func(r *txn) error { return r.InsertMessage(cp) }, messageKey(m))()
	if err := t.writing(); err != nil {
		return err
	}
	args, err := messageArgs(m)
	if err != nil {
		return err
	}
	tag, err := t.exec("insert message", `INSERT INTO messages (`+messageColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
		ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return duplicate("message", fmt.Sprintf("id %q, provider id %q or idempotency key %q", m.ID, m.ProviderMessageID, m.IdempotencyKey))
	}
	return nil
}

// UpdateMessage replaces the message with m.ID; ErrNotFound when absent, ErrDuplicate when its new
// provider id or idempotency key belongs to another message.
func (t *txn) UpdateMessage(m *omnichannel.Message) error {
	if err := t.writing(); err != nil {
		return err
	}
	args, err := messageArgs(m)
	if err != nil {
		return err
	}
	tag, err := t.guarded("update message", "message",
		fmt.Sprintf("provider id %q or idempotency key %q", m.ProviderMessageID, m.IdempotencyKey),
		`UPDATE messages SET conversation_id = $3, connection_id = $4, seq = $5,
			direction = $6, type = $7, sender_id = $8, sender_name = $9, text = $10, attachments = $11,
			quote_provider_message_id = $12, template_id = $13, provider_message_id = $14, idempotency_key = $15,
			status = $16, failure_code = $17, failure_reason = $18, attempts = $19, activity = $20,
			provider_time = $21, created_at = $22, updated_at = $23, reactions = $24, failure_reason_code = $25
			WHERE workspace_id = $1 AND id = $2`, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("message", m.ID)
	}
	return nil
}

func (t *txn) GetMessage(workspaceID, id string) (*omnichannel.Message, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "get message", "message", id, `SELECT `+messageColumns+` FROM messages
		WHERE workspace_id = $1 AND id = $2`, scanMessage, workspaceID, id)
}

func (t *txn) FindMessageByProviderID(workspaceID, connectionID, providerMessageID string) (*omnichannel.Message, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if providerMessageID == "" {
		return nil, notFound("message", "with an empty provider id")
	}
	return get(t, "find message", "message", "with provider id "+providerMessageID,
		findMessageByProviderIDSQL, scanMessage, workspaceID, connectionID, providerMessageID)
}

// The lookups by provider id and idempotency key repeat the partial unique indexes' predicates as
// literals: pgx prepares statements, PostgreSQL switches a prepared statement to a generic plan,
// and a generic plan can use a partial index only when the query implies its predicate without the
// parameters' values (without them, every lookup scanned the messages table).
const (
	findMessageByProviderIDSQL = `SELECT ` + messageColumns + ` FROM messages
		WHERE workspace_id = $1 AND connection_id = $2 AND provider_message_id = $3 AND provider_message_id <> ''`
	findMessageByIdempotencyKeySQL = `SELECT ` + messageColumns + ` FROM messages
		WHERE workspace_id = $1 AND conversation_id = $2 AND idempotency_key = $3 AND idempotency_key <> ''`
)

func (t *txn) FindMessageByIdempotencyKey(workspaceID, conversationID, key string) (*omnichannel.Message, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, notFound("message", "with an empty idempotency key")
	}
	return get(t, "find message", "message", "with idempotency key "+key,
		findMessageByIdempotencyKeySQL, scanMessage, workspaceID, conversationID, key)
}

// ListMessages returns the newest limit messages of the conversation with Seq < beforeSeq (any Seq
// when beforeSeq ≤ 0) in ascending Seq order. A limit ≤ 0 means DefaultMessageLimit.
func (t *txn) ListMessages(workspaceID, conversationID string, beforeSeq int64, limit int) ([]*omnichannel.Message, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultMessageLimit
	}
	return list(t, "list messages", `SELECT * FROM (
			SELECT `+messageColumns+` FROM messages
			WHERE workspace_id = $1 AND conversation_id = $2 AND ($3::bigint <= 0 OR seq < $3::bigint)
			ORDER BY seq DESC, id DESC LIMIT $4
		) newest ORDER BY seq, id`, scanMessage, workspaceID, conversationID, beforeSeq, limit)
}

// FindEchoCandidate returns the oldest (lowest Seq) outgoing, not failed message of the conversation
// without a provider message id, created at or after since, whose Text equals text.
func (t *txn) FindEchoCandidate(workspaceID, conversationID, text string, since time.Time) (*omnichannel.Message, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "find echo candidate", "message", "echo candidate", `SELECT `+messageColumns+` FROM messages
		WHERE workspace_id = $1 AND conversation_id = $2 AND direction = 'out' AND provider_message_id = ''
			AND status <> 'failed' AND created_at >= $3 AND text = $4
		ORDER BY seq, id LIMIT 1`, scanMessage, workspaceID, conversationID, since, text)
}
