package memory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// DefaultMessageLimit is used when ListMessages is given a limit ≤ 0.
const DefaultMessageLimit = 50

// InsertMessage refuses an existing id, an existing non-empty (ConnectionID, ProviderMessageID) or
// an existing non-empty (ConversationID, IdempotencyKey) with ErrDuplicate.
func (t *txn) InsertMessage(m *omnichannel.Message) error {
	if err := t.writing(); err != nil {
		return err
	}
	if _, ok := t.ws(m.WorkspaceID).messages[m.ID]; ok {
		return duplicate("message", fmt.Sprintf("id %q", m.ID))
	}
	return t.putMessage(m, nil)
}

// UpdateMessage replaces the message with m.ID; ErrNotFound when absent, ErrDuplicate when its new
// provider id or idempotency key belongs to another message.
func (t *txn) UpdateMessage(m *omnichannel.Message) error {
	if err := t.writing(); err != nil {
		return err
	}
	old, ok := t.ws(m.WorkspaceID).messages[m.ID]
	if !ok {
		return notFound("message", m.ID)
	}
	return t.putMessage(m, old)
}

// putMessage checks m's unique keys, then stores m in place of old (nil for an insert).
func (t *txn) putMessage(m, old *omnichannel.Message) error {
	r := t.ws(m.WorkspaceID)
	pk, ik := providerKey(m), idempotencyKey(m)
	if holder, ok := r.msgByProvider[pk]; ok && pk != (pair{}) && holder != m.ID {
		return duplicate("message", fmt.Sprintf("provider id %q on connection %q", m.ProviderMessageID, m.ConnectionID))
	}
	if holder, ok := r.msgByKey[ik]; ok && ik != (pair{}) && holder != m.ID {
		return duplicate("message", fmt.Sprintf("idempotency key %q in conversation %q", m.IdempotencyKey, m.ConversationID))
	}
	w := t.wsw(m.WorkspaceID)
	if old != nil {
		del(t, w.msgByProvider, providerKey(old))
		del(t, w.msgByKey, idempotencyKey(old))
	}
	if pk != (pair{}) {
		set(t, w.msgByProvider, pk, m.ID)
	}
	if ik != (pair{}) {
		set(t, w.msgByKey, ik, m.ID)
	}
	set(t, w.messages, m.ID, m.Clone())
	return nil
}

// providerKey is the unique key of m's provider id, the zero pair when it has none.
func providerKey(m *omnichannel.Message) pair {
	if m.ProviderMessageID == "" {
		return pair{}
	}
	return pair{m.ConnectionID, m.ProviderMessageID}
}

// idempotencyKey is the unique key of m's idempotency key, the zero pair when it has none.
func idempotencyKey(m *omnichannel.Message) pair {
	if m.IdempotencyKey == "" {
		return pair{}
	}
	return pair{m.ConversationID, m.IdempotencyKey}
}

func (t *txn) GetMessage(workspaceID, id string) (*omnichannel.Message, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.ws(workspaceID).messages, "message", id, (*omnichannel.Message).Clone)
}

func (t *txn) FindMessageByProviderID(workspaceID, connectionID, providerMessageID string) (*omnichannel.Message, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	w := t.ws(workspaceID)
	id, ok := w.msgByProvider[pair{connectionID, providerMessageID}]
	if !ok || providerMessageID == "" {
		return nil, notFound("message", "with provider id "+providerMessageID)
	}
	return w.messages[id].Clone(), nil
}

func (t *txn) FindMessageByIdempotencyKey(workspaceID, conversationID, key string) (*omnichannel.Message, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	w := t.ws(workspaceID)
	id, ok := w.msgByKey[pair{conversationID, key}]
	if !ok || key == "" {
		return nil, notFound("message", "with idempotency key "+key)
	}
	return w.messages[id].Clone(), nil
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
	var rows []*omnichannel.Message
	for _, m := range t.ws(workspaceID).messages {
		if m.ConversationID == conversationID && (beforeSeq <= 0 || m.Seq < beforeSeq) {
			rows = append(rows, m)
		}
	}
	slices.SortFunc(rows, bySeq)
	if len(rows) > limit {
		rows = rows[len(rows)-limit:]
	}
	return cloneAll(rows, (*omnichannel.Message).Clone), nil
}

// FindEchoCandidate returns the oldest (lowest Seq) outgoing, not failed message of the conversation
// without a provider message id, created at or after since, whose Text equals text.
func (t *txn) FindEchoCandidate(workspaceID, conversationID, text string, since time.Time) (*omnichannel.Message, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	var best *omnichannel.Message
	for _, m := range t.ws(workspaceID).messages {
		if m.ConversationID != conversationID || m.Direction != omnichannel.DirectionOut ||
			m.ProviderMessageID != "" || m.Status == omnichannel.MessageFailed ||
			m.CreatedAt.Before(since) || m.Text != text {
			continue
		}
		if best == nil || bySeq(m, best) < 0 {
			best = m
		}
	}
	if best == nil {
		return nil, notFound("message", "echo candidate")
	}
	return best.Clone(), nil
}

func bySeq(a, b *omnichannel.Message) int {
	if c := cmp.Compare(a.Seq, b.Seq); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
