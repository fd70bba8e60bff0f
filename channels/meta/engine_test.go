package meta_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/meta"
	"github.com/dakenh/dakenh/channels/meta/metatest"
	"github.com/dakenh/dakenh/internal/testlog"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

const ws = "ws-meta"

// testClock is shared by the engine and the emulator; it moves only when told.
type testClock struct{ off atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *testClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// engineEnv is an Engine over a memory store with both Meta adapters, the emulator and a real
// webhook endpoint; agents a1 and a2 share the connections round-robin.
type engineEnv struct {
	t     *testing.T
	ctx   context.Context
	clock *testClock
	srv   *metatest.Server
	msgr  *meta.Channel
	ig    *meta.Channel
	eng   *oc.Engine
	store *memory.Store
	hook  *httptest.Server
	logs  *testlog.Buffer
	conns map[string]*oc.Connection // by external id
}

func newEngineEnv(t *testing.T, seed func(*metatest.Server)) *engineEnv {
	t.Helper()
	e := &engineEnv{t: t, ctx: context.Background(), clock: &testClock{}, store: memory.New(), logs: &testlog.Buffer{},
		conns: map[string]*oc.Connection{}}
	e.srv = metatest.New(metatest.Options{Now: e.clock.Now})
	t.Cleanup(e.srv.Close)
	if seed != nil {
		seed(e.srv)
	}
	now := func(c *meta.Config) { c.Now = e.clock.Now }
	e.msgr = newAdapter(t, e.srv, meta.KindMessenger, e.logs, now)
	e.ig = newAdapter(t, e.srv, meta.KindInstagram, e.logs, now)
	router, err := routing.New(routing.Config{})
	require.NoError(t, err)
	e.eng, err = oc.New(oc.Config{Store: e.store, Channels: []oc.Channel{e.msgr, e.ig}, Router: router,
		Blobs: oc.DirBlobStore{Dir: t.TempDir()}, Logger: e.logs.Logger(), Now: e.clock.Now,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: time.Millisecond})
	require.NoError(t, err)
	e.hook = httptest.NewServer(http.StripPrefix("/webhooks", e.eng.WebhookHandler()))
	t.Cleanup(e.hook.Close)
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		for _, u := range []*oc.User{{ID: "sup", Name: "Trần Giám Sát", Role: oc.RoleSupervisor},
			{ID: "a1", Name: "Minh", Role: oc.RoleAgent}, {ID: "a2", Name: "Hà", Role: oc.RoleAgent}} {
			u.WorkspaceID, u.Active = ws, true
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	}))
	return e
}

// connect runs the connect flow as an admin picking pages and igs in the login dialog.
func (e *engineEnv) connect(pages, igs []string) []*oc.Connection {
	e.t.Helper()
	u, err := e.eng.StartConnect(e.ctx, oc.ConnectParams{WorkspaceID: ws, UserID: "sup", Kind: meta.KindMessenger,
		RedirectURI: "https://crm.example/connect/callback/messenger"})
	require.NoError(e.t, err)
	q, err := e.srv.ConsentWith(e.ctx, u, pages, igs, true)
	require.NoError(e.t, err)
	conns, err := e.eng.CompleteConnectAll(e.ctx, ws, "sup", q)
	require.NoError(e.t, err)
	for _, c := range conns {
		e.conns[c.ExternalID] = c
	}
	ids := []string{}
	for _, c := range conns {
		ids = append(ids, c.ID)
	}
	_, err = e.eng.SaveRule(e.ctx, "sup", oc.Rule{WorkspaceID: ws, ID: "r1", Name: "Sales", SourceIDs: ids,
		UserIDs: []string{"a1", "a2"}, Method: oc.MethodRoundRobin, OldPolicy: oc.PolicyNone})
	require.NoError(e.t, err)
	for _, c := range conns {
		require.NoError(e.t, e.eng.SetChatPermission(e.ctx, oc.ChatPermissionChange{WorkspaceID: ws, ActorID: "sup", ConnectionID: c.ID, Permission: oc.PermissionShared, RuleID: "r1"}))
	}
	e.runDue()
	return conns
}

