package tiktok_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/dakenh/dakenh/internal/testlog"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

const ws = "ws-tt"

// engineEnv is an omnichannel.Engine over a memory store with the TikTok adapter, the TikTok
// emulator and a real webhook endpoint.
type engineEnv struct {
	t      *testing.T
	ctx    context.Context
	srv    *tiktoktest.Server
	ch     *tiktok.Channel
	eng    *oc.Engine
	store  *memory.Store
	hook   *httptest.Server
	hits   atomic.Int64 // webhook deliveries received
	logs   *testlog.Buffer
	conn   *oc.Connection
	hookTo string // the TikTok webhook URL
}

func newEngineEnv(t *testing.T, seed func(*tiktoktest.Server)) *engineEnv {
	t.Helper()
	e := &engineEnv{t: t, ctx: context.Background(), srv: tiktoktest.New(tiktoktest.Options{}), store: memory.New(), logs: &testlog.Buffer{}}
	t.Cleanup(e.srv.Close)
	if seed != nil {
		seed(e.srv)
	}
	e.ch = newAdapter(t, e.srv, e.logs)
	router, err := routing.New(routing.Config{})
	require.NoError(t, err)
	e.eng, err = oc.New(oc.Config{Store: e.store, Channels: []oc.Channel{e.ch}, Router: router,
		Blobs: oc.DirBlobStore{Dir: t.TempDir()}, Logger: e.logs.Logger(), RetryBaseDelay: time.Millisecond,
		RetryMaxDelay: time.Millisecond})
	require.NoError(t, err)
	handler := http.StripPrefix("/webhooks", e.eng.WebhookHandler())
	e.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(e.hook.Close)
	e.hookTo = e.hook.URL + "/webhooks/tiktok"
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		for _, u := range []*oc.User{{ID: "sup", Name: "Trần Giám Sát", Role: oc.RoleSupervisor}, {ID: "a1", Name: "Minh", Role: oc.RoleAgent}} {
			u.WorkspaceID, u.Active = ws, true
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	}))
	c := e.srv.Connection()
	c.WorkspaceID = ws
	e.conn, err = e.eng.AddConnection(e.ctx, "sup", *c)
	require.NoError(t, err)
	e.runDue() // the history sync of the new connection
	return e
}

// runDue runs every job due now (sends, media copies, profile fetches, history sync).
func (e *engineEnv) runDue() {
	e.t.Helper()
	for i := 0; i < 20; i++ {
		n, err := e.eng.RunDue(e.ctx)
		require.NoError(e.t, err)
		if n == 0 {
			return
		}
	}
}

func (e *engineEnv) conversation(userID string) *oc.Conversation {
	e.t.Helper()
	var conv *oc.Conversation
	require.NoError(e.t, e.store.View(e.ctx, func(tx oc.Tx) error {
		id, err := tx.FindIdentity(ws, e.conn.ID, e.srv.ConversationID(userID))
		if err != nil {
			return err
		}
		conv, err = tx.FindConversation(ws, e.conn.ID, id.ID)
		return err
	}))
	return conv
}

// thread returns the non-activity entries of userID's conversation.
func (e *engineEnv) thread(userID string) []*oc.Message {
	e.t.Helper()
	conv := e.conversation(userID)
	var out []*oc.Message
	require.NoError(e.t, e.store.View(e.ctx, func(tx oc.Tx) error {
		all, err := tx.ListMessages(ws, conv.ID, 0, 500)
		for _, m := range all {
			if m.Direction != oc.DirectionSystem {
				out = append(out, m)
			}
		}
		return err
	}))
	return out
}

func (e *engineEnv) connection() *oc.Connection {
	e.t.Helper()
	var c *oc.Connection
	require.NoError(e.t, e.store.View(e.ctx, func(tx oc.Tx) (err error) {
		c, err = tx.GetConnection(ws, e.conn.ID)
		return err
	}))
	return c
}

func (e *engineEnv) says(userID, name, text string) string {
	e.t.Helper()
	id, err := e.srv.CustomerSays(e.ctx, e.hookTo, userID, name, text)
	require.NoError(e.t, err)
	return id
}

