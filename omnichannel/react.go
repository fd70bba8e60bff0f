package omnichannel

import (
	"context"
	"fmt"
	"slices"
)

// ReactParams is an agent's reaction to a message of a conversation.
type ReactParams struct {
	WorkspaceID string
	// MessageID is the engine id of the message reacted to; it must have a provider message id.
	MessageID string
	// UserID is the agent; the Authorizer decides as for Send (ActionSend).
	UserID string
	// Emoji is one of the channel's Reactor.ReactionEmojis.
	Emoji string
	// Remove withdraws the agent's reaction instead.
	Remove bool
}

// ReactionEmojis returns the emoji agents may react with on channel kind, nil when the channel
// cannot send reactions.
func (e *Engine) ReactionEmojis(kind Kind) []string {
	if r, ok := e.channels[kind].(Reactor); ok {
		return r.ReactionEmojis()
	}
	return nil
}

// React sends an agent's reaction to a message through the channel and, once the provider
// accepted it, records it on the message (EventMessageUpdated; nothing else of the conversation
// changes). The provider call is made at once, not through the outbox: a reaction is not worth a
// retry later. Channels whose adapter is no Reactor, and emoji it does not list, are refused with
// an error wrapping ErrUnsupported before any network call; so is a message without a provider id
// (ErrInvalid), a closed window (ErrOutsideWindow) and a customer who cannot be addressed
// (ErrNoReplyRoute). Provider refusals are returned as the adapter classified them.
func (e *Engine) React(ctx context.Context, p ReactParams) (*Message, error) {
	var conn *Connection
	var ident *Identity
	var target *Message
	var reactor Reactor
	err := e.cfg.Store.View(ctx, func(tx Tx) error {
		m, err := tx.GetMessage(p.WorkspaceID, p.MessageID)
		if err != nil {
			return err
		}
		conv, c, _, err := e.loadForAction(ctx, tx, p.WorkspaceID, m.ConversationID, p.UserID, ActionSend)
		if err != nil {
			return err
		}
		r, ok := e.channels[c.Kind].(Reactor)
		if !ok {
			return fmt.Errorf("%w: this channel cannot send reactions", ErrUnsupported)
		}
		if !slices.Contains(r.ReactionEmojis(), p.Emoji) {
			return fmt.Errorf("%w: this channel does not take that reaction", ErrUnsupported)
		}
		if m.ProviderMessageID == "" || m.Direction == DirectionSystem {
			return invalid("only a message the provider knows can get a reaction", "", ProblemNotReactable)
		}
		if c.Status != ConnectionConnected {
			return fmt.Errorf("%w: %s", ErrNeedsReconnect, c.DisplayName)
		}
		if err := e.checkWindow(e.channels[c.Kind].Capabilities(), conv); err != nil {
			return err
		}
		if ident, err = tx.GetIdentity(p.WorkspaceID, conv.IdentityID); err != nil {
			return err
		}
		if err := identityRoute(ident); err != nil {
			return err
		}
		conn, target, reactor = c, m, r
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := OutboundReaction{RecipientID: ident.ExternalUserID, RecipientAnonymous: ident.Anonymous,
		RecipientConversationID: ident.ProviderConversationID, ProviderMessageID: target.ProviderMessageID,
		Emoji: p.Emoji, Remove: p.Remove}
	if err := e.callWithFreshToken(ctx, conn, func(c *Connection) error { return reactor.React(ctx, c, out) }); err != nil {
		return nil, err
	}
	var saved *Message
	err = e.update(context.WithoutCancel(ctx), func(tx Tx, ch *change) error {
		m, err := tx.GetMessage(p.WorkspaceID, p.MessageID)
		if err != nil {
			return err
		}
		saved = m
		if applyReaction(m, Reaction{Emoji: p.Emoji, Direction: DirectionOut, By: p.UserID, At: e.now()}, p.Remove) {
			return e.saveMessage(tx, ch, m)
		}
		return nil
	})
	return saved, err
}
