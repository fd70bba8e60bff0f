package inboxapi

import (
	"context"
	"errors"

	"github.com/dakenh/dakenh/omnichannel"
)

// readWorkspace runs fn with a reader of u's workspace after checking that u is an active user of
// it and that it is not suspended (omnichannel.Engine.ReadAs: an error wrapping ErrForbidden
// otherwise).
func (h *handler) readWorkspace(ctx context.Context, u *omnichannel.User, fn func(r *omnichannel.WorkspaceReader) error) error {
	return h.eng.ReadAs(ctx, u.WorkspaceID, u.ID, fn)
}

// unreadOf counts the customer messages of c that userID has not read.
func unreadOf(rd *omnichannel.WorkspaceReader, userID string, c *omnichannel.Conversation) (int64, error) {
	rs, err := rd.ReadState(userID, c.ID)
	if errors.Is(err, omnichannel.ErrNotFound) {
		return c.InboundCount, nil
	}
	if err != nil {
		return 0, err
	}
	return max(c.InboundCount-rs.InboundCount, 0), nil
}

// avatarOf returns the customer's picture on the conversation's channel, or the contact's.
func avatarOf(rd *omnichannel.WorkspaceReader, c *omnichannel.Conversation) (string, error) {
	if c.IdentityID != "" {
		id, err := rd.Identity(c.IdentityID)
		if err == nil && id.AvatarURL != "" {
			return id.AvatarURL, nil
		}
		if err != nil && !errors.Is(err, omnichannel.ErrNotFound) {
			return "", err
		}
	}
	if c.ContactID != "" {
		ct, err := rd.Contact(c.ContactID)
		if err == nil {
			return ct.AvatarURL, nil
		}
		if !errors.Is(err, omnichannel.ErrNotFound) {
			return "", err
		}
	}
	return "", nil
}

// conversationsFor converts conversations for u: unread counts (from unread when given, else read
// from the store) and avatars. The conversations must be of u's workspace and visible to u.
func (h *handler) conversationsFor(ctx context.Context, u *omnichannel.User, convs []*omnichannel.Conversation, unread map[string]int64) ([]Conversation, error) {
	out := make([]Conversation, 0, len(convs))
	err := h.eng.ReadWorkspace(ctx, u.WorkspaceID, func(rd *omnichannel.WorkspaceReader) error {
		out = out[:0]
		for _, c := range convs {
			if c.WorkspaceID != u.WorkspaceID {
				continue
			}
			n := unread[c.ID]
			if unread == nil {
				var err error
				if n, err = unreadOf(rd, u.ID, c); err != nil {
					return err
				}
			}
			avatar, err := avatarOf(rd, c)
			if err != nil {
				return err
			}
			out = append(out, conversationWire(c, n, avatar))
		}
		return nil
	})
	return out, err
}

// conversationFor converts one conversation for u.
func (h *handler) conversationFor(ctx context.Context, u *omnichannel.User, c *omnichannel.Conversation) (Conversation, error) {
	out, err := h.conversationsFor(ctx, u, []*omnichannel.Conversation{c}, nil)
	if err != nil {
		return Conversation{}, err
	}
	if len(out) == 0 {
		return Conversation{}, omnichannel.ErrNotFound
	}
	return out[0], nil
}

// quoteOf returns the engine id of the message m quotes, when m quotes a stored message of its own
// conversation; "" otherwise.
func quoteOf(rd *omnichannel.WorkspaceReader, m *omnichannel.Message) (string, error) {
	if m.QuoteProviderMessageID == "" {
		return "", nil
	}
	q, err := rd.MessageByProviderID(m.ConnectionID, m.QuoteProviderMessageID)
	switch {
	case err == nil && q.ConversationID == m.ConversationID:
		return q.ID, nil
	case err != nil && !errors.Is(err, omnichannel.ErrNotFound):
		return "", err
	}
	return "", nil
}

// messagesFor converts messages of u's workspace, resolving quoted provider ids to engine ids.
func (h *handler) messagesFor(ctx context.Context, u *omnichannel.User, msgs []*omnichannel.Message) ([]Message, error) {
	out := make([]Message, 0, len(msgs))
	err := h.eng.ReadWorkspace(ctx, u.WorkspaceID, func(rd *omnichannel.WorkspaceReader) error {
		out = out[:0]
		for _, m := range msgs {
			if m.WorkspaceID != u.WorkspaceID {
				continue
			}
			quote, err := quoteOf(rd, m)
			if err != nil {
				return err
			}
			out = append(out, messageWire(m, quote))
		}
		return nil
	})
	return out, err
}

func (h *handler) messageFor(ctx context.Context, u *omnichannel.User, m *omnichannel.Message) (Message, error) {
	out, err := h.messagesFor(ctx, u, []*omnichannel.Message{m})
	if err != nil {
		return Message{}, err
	}
	if len(out) == 0 {
		return Message{}, omnichannel.ErrNotFound
	}
	return out[0], nil
}