func (e *engineEnv) hookURL(kind oc.Kind) string { return e.hook.URL + "/webhooks/" + string(kind) }

func (e *engineEnv) runDue() {
	e.t.Helper()
	for i := 0; i < 30; i++ {
		n, err := e.eng.RunDue(e.ctx)
		require.NoError(e.t, err)
		if n == 0 {
			return
		}
	}
}

func (e *engineEnv) conversation(account, user string) *oc.Conversation {
	e.t.Helper()
	var conv *oc.Conversation
	require.NoError(e.t, e.store.View(e.ctx, func(tx oc.Tx) error {
		id, err := tx.FindIdentity(ws, e.conns[account].ID, user)
		if err != nil {
			return err
		}
		conv, err = tx.FindConversation(ws, e.conns[account].ID, id.ID)
		return err
	}))
	return conv
}

func (e *engineEnv) messages(conv *oc.Conversation) []*oc.Message {
	e.t.Helper()
	all, err := e.eng.Messages(e.ctx, ws, "sup", conv.ID, 0, 500)
	require.NoError(e.t, err)
	var out []*oc.Message
	for _, m := range all {
		if m.Direction != oc.DirectionSystem {
			out = append(out, m)
		}
	}
	return out
}

func (e *engineEnv) reply(conv *oc.Conversation, text string, atts ...oc.Attachment) (*oc.Message, error) {
	return e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: text, Attachments: atts})
}

// One login grants two Pages and an Instagram account: three connections, the app subscribed to
// each Page, Page tokens kept, the Instagram connection naming its Page.
func TestConnectSeveralPagesAndInstagram(t *testing.T) {
	e := newEngineEnv(t, nil)
	pages := e.srv.Pages()
	conns := e.connect([]string{pages[0].ID, pages[1].ID}, []string{pages[0].Instagram.ID})
	require.Len(t, conns, 3)
	kinds := map[oc.Kind]int{}
	for _, c := range conns {
		kinds[c.Kind]++
		assert.NotEmpty(t, c.Credentials.AccessToken)
		assert.NotEmpty(t, c.Credentials.RefreshToken, "the long-lived user token renews the Page token")
		assert.True(t, c.Credentials.AccessExpiry.IsZero())
	}
	assert.Equal(t, map[oc.Kind]int{meta.KindMessenger: 2, meta.KindInstagram: 1}, kinds)
	igc := e.conns[pages[0].Instagram.ID]
	assert.Equal(t, pages[0].ID, igc.Settings["page_id"])
	assert.Equal(t, "@shophoamai", igc.DisplayName)
	for _, p := range pages {
		assert.Contains(t, e.srv.Subscribed(p.ID), "message_echoes")
	}
	// The admin unchecks the second Page: only the first one (and its Instagram) come back.
	e2 := newEngineEnv(t, nil)
	conns = e2.connect([]string{pages[0].ID}, nil)
	require.Len(t, conns, 1)
	assert.Equal(t, pages[0].ID, conns[0].ExternalID)
	assert.Empty(t, e2.srv.Subscribed(pages[1].ID))
}