func (e *engineEnv) send(userID, text string, atts ...oc.Attachment) (*oc.Message, error) {
	return e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: e.conversation(userID).ID, UserID: "sup",
		Text: text, Attachments: atts, IdempotencyKey: text + time.Now().String()})
}

func (e *engineEnv) requestsTo(endpoint string) []tiktoktest.RecordedRequest {
	var out []tiktoktest.RecordedRequest
	for _, r := range e.srv.Requests() {
		if strings.HasSuffix(r.Path, endpoint) {
			out = append(out, r)
		}
	}
	return out
}

func TestEngineInboundReplyAndDuplicates(t *testing.T) {
	e := newEngineEnv(t, nil)
	msgID := e.says("u1", "Lan Nguyễn", "Shop ơi, còn áo size M không?")

	th := e.thread("u1")
	require.Len(t, th, 1)
	require.Equal(t, "Shop ơi, còn áo size M không?", th[0].Text)
	require.Equal(t, msgID, th[0].ProviderMessageID)
	conv := e.conversation("u1")
	require.Equal(t, "Lan Nguyễn", conv.ContactName)

	// TikTok delivers at least once: the same message again (a retry, signed anew) changes nothing.
	convID := e.srv.ConversationID("u1")
	again := map[string]any{"conversation_id": convID, "message_id": msgID, "timestamp": time.Now().UnixMilli(), "type": "text",
		"text": map[string]any{"body": "Shop ơi, còn áo size M không?"}, "from": "Lan Nguyễn",
		"from_user": map[string]any{"id": "u1"}, "to_user": map[string]any{"id": e.srv.BusinessID()}}
	require.NoError(t, e.srv.PostWebhook(e.ctx, e.hookTo, "im_receive_msg", again))
	require.Len(t, e.thread("u1"), 1)

	m, err := e.send("u1", "Dạ còn ạ, chị lấy mấy áo ạ?")
	require.NoError(t, err)
	require.Equal(t, oc.MessagePending, m.Status)
	e.runDue()

	sent := e.srv.Sent()
	require.Len(t, sent, 1)
	require.Equal(t, "Dạ còn ạ, chị lấy mấy áo ạ?", sent[0].Text)
	reqs := e.requestsTo(tiktoktest.EndpointSend)
	require.Len(t, reqs, 1)
	require.Equal(t, http.MethodPost, reqs[0].Method)
	require.Equal(t, e.connection().Credentials.AccessToken, reqs[0].Header.Get("Access-Token"))
	require.JSONEq(t, `{"business_id":"`+e.srv.BusinessID()+`","recipient_type":"CONVERSATION","recipient":"`+convID+
		`","message_type":"TEXT","text":{"body":"Dạ còn ạ, chị lấy mấy áo ạ?"}}`, string(reqs[0].Body))

	th = e.thread("u1")
	require.Len(t, th, 2)
	require.Equal(t, oc.MessageSent, th[1].Status)
	require.Equal(t, sent[0].ID, th[1].ProviderMessageID)
}

func TestEngineEarlyEchoNotDuplicated(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.says("u1", "Lan", "Còn hàng không shop?")
	e.srv.SetEchoURL(e.hookTo) // the echo reaches the inbox before the send call returns
	before := e.hits.Load()

	_, err := e.send("u1", "Dạ còn ạ")
	require.NoError(t, err)
	e.runDue()
	require.Equal(t, before+1, e.hits.Load(), "the emulator posted the echo during the send call")

	th := e.thread("u1")
	require.Len(t, th, 2, "the early echo was matched to the pending message, not stored again")
	require.Equal(t, oc.DirectionOut, th[1].Direction)
	require.Equal(t, oc.MessageSent, th[1].Status)
	require.Equal(t, e.srv.Sent()[0].ID, th[1].ProviderMessageID)
	require.Equal(t, "sup", th[1].SenderID)

	// A late duplicate of the same echo changes nothing either.
	echo := map[string]any{"conversation_id": e.srv.ConversationID("u1"), "message_id": e.srv.Sent()[0].ID, "type": "text",
		"text": map[string]any{"body": "Dạ còn ạ"}, "from_user": map[string]any{"id": e.srv.BusinessID()}}
	require.NoError(t, e.srv.PostWebhook(e.ctx, e.hookTo, "im_send_msg", echo))
	require.Len(t, e.thread("u1"), 2)

	// A message typed in the TikTok app joins the thread as a business message.
	_, err = e.srv.BusinessSaysInApp(e.ctx, e.hookTo, "u1", "Shop gửi chị mã giảm giá nhé")
	require.NoError(t, err)
	th = e.thread("u1")
	require.Len(t, th, 3)
	require.Equal(t, oc.DirectionOut, th[2].Direction)
	require.Equal(t, "", th[2].SenderID)
}

