package omnichannel_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
)

func (e *env) openConversation(user string) *oc.Conversation {
	e.t.Helper()
	e.inbound(user, "first-"+user, "xin chào")
	return e.conversationOf(user)
}

func (e *env) send(conv *oc.Conversation, text, key string) *oc.Message {
	e.t.Helper()
	m, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: text, IdempotencyKey: key})
	require.NoError(e.t, err)
	return m
}

func TestReplyIsPendingThenSentAndIdempotent(t *testing.T) {
	e := newEnv(t)
	conv := e.openConversation("u1")
	m := e.send(conv, "Dạ em chào chị", "key-1")
	assert.Equal(t, oc.MessagePending, m.Status)
	again := e.send(conv, "Dạ em chào chị", "key-1")
	assert.Equal(t, m.ID, again.ID, "same idempotency key, same message")
	assert.Empty(t, e.prov.Sent(), "Send returns before any network call")

	e.drain()
	sent := e.prov.Sent()
	require.Len(t, sent, 1)
	assert.Equal(t, "u1", sent[0].Recipient)
	assert.Equal(t, "Dạ em chào chị", sent[0].Text)
	got := e.messageByID(m.ID)
	assert.Equal(t, oc.MessageSent, got.Status)
	assert.Equal(t, sent[0].ID, got.ProviderMessageID)

	// The provider echoes our send: matched by id, not stored twice.
	echo := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "out", UserID: "u1", MessageID: sent[0].ID, Text: "Dạ em chào chị"}}}.JSON()
	require.Equal(t, http.StatusOK, e.post(echo))
	assert.Equal(t, 1, countOut(e.thread(conv.ID)))
}

func TestEarlyEchoIsMatchedToThePendingSend(t *testing.T) {
	e := newEnv(t)
	conv := e.openConversation("u1")
	m := e.send(conv, "Đơn của chị đã gửi", "k")
	// The echo arrives before the worker's send call returns (here: before it even runs).
	echo := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "out", UserID: "u1", MessageID: "pm-early", Text: "Đơn của chị đã gửi"}}}.JSON()
	require.Equal(t, http.StatusOK, e.post(echo))
	got := e.messageByID(m.ID)
	assert.Equal(t, "pm-early", got.ProviderMessageID)
	assert.Equal(t, oc.MessageSent, got.Status)
	e.drain()
	assert.Empty(t, e.prov.Sent(), "a message the provider already has is not sent again")
	assert.Equal(t, 1, countOut(e.thread(conv.ID)))

	// A message typed in the provider's own console joins the thread as an agent message.
	console := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "out", UserID: "u1", MessageID: "pm-console", Text: "Gõ từ trang quản lý"}}}.JSON()
	require.Equal(t, http.StatusOK, e.post(console))
	msgs := e.thread(conv.ID)
	assert.Equal(t, 2, countOut(msgs))
	assert.Equal(t, fakechannel.AccountName, msgs[len(msgs)-1].SenderName)
}

func countOut(msgs []*oc.Message) int {
	n := 0
	for _, m := range msgs {
		if m.Direction == oc.DirectionOut {
			n++
		}
	}
	return n
}

func TestRetryableFailuresBackOffThenSucceed(t *testing.T) {
	e := newEnv(t)
	conv := e.openConversation("u1")
	e.prov.FailNext(http.StatusServiceUnavailable, "", 2)
	m := e.send(conv, "thử lại", "k")
	e.drain()
	got := e.messageByID(m.ID)
	assert.Equal(t, oc.MessagePending, got.Status)
	assert.Contains(t, got.FailureReason, "retrying")
	n, err := e.eng.RunDue(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "the retry waits for its backoff")
	e.clock.Advance(2 * time.Second)
	e.drain()
	e.clock.Advance(4 * time.Second)
	e.drain()
	got = e.messageByID(m.ID)
	assert.Equal(t, oc.MessageSent, got.Status)
	assert.Equal(t, 3, got.Attempts)
	assert.Len(t, e.prov.Sent(), 1)
}

