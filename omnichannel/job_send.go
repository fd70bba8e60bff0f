package omnichannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// runSend delivers one pending message. The job is marked Started (and saved) before the provider
// call, so a crash mid-call never leads to a blind second send: the next run finds Started and either
// sees the provider's echo (sent) or fails the message with ErrDeliveryUnknown.
func (e *Engine) runSend(ctx context.Context, j *Job) error {
	var m *Message
	var conv *Conversation
	var conn *Connection
	var ident *Identity
	firstReply := false
	done := false
	err := e.update(ctx, func(tx Tx, ch *change) (err error) {
		done = false
		if m, err = tx.GetMessage(j.WorkspaceID, j.MessageID); err != nil {
			if isNotFound(err) {
				done = true
				return tx.DeleteJob(j.ID)
			}
			return err
		}
		if m.Status != MessagePending && m.Status != MessageSending {
			done = true
			return tx.DeleteJob(j.ID)
		}
		if j.Started {
			done = true
			if m.ProviderMessageID != "" {
				m.Status = MessageSent
			} else {
				m.Status, m.FailureCode, m.FailureReason = MessageFailed, "delivery_unknown",
					"the send was interrupted; check the conversation on the channel before retrying"
				m.FailureReasonCode = FailureDeliveryUnknown
			}
			if err := e.saveMessage(tx, ch, m); err != nil {
				return err
			}
			return tx.DeleteJob(j.ID)
		}
		if conv, err = tx.GetConversation(j.WorkspaceID, m.ConversationID); err != nil {
			return err
		}
		if conn, err = tx.GetConnection(j.WorkspaceID, conv.ConnectionID); err != nil {
			return err
		}
		if ident, err = tx.GetIdentity(j.WorkspaceID, conv.IdentityID); err != nil {
			return err
		}
		if len(m.Attachments) > 0 {
			if firstReply, err = noEarlierReply(tx, m); err != nil {
				return err
			}
		}
		j.Started = true
		j.Attempts++
		if err := tx.UpdateJob(j); err != nil {
			return err
		}
		m.Status, m.Attempts = MessageSending, j.Attempts
		return e.saveMessage(tx, ch, m)
	})
	if err != nil || done {
		return err
	}
	adapter := e.channels[conn.Kind]
	if adapter == nil {
		return e.finishSend(ctx, j, m, SendResult{}, fmt.Errorf("%w: no adapter for %q", ErrUnsupported, conn.Kind))
	}
	if err := identityRoute(ident); err != nil {
		return e.finishSend(ctx, j, m, SendResult{}, err)
	}
	out := &OutboundMessage{ConversationID: conv.ID, MessageID: m.ID, RecipientID: ident.ExternalUserID,
		Text: m.Text, QuoteProviderMessageID: m.QuoteProviderMessageID, RecipientAnonymous: ident.Anonymous,
		RecipientConversationID: ident.ProviderConversationID, InfoRequest: m.Type == MessageInfoRequest,
		ConnectionAvatarURL: conn.AvatarURL, FirstReply: firstReply, LastInboundAt: conv.LastInboundAt}
	for _, a := range m.Attachments {
		key := a.BlobKey
		out.Attachments = append(out.Attachments, OutboundAttachment{Kind: a.Kind, Name: a.Name, ContentType: a.ContentType,
			Size: a.Size, Open: func(ctx context.Context) (io.ReadCloser, error) { return e.cfg.Blobs.Open(ctx, key) }})
	}
	var res SendResult
	sendErr := e.callWithFreshToken(ctx, conn, func(c *Connection) (err error) {
		sctx, cancel := context.WithTimeout(ctx, e.cfg.JobLease/2)
		defer cancel()
		sctx, span := e.tel.span(sctx, "dakenh.send", AttrChannel.String(string(conn.Kind)), attribute.Int("dakenh.attempt", j.Attempts+1))
		start := time.Now()
		res, err = adapter.Send(sctx, c, out)
		e.tel.recordSend(sctx, span, conn.Kind, start, err, err != nil && IsRetryable(err) && j.Attempts+1 < e.cfg.MaxSendAttempts)
		return err
	})
	if sendErr != nil && ctx.Err() != nil {
		// Interrupted by shutdown (Close, Run's context): the provider may have the message or not.
		// The job stays started and is released; its next run, here or in another process,
		// settles it from the provider's echo or as delivery unknown, never sending it twice.
		return ctx.Err()
	}
	return e.finishSend(ctx, j, m, res, sendErr)
}