func TestEngineMarkReadReferralAndEU(t *testing.T) {
	e := newEngineEnv(t, nil)
	require.NoError(t, e.srv.CustomerArrivesFromAd(e.ctx, e.hookTo, "u1", "Lan", "1789", "Summer sale"))
	require.Contains(t, e.conversation("u1").Referral, "Summer sale")

	e.says("u1", "Lan", "Mình xem quảng cáo, tư vấn giúp mình")
	require.Contains(t, e.conversation("u1").Referral, "Summer sale", "the referral stays on the conversation")

	_, err := e.send("u1", "Dạ chị cần tư vấn mẫu nào ạ?")
	require.NoError(t, err)
	e.runDue()
	require.Equal(t, oc.MessageSent, e.thread("u1")[1].Status)
	time.Sleep(2 * time.Millisecond) // the read receipt's millisecond time is after the send
	require.NoError(t, e.srv.CustomerReads(e.ctx, e.hookTo, "u1"))
	require.Equal(t, oc.MessageSeen, e.thread("u1")[1].Status)

	// An EEA customer: the webhook carries no content; the engine calls FetchContent.
	before := len(e.requestsTo(tiktoktest.EndpointContent))
	id, err := e.srv.CustomerSaysEU(e.ctx, e.hookTo, "u-eu", "Anna", "Hallo, ist das noch da?")
	require.NoError(t, err)
	th := e.thread("u-eu")
	require.Len(t, th, 1)
	require.Equal(t, "Hallo, ist das noch da?", th[0].Text)
	require.Equal(t, id, th[0].ProviderMessageID)
	require.Equal(t, "Anna", e.conversation("u-eu").ContactName)
	require.Greater(t, len(e.requestsTo(tiktoktest.EndpointContent)), before)
	require.NotEmpty(t, e.requestsTo(tiktoktest.EndpointConversation))
}

func TestEngineReplyWindow(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.says("u1", "Lan", "Chào shop")
	for i := 0; i < 3; i++ {
		_, err := e.send("u1", "tin "+string(rune('A'+i)))
		require.NoError(t, err)
	}
	e.runDue()
	conv := e.conversation("u1")
	w := e.eng.Window(conv)
	require.True(t, w.Limited)
	require.True(t, w.Open)
	require.Equal(t, tiktok.MaxRepliesInWindow-3, w.RemainingReplies)
	require.Equal(t, conv.LastInboundAt.Add(48*time.Hour), w.ClosesAt)

	for i := 3; i < tiktok.MaxRepliesInWindow; i++ {
		_, err := e.send("u1", "tin "+string(rune('A'+i)))
		require.NoError(t, err)
	}
	e.runDue()
	require.Len(t, e.srv.Sent(), tiktok.MaxRepliesInWindow)
	requests := e.srv.RequestCount()
	_, err := e.send("u1", "one too many")
	require.ErrorIs(t, err, oc.ErrOutsideWindow)
	require.Equal(t, requests, e.srv.RequestCount(), "refused before any network call")
	require.Equal(t, 0, e.eng.Window(e.conversation("u1")).RemainingReplies)

	e.says("u1", "Lan", "Shop ơi?")
	require.Equal(t, tiktok.MaxRepliesInWindow, e.eng.Window(e.conversation("u1")).RemainingReplies)
}