func TestRetriesAreBounded(t *testing.T) {
	e := newEnv(t)
	conv := e.openConversation("u1")
	e.prov.FailNext(http.StatusInternalServerError, "", 6)
	m := e.send(conv, "never", "k")
	for i := 0; i < 10; i++ {
		e.drain()
		e.clock.Advance(2 * time.Minute)
	}
	got := e.messageByID(m.ID)
	assert.Equal(t, oc.MessageFailed, got.Status)
	assert.Equal(t, 6, got.Attempts, "MaxSendAttempts default")
	assert.NotEmpty(t, got.FailureReason)

	// The agent retries by hand once the provider is back.
	_, err := e.eng.RetrySend(e.ctx, ws, conv.AssigneeID, m.ID)
	require.NoError(t, err)
	e.drain()
	assert.Equal(t, oc.MessageSent, e.messageByID(m.ID).Status)
	assert.Len(t, e.prov.Sent(), 1)
}

func TestFinalFailureKeepsProviderReason(t *testing.T) {
	e := newEnv(t)
	conv := e.openConversation("u1")
	e.prov.FailNext(http.StatusForbidden, "window_closed", 1)
	m := e.send(conv, "quá hạn", "k")
	e.drain()
	got := e.messageByID(m.ID)
	assert.Equal(t, oc.MessageFailed, got.Status)
	assert.Equal(t, "window_closed", got.FailureCode)
	assert.NotEmpty(t, got.FailureReason)
	assert.Equal(t, 1, got.Attempts)
}

func TestExpiredTokenIsRefreshedAndTheSendRetriedOnce(t *testing.T) {
	e := newEnv(t)
	conv := e.openConversation("u1")
	before := e.connection().Credentials
	e.prov.ExpireAccessToken()
	m := e.send(conv, "sau khi làm mới", "k")
	e.drain()
	assert.Equal(t, oc.MessageSent, e.messageByID(m.ID).Status)
	after := e.connection().Credentials
	assert.NotEqual(t, before.AccessToken, after.AccessToken)
	assert.NotEqual(t, before.RefreshToken, after.RefreshToken, "the rotated refresh token is saved")
	logs := e.logs.String()
	for _, s := range []string{before.AccessToken, before.RefreshToken, after.AccessToken, after.RefreshToken} {
		assert.NotContains(t, logs, s)
	}
}

func TestDeadRefreshTokenMarksNeedsReconnect(t *testing.T) {
	e := newEnv(t)
	conv := e.openConversation("u1")
	// Spend the refresh token behind the engine's back: the provider rotates it, ours is now dead.
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		c, err := tx.GetConnection(ws, e.conn.ID)
		if err != nil {
			return err
		}
		c.Credentials.RefreshToken = "frt-dead"
		c.Credentials.AccessExpiry = time.Now().Add(-time.Minute)
		return tx.UpdateConnection(c)
	}))
	good := e.connection().Credentials.AccessToken
	m := e.send(conv, "x", "k")
	e.drain()
	c := e.connection()
	assert.Equal(t, oc.ConnectionNeedsReconnect, c.Status)
	assert.Equal(t, good, c.Credentials.AccessToken, "good tokens are never overwritten with empty ones")
	assert.Equal(t, oc.MessageFailed, e.messageByID(m.ID).Status)
	_, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: "y"})
	assert.ErrorIs(t, err, oc.ErrNeedsReconnect)
}

func (e *env) connection() *oc.Connection {
	e.t.Helper()
	var c *oc.Connection
	require.NoError(e.t, e.store.View(e.ctx, func(tx oc.Tx) (err error) {
		c, err = tx.GetConnection(ws, e.conn.ID)
		return err
	}))
	return c
}

func TestInterruptedSendIsNotRepeatedBlindly(t *testing.T) {
	e := newEnv(t)
	conv := e.openConversation("u1")
	m := e.send(conv, "x", "k")
	// Simulate a worker that marked the job started and died before recording the outcome.
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		jobs, err := tx.ClaimJobs("dead-worker", e.clock.Now(), time.Second, 10)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			j.Started = true
			if err := tx.UpdateJob(j); err != nil {
				return err
			}
		}
		return nil
	}))
	e.clock.Advance(2 * time.Second)
	e.drain()
	got := e.messageByID(m.ID)
	assert.Equal(t, oc.MessageFailed, got.Status)
	assert.Equal(t, "delivery_unknown", got.FailureCode)
	assert.Empty(t, e.prov.Sent())
}