// The walk of the issue: a customer writes on Messenger, the conversation is routed round-robin,
// the agent replies with an image whose echo arrives before the send call returns, the customer's
// delivery and read watermarks move it to seen; one outgoing message, no duplicate.
func TestMessengerCustomerReplyImageEchoSeen(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.connect([]string{e.srv.PageID()}, nil)
	e.srv.SetEchoURL("page", e.hookURL(meta.KindMessenger))
	e.srv.SetCustomer(psid, metatest.Customer{Name: "Nguyễn Thị Lan", Picture: pngBytes})
	mid, err := e.srv.CustomerSays(e.ctx, e.hookURL(meta.KindMessenger), e.srv.PageID(), psid, "Lan", "Shop ơi, còn áo không?")
	require.NoError(t, err)
	e.runDue()
	conv := e.conversation(e.srv.PageID(), psid)
	assert.Contains(t, []string{"a1", "a2"}, conv.AssigneeID)
	assert.Equal(t, "Nguyễn Thị Lan", conv.ContactName, "the profile API's name")
	msgs := e.messages(conv)
	require.Len(t, msgs, 1)
	assert.Equal(t, mid, msgs[0].ProviderMessageID)

	att, err := e.eng.UploadAttachment(e.ctx, ws, conv.AssigneeID, "ảnh.png", bytes.NewReader(pngBytes))
	require.NoError(t, err)
	_, err = e.reply(conv, "", att)
	require.NoError(t, err)
	e.runDue()
	sent := e.srv.Sent()
	require.Len(t, sent, 1)
	assert.Equal(t, "image", sent[0].AttachmentType)
	assert.Equal(t, pngBytes, sent[0].Attachment)
	assert.Equal(t, "RESPONSE", sent[0].MessagingType)
	msgs = e.messages(conv)
	require.Len(t, msgs, 2, "the early echo matched the send: no second outgoing message")
	assert.Equal(t, sent[0].MessageID, msgs[1].ProviderMessageID)
	assert.Equal(t, oc.MessageSent, msgs[1].Status)

	require.NoError(t, e.srv.Delivered(e.ctx, e.hookURL(meta.KindMessenger), e.srv.PageID(), psid))
	assert.Equal(t, oc.MessageDelivered, e.messages(conv)[1].Status)
	e.clock.Advance(time.Second)
	require.NoError(t, e.srv.CustomerReads(e.ctx, e.hookURL(meta.KindMessenger), e.srv.PageID(), psid))
	assert.Equal(t, oc.MessageSeen, e.messages(conv)[1].Status)

	// The same image again reuses its upload.
	uploads := e.srv.UploadCount()
	_, err = e.reply(conv, "", att)
	require.NoError(t, err)
	e.runDue()
	assert.Equal(t, uploads, e.srv.UploadCount(), "attachment_id reused")
	assert.Len(t, e.srv.Sent(), 2)
}

// A reply typed in the Page inbox joins the thread as an agent message, and is not mistaken for
// a pending send with the same text; a redelivered webhook changes nothing; a reaction shows on
// its message and creates no message and no unread; unreact removes it.
func TestPageInboxEchoReactionAndRedelivery(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.connect([]string{e.srv.PageID()}, nil)
	hook := e.hookURL(meta.KindMessenger)
	mid, err := e.srv.CustomerSays(e.ctx, hook, e.srv.PageID(), psid, "Lan", "Giá bao nhiêu?")
	require.NoError(t, err)
	require.NoError(t, e.srv.Redeliver(e.ctx, hook))
	e.runDue()
	conv := e.conversation(e.srv.PageID(), psid)
	require.Len(t, e.messages(conv), 1, "a redelivery is a duplicate")

	pending, err := e.reply(conv, "Dạ 200k ạ")
	require.NoError(t, err)
	_, err = e.srv.PageInboxReplies(e.ctx, hook, e.srv.PageID(), psid, "Dạ 200k ạ")
	require.NoError(t, err)
	msgs := e.messages(conv)
	require.Len(t, msgs, 3, "the inbox reply joined the thread beside the pending send")
	assert.Equal(t, oc.MessagePending, msgs[1].Status, "the pending send was not matched by text")
	assert.Equal(t, pending.ID, msgs[1].ID)
	assert.Equal(t, oc.DirectionOut, msgs[2].Direction)
	assert.Equal(t, "Shop Hoa Mai", msgs[2].SenderName)

	before := e.conversation(e.srv.PageID(), psid)
	require.NoError(t, e.srv.CustomerReacts(e.ctx, hook, e.srv.PageID(), psid, mid, "❤️"))
	after := e.conversation(e.srv.PageID(), psid)
	msgs = e.messages(conv)
	assert.Len(t, msgs, 3, "a reaction is not a message")
	assert.Equal(t, before.InboundCount, after.InboundCount, "a reaction adds nothing unread")
	assert.Equal(t, before.LastMessageText, after.LastMessageText)
	require.Len(t, msgs[0].Reactions, 1, "the reaction is shown on the message it targets")
	assert.Equal(t, "❤️", msgs[0].Reactions[0].Emoji)
	assert.Equal(t, oc.DirectionIn, msgs[0].Reactions[0].Direction)
	require.NoError(t, e.srv.CustomerReacts(e.ctx, hook, e.srv.PageID(), psid, mid, ""))
	assert.Empty(t, e.messages(conv)[0].Reactions, "unreact takes it away")
}