func TestEngineRefusesFilesBeforeAnyNetworkCall(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.says("u1", "Lan", "Gửi mình báo giá nhé")
	pdf, err := e.eng.UploadAttachment(e.ctx, ws, "sup", "bao-gia.pdf", strings.NewReader("%PDF-1.4 báo giá"))
	require.NoError(t, err)
	require.Equal(t, oc.MessageFile, pdf.Kind)

	requests := e.srv.RequestCount()
	_, err = e.send("u1", "", pdf)
	require.ErrorIs(t, err, oc.ErrUnsupported)
	require.Contains(t, err.Error(), "cannot send file attachments")
	e.runDue()
	require.Equal(t, requests, e.srv.RequestCount(), "the emulator recorded no request")
	require.Len(t, e.thread("u1"), 1)
}

func TestEngineImagesBothWays(t *testing.T) {
	e := newEngineEnv(t, nil)
	_, err := e.srv.CustomerSendsImage(e.ctx, e.hookTo, "u1", "Lan", pngBytes, "image/png")
	require.NoError(t, err)
	e.runDue() // copies the image into the blob store
	in := e.thread("u1")[0]
	require.Equal(t, oc.MessageImage, in.Type)
	require.Len(t, in.Attachments, 1)
	require.NotEmpty(t, in.Attachments[0].BlobKey)
	rc, err := e.eng.Blobs().Open(e.ctx, in.Attachments[0].BlobKey)
	require.NoError(t, err)
	got, _ := io.ReadAll(rc)
	rc.Close()
	require.Equal(t, pngBytes, got)
	var mediaGets []tiktoktest.RecordedRequest
	for _, r := range e.srv.Requests() {
		if strings.HasPrefix(r.Path, "/media/") {
			mediaGets = append(mediaGets, r)
		}
	}
	require.Len(t, mediaGets, 1)
	require.Equal(t, e.connection().Credentials.AccessToken, mediaGets[0].Header.Get("x-user"))

	img, err := e.eng.UploadAttachment(e.ctx, ws, "sup", "mau-ao.png", bytes.NewReader(pngBytes))
	require.NoError(t, err)
	mark := e.srv.RequestCount()
	_, err = e.send("u1", "", img)
	require.NoError(t, err)
	e.runDue()
	sent := e.srv.Sent()
	require.Len(t, sent, 1)
	require.Equal(t, "IMAGE", sent[0].Type)
	require.Equal(t, pngBytes, sent[0].Image)
	var order []string
	for _, r := range e.srv.Requests()[mark:] {
		if strings.Contains(r.Path, "/business/message/") {
			order = append(order, strings.TrimPrefix(r.Path, tiktoktest.APIPrefix))
		}
	}
	require.Equal(t, []string{tiktoktest.EndpointCapabilities, tiktoktest.EndpointUpload, tiktoktest.EndpointSend}, order)

	// Where TikTok does not allow images, the message fails with a readable reason.
	e.srv.SetImagesAllowed(false)
	m, err := e.send("u1", "", img)
	require.NoError(t, err)
	e.runDue()
	failed := e.thread("u1")[2]
	require.Equal(t, m.ID, failed.ID)
	require.Equal(t, oc.MessageFailed, failed.Status)
	require.Contains(t, failed.FailureReason, "does not allow images")
}

