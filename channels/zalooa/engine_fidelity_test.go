package zalooa_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// An anonymous user is answered through /v2.0/oa/message with their anonymous_id and the
// conversation_id their message carried; the emulator refuses any other conversation id.
func TestEngineAnonymousReply(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	const anon = "anon-7f3c"
	_, err := e.emu.CustomerSaysAnonymously(e.ctx, e.hookTo, anon, "cho hỏi giá")
	require.NoError(t, err)
	e.drain()
	conv := e.conversationOf(anon)
	require.NoError(t, e.eng.ReplyRoute(e.ctx, conv))
	assert.Empty(t, e.emu.RequestsTo(zalotest.PathUserDetail), "anonymous users have no profile to fetch")

	reply := e.send(conv, "Dạ 150k ạ", "k-anon")
	e.drain()
	require.Equal(t, oc.MessageSent, e.message(reply.ID).Status, e.message(reply.ID).FailureReason)
	assert.Empty(t, e.emu.RequestsTo(zalotest.PathSend), "not the v3 CS endpoint")
	reqs := e.emu.RequestsTo(zalotest.PathMessageV2)
	require.Len(t, reqs, 1)
	assert.JSONEq(t, `{"recipient":{"anonymous_id":"`+anon+`","conversation_id":"`+e.emu.AnonymousConversationID(anon)+
		`"},"message":{"text":"Dạ 150k ạ"}}`, string(reqs[0].Body))
	sent := e.emu.Sent()
	require.Len(t, sent, 1)
	assert.Equal(t, e.emu.AnonymousConversationID(anon), sent[0].ConversationID)
}

