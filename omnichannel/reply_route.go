package omnichannel

import (
	"context"
	"fmt"
)

// ReplyRoute reports whether the engine can address the customer of conv: nil when it can, an
// error wrapping ErrNoReplyRoute when the customer is anonymous (Identity.Anonymous) and their
// provider conversation id was never stored (conversations of Zalo anonymous users from before
// the id was kept; the customer's next message brings it). Send, RequestInfo and React refuse
// such conversations with the same error before any provider call; the inbox uses ReplyRoute to
// say so instead of offering the reply box.
func (e *Engine) ReplyRoute(ctx context.Context, conv *Conversation) error {
	return e.cfg.Store.View(ctx, func(tx Tx) error { return replyRoute(tx, conv) })
}

func replyRoute(tx Tx, conv *Conversation) error {
	ident, err := tx.GetIdentity(conv.WorkspaceID, conv.IdentityID)
	if err != nil {
		return err
	}
	return identityRoute(ident)
}

func identityRoute(ident *Identity) error {
	if ident.Anonymous && ident.ProviderConversationID == "" {
		return fmt.Errorf("%w: the customer wrote anonymously and their conversation id is not known; "+
			"the reply box opens when they write again", ErrNoReplyRoute)
	}
	return nil
}
