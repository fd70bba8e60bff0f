package omnichannel

import (
	"github.com/google/uuid"
)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// appendEntry gives m the conversation's next seq, inserts it and updates the conversation's
// summary fields in memory (the caller saves the conversation).
func (e *Engine) appendEntry(tx Tx, ch *change, conv *Conversation, m *Message) error {
	now := e.now()
	if m.ID == "" {
		m.ID = newID()
	}
	m.WorkspaceID, m.ConversationID, m.ConnectionID = conv.WorkspaceID, conv.ID, conv.ConnectionID
	m.Seq = conv.LastSeq + 1
	// An entry a history sync imports keeps its provider time; when it is older than the thread's
	// newest entry (a sync merging into a live conversation), it must not move the summary, the
	// list order or the reply window back.
	backdated := !m.CreatedAt.IsZero() && m.CreatedAt.Before(conv.LastMessageAt)
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	m.UpdatedAt = now
	if ch.opening == conv {
		ch.pending = append(ch.pending, m)
	} else if err := tx.InsertMessage(m); err != nil {
		return err
	}
	conv.LastSeq = m.Seq
	conv.UpdatedAt = now
	switch m.Direction {
	case DirectionIn:
		conv.InboundCount++
		if !backdated {
			conv.LastInboundAt = m.CreatedAt
			conv.RepliesSinceInbound = 0
			summarize(conv, m)
		}
	case DirectionOut:
		if !backdated {
			conv.RepliesSinceInbound++
			summarize(conv, m)
		}
	}
	ch.emit(Event{Kind: EventMessageCreated, WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID,
		MessageID: m.ID, ConnectionID: conv.ConnectionID, Message: m.Clone(), At: now})
	return nil
}

func summarize(c *Conversation, m *Message) {
	c.LastMessageText = summaryText(m)
	c.LastMessageAt = m.CreatedAt
	c.LastMessageDirection = m.Direction
}

// summaryText is the list preview of a message: its text, or a word for its kind.
func summaryText(m *Message) string {
	if m.Text != "" {
		r := []rune(m.Text)
		if len(r) > 200 {
			return string(r[:200]) + "…"
		}
		return m.Text
	}
	if len(m.Attachments) > 0 {
		return "[" + string(m.Attachments[0].Kind) + "]"
	}
	return "[" + string(m.Type) + "]"
}

// record appends an activity entry (who, what, from, to; the entry's time is the when).
func (e *Engine) record(tx Tx, ch *change, conv *Conversation, a Activity) error {
	return e.appendEntry(tx, ch, conv, &Message{
		Direction: DirectionSystem, Type: MessageActivity, SenderID: a.ActorID, Status: MessageReceived,
		Activity: &a,
	})
}

// saveConversation writes conv (compare-and-set; a conversation being opened is inserted with its
// entries) and emits the update event.
func (e *Engine) saveConversation(tx Tx, ch *change, conv *Conversation, kind EventKind) error {
	conv.UpdatedAt = e.now()
	if ch.opening == conv {
		if err := e.insertOpening(tx, ch); err != nil {
			return err
		}
	} else if err := tx.UpdateConversation(conv); err != nil {
		return err
	}
	ch.emit(Event{Kind: kind, WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID,
		ConnectionID: conv.ConnectionID, Conversation: conv.Clone(), At: e.now()})
	return nil
}

// insertOpening stores the conversation opened in this transaction, then its entries. It is
// stored at Version 1, as if inserted and then saved once.
func (e *Engine) insertOpening(tx Tx, ch *change) error {
	conv, entries := ch.opening, ch.pending
	ch.opening, ch.pending = nil, nil
	if conv == nil {
		return nil
	}
	conv.Version++
	if err := tx.InsertConversation(conv); err != nil {
		return err
	}
	for _, m := range entries {
		if err := tx.InsertMessage(m); err != nil {
			return err
		}
	}
	return nil
}
