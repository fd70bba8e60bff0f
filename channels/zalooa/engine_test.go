package zalooa_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// A signed webhook opens a conversation; an agent reply reaches Zalo as exactly the expected
// request; its echo is not stored twice; a message typed in OA Manager joins the thread as an agent
// message; user_seen_message marks the reply seen; a shared phone links the CRM customer; an
// inbound image is copied into the blob store.
func TestEngineEndToEnd(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	conn := e.connect()

	// Customer writes; the same delivery arrives twice.
	body := e.emu.UserSend("text", fxUser, "in-1", "Shop ơi, áo còn size M không?")
	e.emu.AddUser(zalotest.User{ID: fxUser, Name: "Nguyễn Thị Lan", Avatar: "https://s240-ava-talk.zadn.vn/lan.jpg"})
	require.NoError(t, e.emu.Post(e.ctx, e.hookTo, body))
	require.NoError(t, e.emu.Post(e.ctx, e.hookTo, body))
	e.drain() // fetches the profile (user/detail)
	conv := e.conversationOf(fxUser)
	msgs := e.messages(conv.ID)
	require.Len(t, msgs, 1, "a duplicate delivery changes nothing")
	assert.Equal(t, oc.DirectionIn, msgs[0].Direction)
	assert.Equal(t, "Shop ơi, áo còn size M không?", msgs[0].Text)
	assert.Equal(t, "in-1", msgs[0].ProviderMessageID)
	conv = e.conversationOf(fxUser)
	assert.Equal(t, "Nguyễn Thị Lan", conv.ContactName, "name from user/detail")
	assert.Len(t, e.emu.RequestsTo(zalotest.PathUserDetail), 1)

	// Agent replies, quoting the customer's message.
	reply, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup",
		Text: "Dạ còn ạ <3 & size L nữa", QuoteMessageID: msgs[0].ID, IdempotencyKey: "k1"})
	require.NoError(t, err)
	e.drain()
	sends := e.emu.RequestsTo(zalotest.PathSend)
	require.Len(t, sends, 1)
	req := sends[0]
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, conn.Credentials.AccessToken, req.Header.Get("access_token"))
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	assert.Empty(t, req.Header.Get("Authorization"), "Zalo takes the token in the access_token header only")
	assert.Empty(t, req.RawQuery)
	assert.Equal(t, `{"recipient":{"user_id":"`+fxUser+`"},"message":{"text":"Dạ còn ạ <3 & size L nữa","quote_message_id":"in-1"}}`, string(req.Body))
	sent := e.emu.Sent()[0]
	got := e.message(reply.ID)
	assert.Equal(t, oc.MessageSent, got.Status)
	assert.Equal(t, sent.ID, got.ProviderMessageID)

	// Zalo echoes our send: matched, not duplicated.
	require.NoError(t, e.emu.EchoSent(e.ctx, e.hookTo, sent))
	assert.Len(t, e.messages(conv.ID), 2)

	// A staff member types in Zalo's OA Manager: it joins the thread as an agent message.
	oaID, err := e.emu.OAManagerSays(e.ctx, e.hookTo, fxUser, "Shop gửi bảng size nhé")
	require.NoError(t, err)
	msgs = e.messages(conv.ID)
	require.Len(t, msgs, 3)
	manual := msgs[2]
	assert.Equal(t, oc.DirectionOut, manual.Direction)
	assert.Equal(t, "Shop gửi bảng size nhé", manual.Text)
	assert.Equal(t, oaID, manual.ProviderMessageID)
	assert.Empty(t, manual.SenderID, "typed in the provider's console, not by an engine user")

	// Delivery states.
	require.NoError(t, e.emu.MarkDelivered(e.ctx, e.hookTo, fxUser, sent.ID))
	assert.Equal(t, oc.MessageDelivered, e.message(reply.ID).Status)
	require.NoError(t, e.emu.MarkSeen(e.ctx, e.hookTo, fxUser, sent.ID, oaID))
	assert.Equal(t, oc.MessageSeen, e.message(reply.ID).Status)
	assert.Equal(t, oc.MessageSeen, e.message(manual.ID).Status)

	// The customer shares the phone: the CRM customer is linked automatically.
	require.NoError(t, e.emu.CustomerSharesPhone(e.ctx, e.hookTo, fxUser, "Nguyễn Thị Lan", "84912345678"))
	e.drain()
	p, err := e.eng.Customer(e.ctx, ws, "sup", conv.ID)
	require.NoError(t, err)
	assert.Equal(t, "crm-42", p.Contact.CRMCustomerID)
	assert.Equal(t, "+84912345678", p.Contact.Phone)
	linked := false
	for _, m := range e.thread(conv.ID) {
		linked = linked || (m.Activity != nil && m.Activity.Action == oc.ActivityLinked && m.Activity.To == "crm-42")
	}
	assert.True(t, linked, "the link is recorded in the conversation")

	// An inbound image is copied from Zalo's CDN into the blob store.
	png := []byte("\x89PNG\r\n\x1a\n-customer-photo")
	imgID, err := e.emu.CustomerSendsImage(e.ctx, e.hookTo, fxUser, "Nguyễn Thị Lan", png, "mẫu này")
	require.NoError(t, err)
	e.drain()
	var img *oc.Message
	for _, m := range e.messages(conv.ID) {
		if m.ProviderMessageID == imgID {
			img = m
		}
	}
	require.NotNil(t, img)
	require.Len(t, img.Attachments, 1)
	require.NotEmpty(t, img.Attachments[0].BlobKey, "media kept in the blob store")
	rc, err := e.blobs.Open(e.ctx, img.Attachments[0].BlobKey)
	require.NoError(t, err)
	data, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, png, data)
	assert.Equal(t, "image/png", img.Attachments[0].ContentType)
}