// An anonymous conversation whose conversation id is not known (a delivery without it, or a
// conversation stored before the id was kept) is refused before any provider call, with
// ErrNoReplyRoute; the customer's next message brings the id and the reply goes out.
func TestEngineAnonymousWithoutConversationID(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	const anon = "anon-old"
	require.NoError(t, e.emu.Post(e.ctx, e.hookTo, e.emu.AnonymousSend("text", anon, "", "m-old", "hello")))
	conv := e.conversationOf(anon)
	err := e.eng.ReplyRoute(e.ctx, conv)
	require.ErrorIs(t, err, oc.ErrNoReplyRoute)
	before := len(e.emu.Requests())
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup", Text: "hi", IdempotencyKey: "k"})
	require.ErrorIs(t, err, oc.ErrNoReplyRoute)
	_, err = e.eng.RequestInfo(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup", IdempotencyKey: "k2"})
	require.ErrorIs(t, err, oc.ErrNoReplyRoute)
	e.drain()
	assert.Len(t, e.emu.Requests(), before, "no provider call")

	_, err = e.emu.CustomerSaysAnonymously(e.ctx, e.hookTo, anon, "còn đó không?")
	require.NoError(t, err)
	require.NoError(t, e.eng.ReplyRoute(e.ctx, e.conversationOf(anon)))
	reply := e.send(conv, "Dạ còn ạ", "k3")
	e.drain()
	assert.Equal(t, oc.MessageSent, e.message(reply.ID).Status)
}

// A customer's reaction lands on the message it targets and changes nothing else of the
// conversation: no unread, no list move, no summary, window or reply count change. A repeated
// delivery adds nothing; the removal takes it away; a reaction to an unknown message is logged
// once (without customer text) and acknowledged. An agent's reaction goes to Zalo's v2 endpoint
// with the icon code and is recorded on the message.
func TestEngineReactions(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	inID, err := e.emu.CustomerSays(e.ctx, e.hookTo, fxUser, "Lan", "Shop ơi")
	require.NoError(t, err)
	e.drain()
	conv := e.conversationOf(fxUser)
	reply := e.send(conv, "Dạ shop nghe", "k-r1")
	e.drain()
	replyPM := e.message(reply.ID).ProviderMessageID
	require.NotEmpty(t, replyPM)
	e.clock.Advance(time.Hour)
	before := e.conversationOf(fxUser)

	subCtx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	sub := e.eng.Subscribe(subCtx, oc.SubscribeOptions{WorkspaceID: ws})
	body := e.emu.UserReacted(fxUser, replyPM, "/-heart")
	require.NoError(t, e.emu.Post(e.ctx, e.hookTo, body))
	require.NoError(t, e.emu.Post(e.ctx, e.hookTo, body)) // the same delivery again
	got := e.message(reply.ID)
	require.Len(t, got.Reactions, 1)
	assert.Equal(t, "❤️", got.Reactions[0].Emoji)
	assert.Equal(t, oc.DirectionIn, got.Reactions[0].Direction)
	after := e.conversationOf(fxUser)
	assert.Equal(t, before.Version, after.Version, "the conversation is not written")
	assert.Equal(t, before.InboundCount, after.InboundCount)
	assert.Equal(t, before.LastInboundAt, after.LastInboundAt)
	assert.Equal(t, before.LastMessageAt, after.LastMessageAt)
	assert.Equal(t, before.LastMessageText, after.LastMessageText)
	assert.Equal(t, before.RepliesSinceInbound, after.RepliesSinceInbound)
	select {
	case ev := <-sub.C:
		assert.Equal(t, oc.EventMessageUpdated, ev.Kind)
		assert.Equal(t, reply.ID, ev.MessageID)
	case <-time.After(5 * time.Second):
		t.Fatal("no message-updated event")
	}

	require.NoError(t, e.emu.CustomerReacts(e.ctx, e.hookTo, fxUser, replyPM, ""))
	assert.Empty(t, e.message(reply.ID).Reactions, "taken back")

	require.NoError(t, e.emu.CustomerReacts(e.ctx, e.hookTo, fxUser, "no-such-message", ":>"))
	require.NoError(t, e.emu.CustomerReacts(e.ctx, e.hookTo, fxUser, "no-such-either", ":>"))
	assert.Equal(t, 1, strings.Count(e.logs.String(), "reaction to a message this connection does not have"))

	// The agent reacts to the customer's message.
	var in *oc.Message
	for _, m := range e.messages(conv.ID) {
		if m.ProviderMessageID == inID {
			in = m
		}
	}
	require.NotNil(t, in)
	_, err = e.eng.React(e.ctx, oc.ReactParams{WorkspaceID: ws, MessageID: in.ID, UserID: "sup", Emoji: "🙈"})
	require.ErrorIs(t, err, oc.ErrUnsupported, "not one of Zalo's reactions")
	m, err := e.eng.React(e.ctx, oc.ReactParams{WorkspaceID: ws, MessageID: in.ID, UserID: "sup", Emoji: "👍"})
	require.NoError(t, err)
	require.Len(t, m.Reactions, 1)
	assert.Equal(t, oc.Reaction{Emoji: "👍", Direction: oc.DirectionOut, By: "sup", At: m.Reactions[0].At}, m.Reactions[0])
	reqs := e.emu.RequestsTo(zalotest.PathMessageV2)
	require.Len(t, reqs, 1)
	assert.JSONEq(t, `{"recipient":{"user_id":"`+fxUser+`"},"sender_action":{"react_icon":"/-strong","react_message_id":"`+inID+`"}}`,
		string(reqs[0].Body))
	require.Len(t, e.emu.Reactions(), 1)
}

// The request-user-info card goes out from the composer path; the customer's answer, in the
// official nested form, fills the phone and the address and links the CRM customer.
func TestEngineRequestInfo(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	_, err := e.emu.CustomerSays(e.ctx, e.hookTo, fxUser, "Lan", "Em muốn đặt hàng")
	require.NoError(t, err)
	e.drain()
	conv := e.conversationOf(fxUser)
	_, err = e.eng.RequestInfo(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup", Text: "x", IdempotencyKey: "ri0"})
	require.ErrorIs(t, err, oc.ErrInvalid, "the card carries no text")
	m, err := e.eng.RequestInfo(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: "sup", IdempotencyKey: "ri1"})
	require.NoError(t, err)
	assert.Equal(t, oc.MessageInfoRequest, m.Type)
	e.drain()
	require.Equal(t, oc.MessageSent, e.message(m.ID).Status, e.message(m.ID).FailureReason)
	sends := e.emu.RequestsTo(zalotest.PathSend)
	require.Len(t, sends, 1)
	var body struct {
		Message struct {
			Attachment struct {
				Payload struct {
					TemplateType string `json:"template_type"`
					Elements     []struct {
						Title, Subtitle string
					} `json:"elements"`
				} `json:"payload"`
			} `json:"attachment"`
		} `json:"message"`
	}
	require.NoError(t, json.Unmarshal(sends[0].Body, &body))
	assert.Equal(t, "request_user_info", body.Message.Attachment.Payload.TemplateType)
	require.Len(t, body.Message.Attachment.Payload.Elements, 1)
	assert.NotEmpty(t, body.Message.Attachment.Payload.Elements[0].Title)

	require.NoError(t, e.emu.CustomerSharesInfo(e.ctx, e.hookTo, fxUser, zalotest.SharedInfo{Name: "Nguyễn Thị Lan",
		Phone: "84912345678", DOB: "12/03/1995", Gender: "2",
		FullAddress: &zalotest.FullAddress{City: "Hồ Chí Minh", Ward: "Bến Nghé", Address: "12 Lê Lợi"}}))
	e.drain()
	p, err := e.eng.Customer(e.ctx, ws, "sup", conv.ID)
	require.NoError(t, err)
	assert.Equal(t, "+84912345678", p.Contact.Phone)
	assert.Equal(t, "crm-42", p.Contact.CRMCustomerID, "linked to the CRM customer with that phone")
	assert.Equal(t, "12 Lê Lợi", p.Contact.Attributes["address"])
	assert.Equal(t, "Bến Nghé", p.Contact.Attributes["ward"])
	assert.Equal(t, "Hồ Chí Minh", p.Contact.Attributes["city"])
	var shared *oc.Message
	for _, m := range e.thread(conv.ID) {
		if m.Activity != nil && m.Activity.Action == oc.ActivityInfoShared {
			shared = m
		}
	}
	require.NotNil(t, shared)
	assert.Equal(t, "12 Lê Lợi, Bến Nghé, Hồ Chí Minh", shared.Activity.Detail)
}

// Zalo's window runs from the customer's last interaction: a follow moves it forward (a reaction
// does not), and Engine.Window reports the 48-hour free boundary.
func TestEngineZaloWindow(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	_, err := e.emu.CustomerSays(e.ctx, e.hookTo, fxUser, "Lan", "hi")
	require.NoError(t, err)
	e.drain()
	conv := e.conversationOf(fxUser)
	w := e.eng.Window(conv)
	assert.True(t, w.Open)
	assert.Equal(t, conv.LastInboundAt.Add(48*time.Hour), w.FreeUntil)
	assert.Equal(t, conv.LastInboundAt.Add(7*24*time.Hour), w.ClosesAt)

	e.clock.Advance(3 * 24 * time.Hour)
	require.NoError(t, e.emu.Post(e.ctx, e.hookTo, e.emu.Build(zalotest.Event{EventName: "follow", OAID: e.emu.OAID(),
		Follower: &zalotest.Party{ID: fxUser}, Timestamp: strconv.FormatInt(e.clock.Now().UnixMilli(), 10)})))
	moved := e.conversationOf(fxUser)
	assert.True(t, moved.LastInboundAt.After(conv.LastInboundAt), "a follow is an interaction")
	assert.Equal(t, conv.InboundCount, moved.InboundCount, "and not a message")
	assert.Equal(t, conv.LastMessageAt, moved.LastMessageAt)
	assert.Equal(t, moved.LastInboundAt.Add(48*time.Hour), e.eng.Window(moved).FreeUntil)
}

// An inbound sticker is copied into the blob store like any image (its URL expires).
func TestEngineStickerCopied(t *testing.T) {
	e := newEngineEnv(t, zalotest.Options{})
	e.connect()
	png := []byte("\x89PNG\r\n\x1a\n-sticker")
	id, err := e.emu.CustomerSendsSticker(e.ctx, e.hookTo, fxUser, "Lan", png)
	require.NoError(t, err)
	e.drain()
	var m *oc.Message
	for _, x := range e.messages(e.conversationOf(fxUser).ID) {
		if x.ProviderMessageID == id {
			m = x
		}
	}
	require.NotNil(t, m)
	require.Len(t, m.Attachments, 1)
	assert.Equal(t, oc.MessageSticker, m.Attachments[0].Kind)
	require.NotEmpty(t, m.Attachments[0].BlobKey)
	rc, err := e.blobs.Open(e.ctx, m.Attachments[0].BlobKey)
	require.NoError(t, err)
	data, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, png, data)
	assert.False(t, errors.Is(err, oc.ErrNotFound))
}