// Past 24 hours an agent's reply goes out tagged HUMAN_AGENT; past 7 days it is refused before
// any call.
func TestHumanAgentWindow(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.connect([]string{e.srv.PageID()}, nil)
	_, err := e.srv.CustomerSays(e.ctx, e.hookURL(meta.KindMessenger), e.srv.PageID(), psid, "Lan", "Chào shop")
	require.NoError(t, err)
	e.runDue()
	conv := e.conversation(e.srv.PageID(), psid)
	e.clock.Advance(30 * time.Hour)
	w := e.eng.Window(e.conversation(e.srv.PageID(), psid))
	assert.True(t, w.Open)
	assert.True(t, w.HumanAgent)
	_, err = e.reply(conv, "Xin lỗi đã trả lời muộn")
	require.NoError(t, err)
	e.runDue()
	sent := e.srv.Sent()
	require.Len(t, sent, 1)
	assert.Equal(t, "MESSAGE_TAG", sent[0].MessagingType)
	assert.Equal(t, "HUMAN_AGENT", sent[0].Tag)

	e.clock.Advance(6 * 24 * time.Hour)
	requests := len(e.srv.Requests())
	_, err = e.reply(conv, "quá muộn")
	require.ErrorIs(t, err, oc.ErrOutsideWindow)
	e.runDue()
	assert.Equal(t, requests, len(e.srv.Requests()), "refused before any provider call")
}

// An expired Page token is renewed once from the user token; when the user token is dead too,
// the connection needs a reconnect and the message fails with Meta's reason.
func TestToken190RenewsThenNeedsReconnect(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.connect([]string{e.srv.PageID()}, nil)
	_, err := e.srv.CustomerSays(e.ctx, e.hookURL(meta.KindMessenger), e.srv.PageID(), psid, "Lan", "Alo")
	require.NoError(t, err)
	e.runDue()
	conv := e.conversation(e.srv.PageID(), psid)

	e.srv.ExpirePageTokens()
	_, err = e.reply(conv, "một")
	require.NoError(t, err)
	e.runDue()
	require.Len(t, e.srv.Sent(), 1, "sent after deriving a fresh Page token")

	e.srv.ExpirePageTokens()
	e.srv.RevokeUserTokens()
	m, err := e.reply(conv, "hai")
	require.NoError(t, err)
	e.runDue()
	conns, err := e.eng.Connections(e.ctx, ws, "sup")
	require.NoError(t, err)
	require.Len(t, conns, 1)
	assert.Equal(t, oc.ConnectionNeedsReconnect, conns[0].Status)
	assert.Contains(t, conns[0].StatusReason, "reconnect")
	got := e.messages(conv)
	assert.Equal(t, m.ID, got[len(got)-1].ID)
	assert.Equal(t, oc.MessageFailed, got[len(got)-1].Status)
	assert.Len(t, e.srv.Sent(), 1)
	var stored *oc.Connection
	require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) (err error) {
		stored, err = tx.GetConnection(ws, conns[0].ID)
		return err
	}))
	require.NotEmpty(t, stored.Credentials.AccessToken)
	for _, tok := range []string{stored.Credentials.AccessToken, stored.Credentials.RefreshToken} {
		assert.NotContains(t, got[len(got)-1].FailureReason, tok)
		assert.NotContains(t, e.logs.String(), tok)
	}
}