// Unknown events answer 200, change nothing and are logged once.
func TestEngineUnknownEventLoggedOnce(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	for i := 0; i < 3; i++ {
		body := e.emu.Build(zalotest.Event{EventName: "user_feedback", Sender: &zalotest.Party{ID: fxUser}, Recipient: &zalotest.Party{ID: fxOA}})
		require.NoError(t, e.emu.Post(e.ctx, e.hookTo, body))
	}
	assert.Equal(t, 1, strings.Count(e.logs.String(), "event=user_feedback"))
}

// Deliveries with a tampered body, no signature or another key's signature get 401 and store
// nothing; malformed JSON with a valid signature gets 400.
func TestEngineRefusesBadDeliveries(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	post := func(body []byte, sig string) int {
		req, err := http.NewRequest(http.MethodPost, e.hookTo, strings.NewReader(string(body)))
		require.NoError(t, err)
		if sig != "" {
			req.Header.Set("X-ZEvent-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	body := e.emu.UserSend("text", fxUser, "in-x", "xin chào")
	tampered := []byte(strings.Replace(string(body), "xin chào", "xin chaò", 1))
	assert.Equal(t, http.StatusUnauthorized, post(tampered, e.emu.Sign(body)))
	assert.Equal(t, http.StatusUnauthorized, post(body, ""))
	assert.Equal(t, http.StatusUnauthorized, post(body, e.emu.SignWithKey("wrong-key", body)))
	bad := e.emu.Build(zalotest.Event{EventName: "user_send_text", Sender: &zalotest.Party{ID: fxUser}, Recipient: &zalotest.Party{ID: fxOA}})
	assert.Equal(t, http.StatusBadRequest, post(bad, e.emu.Sign(bad)), "a message event without msg_id")
	var convs int
	require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) error {
		cs, err := tx.ListConversations(oc.ConversationQuery{WorkspaceID: ws, Limit: 10})
		convs = len(cs)
		return err
	}))
	assert.Zero(t, convs)
	assert.Equal(t, http.StatusOK, post(body, e.emu.Sign(body)))
}
