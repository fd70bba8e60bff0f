package sqlite

import (
	"database/sql"
	"slices"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// DefaultMessageLimit is used when ListMessages is given a limit ≤ 0.
const DefaultMessageLimit = 50

const messageColumns = `workspace_id, id, conversation_id, connection_id, seq, direction, type, sender_id,
	sender_name, text, attachments, quote_provider_message_id, template_id, provider_message_id,
	idempotency_key, status, failure_code, failure_reason, attempts, activity, provider_time, created_at,
	updated_at, reactions, failure_reason_code`

func scanMessage(sc scanner) (*omnichannel.Message, error) {
	var m omnichannel.Message
	var atts, reactions string
	var activity sql.NullString
	var providerTime, created, updated int64
	if err := sc.Scan(&m.WorkspaceID, &m.ID, &m.ConversationID, &m.ConnectionID, &m.Seq, &m.Direction, &m.Type,
		&m.SenderID, &m.SenderName, &m.Text, &atts, &m.QuoteProviderMessageID, &m.TemplateID,
		&m.ProviderMessageID, &m.IdempotencyKey, &m.Status, &m.FailureCode, &m.FailureReason, &m.Attempts,
		&activity, &providerTime, &created, &updated, &reactions, &m.FailureReasonCode); err != nil {
		return nil, err
	}
	if err := fromJSON(atts, &m.Attachments); err != nil {
		return nil, err
	}
	if err := fromJSON(reactions, &m.Reactions); err != nil {
		return nil, err
	}
	if len(m.Reactions) == 0 {
		m.Reactions = nil // as stored: none
	}
	if activity.Valid {
		m.Activity = &omnichannel.Activity{}
		if err := fromJSON(activity.String, m.Activity); err != nil {
			return nil, err
		}
	}
	m.ProviderTime, m.CreatedAt, m.UpdatedAt = fromMicros(providerTime), fromMicros(created), fromMicros(updated)
	return &m, nil
}

// messageValues are m's columns after the keys (workspace_id, id), in the order of messageSet.
func messageValues(m *omnichannel.Message) ([]any, error) {
	atts, err := jsonText(m.Attachments)
	if err != nil {
		return nil, err
	}
	var activity any
	if m.Activity != nil {
		if activity, err = jsonText(m.Activity); err != nil {
			return nil, err
		}
	}
	reactions, err := jsonText(orNoReactions(m.Reactions))
	if err != nil {
		return nil, err
	}
	return []any{m.ConversationID, m.ConnectionID, m.Seq, string(m.Direction), string(m.Type), m.SenderID,
		m.SenderName, m.Text, atts, m.QuoteProviderMessageID, m.TemplateID, m.ProviderMessageID, m.IdempotencyKey,
		string(m.Status), m.FailureCode, m.FailureReason, m.Attempts, activity, micros(m.ProviderTime),
		micros(m.CreatedAt), micros(m.UpdatedAt), reactions, m.FailureReasonCode}, nil
}

// orNoReactions stores a message without reactions as [] (the column's default), never null.
func orNoReactions(r []omnichannel.Reaction) []omnichannel.Reaction {
	if r == nil {
		return []omnichannel.Reaction{}
	}
	return r
}

const messageSet = `conversation_id = ?, connection_id = ?, seq = ?, direction = ?, type = ?, sender_id = ?,
	sender_name = ?, text = ?, attachments = ?, quote_provider_message_id = ?, template_id = ?,
	provider_message_id = ?, idempotency_key = ?, status = ?, failure_code = ?, failure_reason = ?,
	attempts = ?, activity = ?, provider_time = ?, created_at = ?, updated_at = ?, reactions = ?, failure_reason_code = ?`

// InsertMessage refuses an existing id, an existing non-empty (ConnectionID, ProviderMessageID) or
// an existing non-empty (ConversationID, IdempotencyKey) with ErrDuplicate; the conversation must
// exist (ErrNotFound otherwise).
func (t *txn) InsertMessage(m *omnichannel.Message) error {
	if err := t.writingRecorded(); err != nil {
		return err
	}
	vals, err := messageValues(m)
	if err != nil {
		return err
	}
	return t.write(messagesWrite, `INSERT INTO messages (`+messageColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append([]any{m.WorkspaceID, m.ID}, vals...), execChecked("insert message"))
}

// UpdateMessage replaces the message with m.ID; ErrNotFound when absent, ErrDuplicate when its new
// provider id or idempotency key belongs to another message.
func (t *txn) UpdateMessage(m *omnichannel.Message) error {
	if err := t.writing(); err != nil {
		return err
	}
	vals, err := messageValues(m)
	if err != nil {
		return err
	}
	res, err := t.q.exec(`UPDATE messages SET `+messageSet+` WHERE workspace_id = ? AND id = ?`,
		append(vals, m.WorkspaceID, m.ID)...)
	if err != nil {
		return writeError("update message", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("message", m.ID)
	}
	return nil
}

func (t *txn) GetMessage(workspaceID, id string) (*omnichannel.Message, error) {
	return getOne(t, scanMessage, "message", id,
		`SELECT `+messageColumns+` FROM messages WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

func (t *txn) FindMessageByProviderID(workspaceID, connectionID, providerMessageID string) (*omnichannel.Message, error) {
	if providerMessageID == "" {
		if err := t.readable(); err != nil {
			return nil, err
		}
		return nil, notFound("message", "with an empty provider id")
	}
	// The literal condition lets SQLite use the partial unique index.
	return getOne(t, scanMessage, "message", "with provider id "+providerMessageID,
		`SELECT `+messageColumns+` FROM messages
		WHERE workspace_id = ? AND connection_id = ? AND provider_message_id = ? AND provider_message_id <> ''`,
		workspaceID, connectionID, providerMessageID)
}

func (t *txn) FindMessageByIdempotencyKey(workspaceID, conversationID, key string) (*omnichannel.Message, error) {
	if key == "" {
		if err := t.readable(); err != nil {
			return nil, err
		}
		return nil, notFound("message", "with an empty idempotency key")
	}
	return getOne(t, scanMessage, "message", "with idempotency key "+key,
		`SELECT `+messageColumns+` FROM messages
		WHERE workspace_id = ? AND conversation_id = ? AND idempotency_key = ? AND idempotency_key <> ''`,
		workspaceID, conversationID, key)
}

// ListMessages returns the newest limit messages of the conversation with Seq < beforeSeq (any Seq
// when beforeSeq ≤ 0) in ascending Seq order. A limit ≤ 0 means DefaultMessageLimit.
func (t *txn) ListMessages(workspaceID, conversationID string, beforeSeq int64, limit int) ([]*omnichannel.Message, error) {
	if limit <= 0 {
		limit = DefaultMessageLimit
	}
	var list []*omnichannel.Message
	var err error
	if beforeSeq <= 0 {
		list, err = getAll(t, scanMessage, "messages", `SELECT `+messageColumns+` FROM messages
			WHERE workspace_id = ? AND conversation_id = ? ORDER BY seq DESC, id DESC LIMIT ?`,
			workspaceID, conversationID, limit)
	} else {
		list, err = getAll(t, scanMessage, "messages", `SELECT `+messageColumns+` FROM messages
			WHERE workspace_id = ? AND conversation_id = ? AND seq < ? ORDER BY seq DESC, id DESC LIMIT ?`,
			workspaceID, conversationID, beforeSeq, limit)
	}
	if err != nil {
		return nil, err
	}
	slices.Reverse(list)
	return list, nil
}

// FindEchoCandidate returns the oldest (lowest Seq) outgoing, not failed message of the conversation
// without a provider message id, created at or after since, whose Text equals text.
func (t *txn) FindEchoCandidate(workspaceID, conversationID, text string, since time.Time) (*omnichannel.Message, error) {
	return getOne(t, scanMessage, "message", "echo candidate", `SELECT `+messageColumns+` FROM messages
		WHERE workspace_id = ? AND conversation_id = ? AND direction = ? AND provider_message_id = ''
			AND status <> ? AND created_at >= ? AND text = ?
		ORDER BY seq, id LIMIT 1`,
		workspaceID, conversationID, string(omnichannel.DirectionOut), string(omnichannel.MessageFailed),
		micros(since), text)
}