// noEarlierReply reports whether none of the 200 entries before m is a business message the
// provider accepted (see OutboundMessage.FirstReply).
func noEarlierReply(tx Tx, m *Message) (bool, error) {
	prev, err := tx.ListMessages(m.WorkspaceID, m.ConversationID, m.Seq, 200)
	if err != nil {
		return false, err
	}
	for _, p := range prev {
		if p.Direction == DirectionOut && p.ProviderMessageID != "" {
			return false, nil
		}
	}
	return true, nil
}

// finishSend records the outcome of a provider call: sent, retry later with backoff, or failed with
// the provider's reason.
func (e *Engine) finishSend(ctx context.Context, j *Job, m *Message, res SendResult, sendErr error) error {
	retry := sendErr != nil && IsRetryable(sendErr) && j.Attempts < e.cfg.MaxSendAttempts
	// Record the outcome even if ctx was cancelled meanwhile: the provider call already happened.
	sctx := context.WithoutCancel(ctx)
	return e.update(sctx, func(tx Tx, ch *change) error {
		cur, err := tx.GetMessage(m.WorkspaceID, m.ID)
		if err != nil {
			return err
		}
		switch {
		case sendErr == nil:
			if cur.ProviderMessageID == "" {
				cur.ProviderMessageID = res.ProviderMessageID
			}
			st := res.Status
			if st == "" {
				st = MessageSent
			}
			if cur.Status.Rank() < st.Rank() || cur.Status == MessageSending {
				cur.Status = st
			}
			cur.FailureCode, cur.FailureReason, cur.FailureReasonCode = "", "", ""
		case retry:
			cur.Status = MessagePending
			cur.FailureReason = "retrying: " + failureText(sendErr)
			cur.FailureReasonCode = FailureReasonOf(sendErr)
			j.Started = false
			j.RunAt = e.now().Add(e.retryDelay(j.Attempts, sendErr))
			j.LastError = failureText(sendErr)
			j.LockedUntil = e.now()
			if err := e.saveMessage(tx, ch, cur); err != nil {
				return err
			}
			return tx.UpdateJob(j)
		default:
			cur.Status = MessageFailed
			cur.FailureCode, cur.FailureReason, cur.FailureReasonCode = failureCode(sendErr), failureText(sendErr), FailureReasonOf(sendErr)
			e.log.Warn("dakenh: send failed", "message", cur.ID, "conversation", cur.ConversationID,
				"attempts", j.Attempts, "code", cur.FailureCode, "reason", cur.FailureReasonCode)
		}
		if err := e.saveMessage(tx, ch, cur); err != nil {
			return err
		}
		return tx.DeleteJob(j.ID)
	})
}

func failureCode(err error) string {
	var pe *ProviderError
	switch {
	case errors.As(err, &pe):
		if pe.Code != "" {
			return pe.Code
		}
		return "provider_error"
	case errors.Is(err, ErrOutsideWindow):
		return "outside_window"
	case errors.Is(err, ErrNeedsReconnect):
		return "needs_reconnect"
	case errors.Is(err, ErrUnsupported):
		return "unsupported"
	case errors.Is(err, ErrNoReplyRoute):
		return "no_reply_route"
	}
	return "error"
}

// failureText is the reason shown to agents: the provider's readable message when there is one.
func failureText(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) && pe.Message != "" {
		return pe.Message
	}
	return err.Error()
}