func TestEngineTokenRefreshEndToEnd(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.says("u1", "Lan", "Chào shop")
	old := e.connection().Credentials

	// 1. The access token expires within the refresh skew: refreshed before the send.
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		c, err := tx.GetConnection(ws, e.conn.ID)
		if err != nil {
			return err
		}
		c.Credentials.AccessExpiry = time.Now().Add(time.Minute)
		return tx.UpdateConnection(c)
	}))
	_, err := e.send("u1", "một")
	require.NoError(t, err)
	e.runDue()
	fresh := e.connection().Credentials
	require.NotEqual(t, old.AccessToken, fresh.AccessToken)
	require.NotEqual(t, old.RefreshToken, fresh.RefreshToken, "the rotated refresh token was stored")
	require.WithinDuration(t, time.Now().Add(24*time.Hour), fresh.AccessExpiry, time.Minute, "expiry from expires_in")
	require.WithinDuration(t, time.Now().Add(365*24*time.Hour), fresh.RefreshExpiry, time.Minute, "expiry from refresh_token_expires_in")
	sends := e.requestsTo(tiktoktest.EndpointSend)
	require.Equal(t, fresh.AccessToken, sends[len(sends)-1].Header.Get("Access-Token"))
	require.Len(t, e.requestsTo(tiktoktest.EndpointRefresh), 1)

	// 2. TikTok refuses the token (code 40105): refresh, then the send is retried once.
	e.srv.ExpireAccessTokens()
	_, err = e.send("u1", "hai")
	require.NoError(t, err)
	e.runDue()
	require.Len(t, e.srv.Sent(), 2)
	require.Equal(t, oc.MessageSent, e.thread("u1")[2].Status)
	require.Len(t, e.requestsTo(tiktoktest.EndpointRefresh), 2)

	// 3. The grant is dead: the connection needs a reconnect and the message fails readably.
	e.srv.ExpireAccessTokens()
	e.srv.RevokeRefreshTokens()
	_, err = e.send("u1", "ba")
	require.NoError(t, err)
	e.runDue()
	conn := e.connection()
	require.Equal(t, oc.ConnectionNeedsReconnect, conn.Status)
	require.Contains(t, conn.StatusReason, "reconnect")
	last := e.thread("u1")[3]
	require.Equal(t, oc.MessageFailed, last.Status)
	_, err = e.send("u1", "bốn")
	require.ErrorIs(t, err, oc.ErrNeedsReconnect)
}

func TestEngineHistorySync(t *testing.T) {
	old := time.Now().Add(-72 * time.Hour)
	e := newEngineEnv(t, func(s *tiktoktest.Server) {
		s.SeedConversation("old-1", "Hoa", tiktoktest.SeedMessage{FromCustomer: true, Text: "Áo này còn không?", At: old},
			tiktoktest.SeedMessage{Text: "Dạ còn ạ", At: old.Add(time.Minute), Reactions: []string{"😍"}})
		s.SeedConversation("old-2", "Tuấn", tiktoktest.SeedMessage{FromCustomer: true, Text: "Ship Hà Nội bao lâu?", At: old.Add(time.Hour)})
	})
	conv := e.conversation("old-1")
	require.True(t, conv.Historical)
	require.Equal(t, "Hoa", conv.ContactName)
	th := e.thread("old-1")
	require.Len(t, th, 2)
	require.Equal(t, oc.DirectionIn, th[0].Direction)
	require.Equal(t, "Áo này còn không?", th[0].Text)
	require.Equal(t, oc.DirectionOut, th[1].Direction, "content/list's sender is the business's username")
	require.Len(t, th[1].Reactions, 1, "the customer's reaction listed on the message")
	require.Equal(t, "😍", th[1].Reactions[0].Emoji)
	require.Equal(t, oc.DirectionIn, th[1].Reactions[0].Direction)
	require.Len(t, e.thread("old-2"), 1)
	require.False(t, e.eng.Window(conv).Open, "a 3-day-old conversation is outside TikTok's 48-hour window")
}

func TestEngineConnectFlow(t *testing.T) {
	e := newEngineEnv(t, nil)
	const redirect = "https://crm.example/oauth/tiktok/callback"
	start := func() string {
		u, err := e.eng.StartConnect(e.ctx, oc.ConnectParams{WorkspaceID: ws, UserID: "sup", Kind: tiktok.Kind, RedirectURI: redirect})
		require.NoError(t, err)
		return u
	}

	q, err := e.srv.Consent(e.ctx, start())
	require.NoError(t, err)
	conn, err := e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	require.NoError(t, err)
	require.Equal(t, e.srv.BusinessID(), conn.ExternalID)
	require.Equal(t, e.srv.BusinessName(), conn.DisplayName)
	require.Equal(t, oc.ConnectionConnected, conn.Status)
	var body map[string]string
	tokenReqs := e.requestsTo(tiktoktest.EndpointToken)
	require.NoError(t, json.Unmarshal(tokenReqs[len(tokenReqs)-1].Body, &body))
	require.Equal(t, redirect, body["redirect_uri"])
	require.Equal(t, "authorization_code", body["grant_type"])

	// The state is single use.
	_, err = e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	require.ErrorIs(t, err, oc.ErrBadState)

	// The owner unchecks a messaging scope: refused, naming it.
	q, err = e.srv.ConsentWith(e.ctx, start(), []string{"user.info.basic", "message.list.read", "message.list.manage"}, true)
	require.NoError(t, err)
	_, err = e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	require.Error(t, err)
	require.Contains(t, err.Error(), "message.list.send")

	// The owner presses Cancel.
	q, err = e.srv.ConsentWith(e.ctx, start(), nil, false)
	require.NoError(t, err)
	_, err = e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	require.Error(t, err)
	require.Contains(t, err.Error(), "did not grant access")
}

