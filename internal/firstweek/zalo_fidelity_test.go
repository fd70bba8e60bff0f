package firstweek_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/inboxapi"
)

// TestZaloAnonymousReactionsAndInfoRequest, through the agent API on every store: an anonymous
// customer whose delivery lacks the conversation id cannot be answered (the detail says
// "no_reply_route", a send is refused with that code and nothing reaches Zalo); their next
// message carries it and the reply goes to Zalo's anonymous endpoint. The customer's reaction
// shows on the agent's reply without making the conversation unread; the agent reacts back and
// sends the request-user-info card, whose answer fills the phone and the address and links the
// CRM customer.
func TestZaloAnonymousReactionsAndInfoRequest(t *testing.T) {
	eachStore(t, func(t *testing.T, db database) {
		emu := newEmulators(t)
		s := newStack(t, db.open(t), emu, true)
		s.addConnection("zalo")
		s.drain()
		const anon = "anon-lan"
		require.NoError(t, emu.zalo.Post(s.ctx, s.webhookURL("zalo"), emu.zalo.AnonymousSend("text", anon, "", "z-old", "Shop ơi")))
		s.drain()
		conv := only(t, s.list(sup, ""), "zalo user on-lan")
		var d inboxapi.ConversationDetail
		s.call(http.MethodGet, sup, "/conversations/"+conv.ID, nil, &d, http.StatusOK)
		assert.Equal(t, "no_reply_route", d.ReplyBlocked)
		assert.NotEmpty(t, d.Window.FreeUntil, "the 48-hour free boundary")
		assert.True(t, d.Capabilities.InfoRequest)
		assert.Equal(t, []string{"❤️", "👍", "😆", "😮", "😢", "😡"}, d.Capabilities.ReactionEmojis)
		var e inboxapi.ErrorResponse
		s.call(http.MethodPost, conv.AssigneeID, "/conversations/"+conv.ID+"/messages",
			inboxapi.SendRequest{Text: "Dạ", IdempotencyKey: "k0"}, &e, http.StatusUnprocessableEntity)
		assert.Equal(t, "no_reply_route", e.Error.Code)
		assert.Empty(t, emu.zalo.Sent())

		_, err := emu.zalo.CustomerSaysAnonymously(s.ctx, s.webhookURL("zalo"), anon, "Còn áo không?")
		require.NoError(t, err)
		var d2 inboxapi.ConversationDetail
		s.call(http.MethodGet, sup, "/conversations/"+conv.ID, nil, &d2, http.StatusOK)
		assert.Empty(t, d2.ReplyBlocked)
		var sent inboxapi.MessageResponse
		s.call(http.MethodPost, conv.AssigneeID, "/conversations/"+conv.ID+"/messages",
			inboxapi.SendRequest{Text: "Dạ còn ạ", IdempotencyKey: "k1"}, &sent, http.StatusAccepted)
		s.drain()
		require.Len(t, emu.zalo.Sent(), 1)
		assert.Equal(t, emu.zalo.AnonymousConversationID(anon), emu.zalo.Sent()[0].ConversationID)

		// The customer reacts to the reply: shown on it, nothing unread.
		s.call(http.MethodPost, conv.AssigneeID, "/conversations/"+conv.ID+"/read", nil, nil, http.StatusNoContent)
		require.NoError(t, emu.zalo.CustomerReacts(s.ctx, s.webhookURL("zalo"), anon, emu.zalo.Sent()[0].ID, "/-heart"))
		var reply inboxapi.Message
		for _, m := range s.thread(sup, conv.ID) {
			if m.ID == sent.Message.ID {
				reply = m
			}
		}
		require.Len(t, reply.Reactions, 1)
		assert.Equal(t, "❤️", reply.Reactions[0].Emoji)
		assert.Equal(t, int64(0), s.conversation(conv.AssigneeID, conv.ID).Unread)

		// The agent reacts to the customer's last message.
		th := s.thread(sup, conv.ID)
		var last inboxapi.Message
		for _, m := range th {
			if m.Direction == "in" {
				last = m
			}
		}
		var reacted inboxapi.MessageResponse
		s.call(http.MethodPost, conv.AssigneeID, "/messages/"+last.ID+"/reactions", inboxapi.ReactRequest{Emoji: "👍"},
			&reacted, http.StatusOK)
		require.Len(t, reacted.Message.Reactions, 1)
		assert.Equal(t, "out", reacted.Message.Reactions[0].Direction)
		require.Len(t, emu.zalo.Reactions(), 1)
		assert.Equal(t, "/-strong", emu.zalo.Reactions()[0].Icon)

		// The request-user-info card, then the answer.
		var req inboxapi.MessageResponse
		s.call(http.MethodPost, conv.AssigneeID, "/conversations/"+conv.ID+"/info-request",
			inboxapi.InfoRequestRequest{IdempotencyKey: "ri"}, &req, http.StatusAccepted)
		assert.Equal(t, "info_request", req.Message.Type)
		s.drain()
		require.Len(t, emu.zalo.Sent(), 2)
		require.NotNil(t, emu.zalo.Sent()[1].InfoRequest)
		require.NoError(t, emu.zalo.CustomerSharesInfo(s.ctx, s.webhookURL("zalo"), anon, zalotest.SharedInfo{
			Name: "Lan", Phone: "84912345678", FullAddress: &zalotest.FullAddress{City: "Hồ Chí Minh", Ward: "Bến Nghé", Address: "12 Lê Lợi"}}))
		s.drain()
		var cust inboxapi.Customer
		s.call(http.MethodGet, sup, "/conversations/"+conv.ID+"/customer", nil, &cust, http.StatusOK)
		assert.Equal(t, "+84912345678", cust.Contact.Phone)
		assert.Equal(t, "12 Lê Lợi", cust.Contact.Attributes["address"])
		assert.Equal(t, "crm-001", cust.Contact.CRMCustomerID)
	})
}
