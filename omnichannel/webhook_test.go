package omnichannel_test

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
)

func TestWebhookInboundOpensRoutedConversation(t *testing.T) {
	e := newEnv(t)
	sub := e.eng.Subscribe(t.Context(), oc.SubscribeOptions{WorkspaceID: ws})
	e.inbound("u1", "m1", "Xin chào, tôi cần hỗ trợ")

	conv := e.conversationOf("u1")
	assert.Equal(t, oc.StatusOpen, conv.Status)
	assert.Equal(t, "a1", conv.AssigneeID, "round-robin starts with the rule's first user")
	assert.Equal(t, "r1", conv.RuleID)
	assert.Equal(t, "Khách u1", conv.ContactName)
	assert.Equal(t, "Xin chào, tôi cần hỗ trợ", conv.LastMessageText)
	assert.Equal(t, oc.DirectionIn, conv.LastMessageDirection)
	assert.EqualValues(t, 1, conv.InboundCount)

	msgs := e.thread(conv.ID)
	require.Len(t, msgs, 3, "opened + assigned activity entries, then the message")
	assert.Equal(t, oc.ActivityOpened, msgs[0].Activity.Action)
	assert.Equal(t, oc.ActivityAssigned, msgs[1].Activity.Action)
	assert.Equal(t, "a1", msgs[1].Activity.To)
	assert.Equal(t, "m1", msgs[2].ProviderMessageID)
	for i, m := range msgs {
		assert.EqualValues(t, i+1, m.Seq)
	}

	page, err := e.eng.ListConversations(e.ctx, "a1", oc.ConversationQuery{WorkspaceID: ws, ReadState: oc.ReadUnread})
	require.NoError(t, err)
	require.Len(t, page.Conversations, 1)
	assert.EqualValues(t, 1, page.Unread[conv.ID])

	kinds := map[oc.EventKind]int{}
	for len(sub.C) > 0 {
		kinds[(<-sub.C).Kind]++
	}
	assert.Equal(t, 1, kinds[oc.EventConversationOpened])
	assert.Equal(t, 3, kinds[oc.EventMessageCreated])
}

func TestWebhookStatusCodes(t *testing.T) {
	e := newEnv(t)
	url := e.hook.URL + "/webhooks/fake"
	good := e.message("u1", "m1", "hello")
	do := func(req *http.Request) int {
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	tampered := e.prov.SignedWebhook(url, good)
	tampered.Body = ioNop(bytes.Replace(good, []byte("hello"), []byte("hellO"), 1))
	unsigned := e.prov.SignedWebhook(url, good)
	unsigned.Header.Del(fakechannel.SignatureHeader)
	wrongKey := e.prov.SignedWebhook(url, good)
	wrongKey.Header.Set(fakechannel.SignatureHeader, fakechannel.Sign("another-secret", good))
	huge := e.prov.SignedWebhook(url, bytes.Repeat([]byte("x"), 2<<20))
	get, _ := http.NewRequest(http.MethodGet, url, nil)
	unknownKind := e.prov.SignedWebhook(e.hook.URL+"/webhooks/nope", good)
	unknownConn := e.prov.SignedWebhook(url+"/no-such-connection", good)

	cases := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"tampered body", tampered, http.StatusUnauthorized},
		{"missing signature", unsigned, http.StatusUnauthorized},
		{"wrong key", wrongKey, http.StatusUnauthorized},
		{"malformed JSON, signed", e.prov.SignedWebhook(url, []byte(`{"account_id":`)), http.StatusBadRequest},
		{"oversize body", huge, http.StatusRequestEntityTooLarge},
		{"unknown event type", e.prov.SignedWebhook(url, []byte(`{"account_id":"`+fakechannel.AccountID+`","events":[{"type":"poke","user_id":"u1"}]}`)), http.StatusOK},
		{"unknown account", e.prov.SignedWebhook(url, fakechannel.Webhook{AccountID: "someone-else", Events: []fakechannel.WebhookEvent{{Type: "message", UserID: "u9", MessageID: "x", Text: "hi"}}}.JSON()), http.StatusOK},
		{"GET", get, http.StatusMethodNotAllowed},
		{"unknown kind", unknownKind, http.StatusNotFound},
		{"unknown connection in path", unknownConn, http.StatusNotFound},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, do(c.req), c.name)
	}
	page, err := e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws})
	require.NoError(t, err)
	assert.Empty(t, page.Conversations, "refused and ignored deliveries leave no trace")
	assert.Equal(t, http.StatusOK, do(e.prov.SignedWebhook(url+"/"+e.conn.ID, good)), "connection id in the path")
	assert.NotContains(t, e.logs.String(), e.prov.Secret())
	assert.NotContains(t, e.logs.String(), "hello", "customer text is not logged")
}

func TestDuplicateWebhookDeliveredConcurrently(t *testing.T) {
	e := newEnv(t)
	body := e.message("u1", "m-dup", "đơn hàng của tôi đâu?")
	var wg sync.WaitGroup
	codes := make([]int, 10)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i] = e.post(body)
		}(i)
	}
	wg.Wait()
	for _, c := range codes {
		assert.Equal(t, http.StatusOK, c)
	}
	conv := e.conversationOf("u1")
	inbound := 0
	for _, m := range e.thread(conv.ID) {
		if m.Direction == oc.DirectionIn {
			inbound++
		}
	}
	assert.Equal(t, 1, inbound)
	assert.EqualValues(t, 1, conv.InboundCount)
}

func TestDoneConversationReopensOnCustomerMessage(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "hi")
	conv := e.conversationOf("u1")
	_, err := e.eng.MarkDone(e.ctx, ws, conv.AssigneeID, conv.ID)
	require.NoError(t, err)
	done, err := e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws, Statuses: []oc.ConversationStatus{oc.StatusDone}})
	require.NoError(t, err)
	require.Len(t, done.Conversations, 1)

	e.inbound("u1", "m2", "còn một câu hỏi")
	again := e.conversationOf("u1")
	assert.Equal(t, conv.ID, again.ID, "the same thread reopens")
	assert.Equal(t, oc.StatusOpen, again.Status)
	msgs := e.thread(conv.ID)
	var actions []oc.ActivityAction
	for _, m := range msgs {
		if m.Activity != nil {
			actions = append(actions, m.Activity.Action)
		}
	}
	assert.Equal(t, []oc.ActivityAction{oc.ActivityOpened, oc.ActivityAssigned, oc.ActivityDone, oc.ActivityReopened}, actions)
}

func TestStatusAndFollowEvents(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "hi")
	conv := e.conversationOf("u1")
	m, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: "Chào chị", IdempotencyKey: "k1"})
	require.NoError(t, err)
	e.drain()
	sent := e.messageByID(m.ID)
	require.Equal(t, oc.MessageSent, sent.Status)

	seen := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "status", Status: "seen", MessageIDs: []string{sent.ProviderMessageID}},
		{Type: "status", Status: "delivered", MessageIDs: []string{sent.ProviderMessageID}},
		{Type: "follow", UserID: "u1"},
	}}.JSON()
	require.Equal(t, http.StatusOK, e.post(seen))
	assert.Equal(t, oc.MessageSeen, e.messageByID(m.ID).Status, "states never move backwards")
}

func (e *env) messageByID(id string) *oc.Message {
	e.t.Helper()
	var m *oc.Message
	require.NoError(e.t, e.store.View(e.ctx, func(tx oc.Tx) (err error) {
		m, err = tx.GetMessage(ws, id)
		return err
	}))
	return m
}

func ioNop(b []byte) *nopCloser { return &nopCloser{strings.NewReader(string(b))} }

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }
