package omnichannel

// noteInteraction moves the reply window of ident's conversation on conn forward to the time of
// ev, for channels whose window runs from the customer's last interaction
// (Capabilities.InteractionsOpenWindow): following the account, sharing information. Nothing else
// of the conversation changes (no unread, no list move, no reply count), and a conversation is
// never opened for it. conv is the conversation when the caller has it (nil: read here).
func (e *Engine) noteInteraction(tx Tx, ch *change, conn *Connection, ident *Identity, conv *Conversation, ev InboundEvent) error {
	if !e.countsInteractions(conn) || ident == nil {
		return nil
	}
	if conv == nil {
		var err error
		conv, err = tx.FindConversation(conn.WorkspaceID, conn.ID, ident.ID)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	if !e.bumpInteraction(conn, conv, ev) || ch.opening == conv {
		return nil // unchanged, or saved complete by the caller
	}
	return e.saveConversation(tx, ch, conv, EventConversationUpdated)
}

func (e *Engine) countsInteractions(conn *Connection) bool {
	a := e.channels[conn.Kind]
	return a != nil && a.Capabilities().InteractionsOpenWindow
}

// bumpInteraction moves conv.LastInboundAt (in memory) to the time of ev, never back and never
// past now, on channels that count interactions; it reports whether it moved.
func (e *Engine) bumpInteraction(conn *Connection, conv *Conversation, ev InboundEvent) bool {
	if !e.countsInteractions(conn) {
		return false
	}
	at := e.now()
	if !ev.Time.IsZero() && ev.Time.Before(at) {
		at = ev.Time
	}
	if !at.After(conv.LastInboundAt) {
		return false
	}
	conv.LastInboundAt = at
	return true
}