func TestNoSecretsInLogsOrErrors(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.says("u1", "Lan", "Chào shop")
	secrets := []string{e.srv.ClientSecret()}
	addCreds := func() {
		c := e.connection().Credentials
		secrets = append(secrets, c.AccessToken, c.RefreshToken)
	}
	addCreds()

	// A tampered delivery, a stale one, and one signed with another key are refused with 401.
	body := e.srv.WebhookBody("im_receive_msg", map[string]any{"conversation_id": "c", "message_id": "m"})
	for _, sig := range []string{
		e.srv.SignWebhook(append(body, ' '), time.Now()),
		e.srv.SignWebhook(body, time.Now().Add(-tiktok.DefaultSignatureMaxAge-time.Hour)),
		tiktoktest.SignWith("not-the-secret", body, time.Now()),
	} {
		secrets = append(secrets, strings.Split(sig, "s=")[1])
		req, _ := http.NewRequest(http.MethodPost, e.hookTo, bytes.NewReader(body))
		req.Header.Set(tiktok.SignatureHeader, sig)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	secrets = append(secrets, strings.Split(e.srv.SignWebhook(body, time.Now()), "s=")[1])

	// Provider failures of every class, a refresh, then a dead grant.
	e.srv.FailNext(tiktoktest.EndpointSend, tiktoktest.FaultParamError, 1)
	_, err := e.send("u1", "một")
	require.NoError(t, err)
	e.srv.FailNext(tiktoktest.EndpointSend, tiktoktest.FaultThrottled, 1)
	_, err = e.send("u1", "hai")
	require.NoError(t, err)
	e.runDue()
	time.Sleep(5 * time.Millisecond)
	e.runDue()
	e.srv.ExpireAccessTokens()
	_, err = e.send("u1", "ba")
	require.NoError(t, err)
	e.runDue()
	addCreds()
	e.srv.ExpireAccessTokens()
	e.srv.RevokeRefreshTokens()
	_, err = e.send("u1", "bốn")
	require.NoError(t, err)
	e.runDue()
	require.Equal(t, oc.ConnectionNeedsReconnect, e.connection().Status)

	var texts []string
	for _, m := range e.thread("u1") {
		texts = append(texts, m.FailureReason, m.FailureCode)
	}
	texts = append(texts, e.connection().StatusReason, e.logs.String())
	all := strings.Join(texts, "\n")
	require.Contains(t, e.logs.String(), "bad signature", "the logs were captured")
	require.Contains(t, all, "40002", "the failures were recorded")
	for _, s := range secrets {
		require.NotEmpty(t, s)
		if strings.Contains(all, s) {
			t.Errorf("a secret (%d bytes) appears in a log line or an error", len(s))
		}
	}
	var pe *oc.ProviderError
	_, err = e.ch.RefreshTokens(e.ctx, e.connection())
	require.True(t, errors.As(err, &pe))
	require.ErrorIs(t, err, oc.ErrNeedsReconnect)
}

func TestEngineRefusesTextWithAnImageBeforeAnyNetworkCall(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.says("u1", "Lan", "Cho mình xem mẫu áo")
	img, err := e.eng.UploadAttachment(e.ctx, ws, "sup", "mau-ao.png", bytes.NewReader(pngBytes))
	require.NoError(t, err)
	requests := e.srv.RequestCount()
	_, err = e.send("u1", "Mẫu này nhé", img)
	require.ErrorIs(t, err, oc.ErrUnsupported)
	require.Contains(t, err.Error(), "separate messages")
	e.runDue()
	require.Equal(t, requests, e.srv.RequestCount(), "the emulator recorded no request")
	require.Len(t, e.thread("u1"), 1, "nothing was saved")
}