// Instagram: 17-digit ids, the 1,000-byte limit enforced before any call, seen by mid, and the
// earlier conversations imported by the history sync without duplicating a live message.
func TestInstagramBytesSeenAndHistory(t *testing.T) {
	var seeded []string
	base := time.Now().Add(-72 * time.Hour)
	e := newEngineEnv(t, func(s *metatest.Server) {
		var err error
		seeded, err = s.SeedHistory(s.InstagramID(), igsid, "Mai", []metatest.HistoryMessage{
			{FromCustomer: true, Text: "Còn hàng không?", At: base},
			{Text: "Dạ còn ạ", At: base.Add(time.Minute)},
		})
		require.NoError(t, err)
	})
	e.connect([]string{e.srv.PageID()}, []string{e.srv.InstagramID()})
	conv := e.conversation(e.srv.InstagramID(), igsid)
	assert.True(t, conv.Historical)
	msgs := e.messages(conv)
	require.Len(t, msgs, 2)
	assert.Equal(t, seeded[0], msgs[0].ProviderMessageID)
	assert.Equal(t, oc.DirectionOut, msgs[1].Direction)

	hook := e.hookURL(meta.KindInstagram)
	_, err := e.srv.CustomerSays(e.ctx, hook, e.srv.InstagramID(), igsid, "Mai", "Mình lấy 2 cái")
	require.NoError(t, err)
	e.runDue()
	conv = e.conversation(e.srv.InstagramID(), igsid)
	assert.False(t, conv.Historical, "a live message makes it live")
	require.Len(t, e.messages(conv), 3)

	requests := len(e.srv.Requests())
	_, err = e.reply(conv, strings.Repeat("ấ", 334)) // 1,002 bytes
	require.ErrorIs(t, err, oc.ErrInvalid)
	assert.Contains(t, err.Error(), "bytes")
	assert.Equal(t, requests, len(e.srv.Requests()))

	_, err = e.reply(conv, strings.Repeat("ấ", 333))
	require.NoError(t, err)
	e.runDue()
	require.Len(t, e.srv.Sent(), 1)
	require.NoError(t, e.srv.CustomerReads(e.ctx, hook, e.srv.InstagramID(), igsid))
	msgs = e.messages(conv)
	assert.Equal(t, oc.MessageSeen, msgs[len(msgs)-1].Status)
}

// Meta's GET check of the callback URL is answered by the engine's webhook handler for both kinds:
// the challenge as plain text with the right verify token, 403 otherwise.
func TestWebhookHandshakeThroughTheEngine(t *testing.T) {
	e := newEngineEnv(t, nil)
	for _, kind := range []oc.Kind{meta.KindMessenger, meta.KindInstagram} {
		get := func(token string) (int, string) {
			resp, err := http.Get(e.hookURL(kind) + "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + token)
			require.NoError(t, err)
			defer resp.Body.Close()
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			return resp.StatusCode, b.String()
		}
		code, body := get(e.srv.VerifyToken())
		assert.Equal(t, http.StatusOK, code, kind)
		assert.Equal(t, "1158201444", body)
		code, body = get("wrong-token")
		assert.Equal(t, http.StatusForbidden, code, kind)
		assert.NotContains(t, body, "1158201444")
	}
	assert.NotContains(t, e.logs.String(), e.srv.VerifyToken())
}

// Webhook times in seconds or in strings (both forms, as the facts are uncertain) land at the same time
// as milliseconds.
func TestTimestampForms(t *testing.T) {
	fixed := time.Date(2026, 7, 29, 10, 20, 30, 0, time.UTC)
	for _, form := range []string{"ms", "seconds", "string"} {
		srv := metatest.New(metatest.Options{Timestamps: form, Now: func() time.Time { return fixed }})
		ch := newAdapter(t, srv, meta.KindMessenger, nil)
		hook := newCapture(t)
		_, err := srv.CustomerSays(context.Background(), hook.srv.URL, pageID, psid, "Lan", "hi")
		require.NoError(t, err)
		body, _ := hook.last()
		evs, err := ch.ParseWebhook(nil, body)
		require.NoError(t, err)
		require.Len(t, evs, 1)
		assert.Equal(t, fixed, evs[0].Time, form)
		srv.Close()
	}
}
