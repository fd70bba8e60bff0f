package omnichannel

import (
	"strings"
	"unicode/utf8"
)

// maxReactionBytes bounds a stored reaction: emoji are short, anything longer is provider junk.
const maxReactionBytes = 64

// ingestReaction applies an InboundReaction to the message it targets (see InboundReaction): the
// reaction is added or removed on that message alone and EventMessageUpdated is emitted. The
// conversation is not read or written, so unread counts, list order, summary, reply window and
// reply count cannot change. A target the connection does not have is logged once per connection
// (without any customer text) and the event is acknowledged.
func (e *Engine) ingestReaction(tx Tx, ch *change, conn *Connection, ev InboundEvent) error {
	emoji := cleanReaction(ev.Reaction)
	if ev.ReactionTargetID == "" || (emoji == "" && !ev.ReactionRemoved) {
		return nil
	}
	m, err := tx.FindMessageByProviderID(conn.WorkspaceID, conn.ID, ev.ReactionTargetID)
	if isNotFound(err) {
		e.logUnknownOnce("reaction to a message this connection does not have (logged once per connection)",
			"reaction:"+conn.ID)
		return nil
	}
	if err != nil {
		return err
	}
	dir := ev.Direction
	if dir != DirectionOut {
		dir = DirectionIn
	}
	by := ""
	if dir == DirectionIn && ev.ExternalUserID != "" {
		ident, err := tx.FindIdentity(conn.WorkspaceID, conn.ID, ev.ExternalUserID)
		switch {
		case err == nil:
			by = ident.ID
		case !isNotFound(err):
			return err
		}
	}
	if !applyReaction(m, Reaction{Emoji: emoji, Direction: dir, By: by, At: e.now()}, ev.ReactionRemoved) {
		return nil // a repeated delivery, or the removal of a reaction that is not there
	}
	return e.saveMessage(tx, ch, m)
}

// applyReaction adds r to m (one per reactor, direction and emoji) or, with remove, takes the
// reactor's reaction away (that emoji, or every one of theirs when r.Emoji is ""). A business
// reaction without a reactor (the provider's echo of a reaction, which names no agent) matches
// every business reaction, so the echo of an agent's reaction adds nothing, and an agent's reaction
// takes over such an echo when the echo came first. It reports whether m changed.
func applyReaction(m *Message, r Reaction, remove bool) bool {
	same := func(x Reaction) bool {
		return x.Direction == r.Direction && (x.By == r.By || (r.Direction == DirectionOut && (r.By == "" || x.By == "")))
	}
	if remove {
		kept := m.Reactions[:0:0]
		for _, x := range m.Reactions {
			if same(x) && (r.Emoji == "" || x.Emoji == r.Emoji) {
				continue
			}
			kept = append(kept, x)
		}
		changed := len(kept) != len(m.Reactions)
		m.Reactions = kept
		return changed
	}
	for i, x := range m.Reactions {
		if r.Direction == DirectionOut && r.By != "" && x.Direction == DirectionOut && x.By == "" && x.Emoji == r.Emoji {
			// The provider's echo of this agent's reaction came first: it is the agent's.
			m.Reactions[i].By = r.By
			return true
		}
		if same(x) && x.Emoji == r.Emoji {
			return false
		}
	}
	m.Reactions = append(m.Reactions, r)
	return true
}

// cleanReaction makes a provider's reaction storable and harmless: valid UTF-8 without control
// characters, at most maxReactionBytes.
func cleanReaction(s string) string {
	s = strings.TrimSpace(cleanString(s))
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '<' || r == '>' || r == '&' || r == '"' {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > maxReactionBytes {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