// limited is the fake channel with a reply window and no files, like TikTok.
type limited struct{ *fakechannel.Channel }

func (l limited) Capabilities() oc.Capabilities {
	c := l.Channel.Capabilities()
	c.Files, c.ReplyWindow, c.MaxRepliesInWindow, c.MaxTextLength = false, 48*time.Hour, 2, 20
	return c
}

func TestChannelLimitsAreRefusedBeforeAnyNetworkCall(t *testing.T) {
	e := newEnv(t, withChannel(func(c *fakechannel.Channel) oc.Channel { return limited{c} }))
	conv := e.openConversation("u1")
	user := conv.AssigneeID
	send := func(p oc.SendParams) error {
		p.WorkspaceID, p.ConversationID, p.UserID = ws, conv.ID, user
		_, err := e.eng.Send(e.ctx, p)
		return err
	}
	pdf, err := e.eng.UploadAttachment(e.ctx, ws, user, "báo giá.pdf", bytes.NewReader([]byte("%PDF-1.4\n%âãÏÓ\n1 0 obj\n")))
	require.NoError(t, err)
	assert.Equal(t, oc.MessageFile, pdf.Kind)
	assert.Equal(t, "application/pdf", pdf.ContentType)

	err = send(oc.SendParams{Attachments: []oc.Attachment{pdf}})
	assert.ErrorIs(t, err, oc.ErrUnsupported)
	assert.ErrorIs(t, err, oc.ErrInvalid)
	assert.Contains(t, err.Error(), "cannot send file")
	err = send(oc.SendParams{Text: strings.Repeat("a", 21)})
	assert.ErrorIs(t, err, oc.ErrInvalid)
	assert.Contains(t, err.Error(), "at most 20")
	assert.ErrorIs(t, send(oc.SendParams{Text: "  "}), oc.ErrInvalid)

	require.NoError(t, send(oc.SendParams{Text: "một"}))
	require.NoError(t, send(oc.SendParams{Text: "hai"}))
	err = send(oc.SendParams{Text: "ba"})
	assert.ErrorIs(t, err, oc.ErrOutsideWindow, "reply cap reached")
	w := e.eng.Window(e.conversationOf("u1"))
	assert.Equal(t, 0, w.RemainingReplies)
	assert.False(t, w.Open)

	e.inbound("u1", "m2", "khách viết lại")
	require.NoError(t, send(oc.SendParams{Text: "ba"}), "a customer message reopens the window")
	e.clock.Advance(49 * time.Hour)
	err = send(oc.SendParams{Text: "muộn"})
	assert.ErrorIs(t, err, oc.ErrOutsideWindow)
	assert.Contains(t, err.Error(), "closed at")
	e.drain()
	assert.Len(t, e.prov.Sent(), 3, "only the accepted messages reached the provider")
}

func TestImageAttachmentIsUploadedAndSent(t *testing.T) {
	e := newEnv(t)
	conv := e.openConversation("u1")
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
	att, err := e.eng.UploadAttachment(e.ctx, ws, conv.AssigneeID, "../../ảnh <x>.png", bytes.NewReader(png))
	require.NoError(t, err)
	assert.Equal(t, oc.MessageImage, att.Kind)
	assert.Equal(t, "image/png", att.ContentType)
	assert.NotContains(t, att.BlobKey, "..")
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Attachments: []oc.Attachment{att}})
	require.NoError(t, err)
	e.drain()
	sent := e.prov.Sent()
	require.Len(t, sent, 1)
	require.Len(t, sent[0].Attachments, 1)
	assert.Equal(t, png, sent[0].Attachments[0].Data)

	// A file whose name says image but whose bytes are HTML is not an image.
	fake, err := e.eng.UploadAttachment(e.ctx, ws, conv.AssigneeID, "x.png", strings.NewReader("<html><script>alert(1)</script>"))
	require.NoError(t, err)
	assert.Equal(t, oc.MessageFile, fake.Kind)
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Attachments: []oc.Attachment{fake}})
	assert.True(t, errors.Is(err, oc.ErrUnsupported), "text/html is not an accepted file type: %v", err)
}
