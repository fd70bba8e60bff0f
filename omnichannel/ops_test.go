package omnichannel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

func (e *env) seedCatalog() {
	e.t.Helper()
	require.NoError(e.t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		for _, c := range []*oc.Category{
			{ID: "khieu-nai", Name: "Khiếu nại"},
			{ID: "sai-sp", ParentID: "khieu-nai", Name: "Sai sản phẩm"},
			{ID: "sai-mau", ParentID: "sai-sp", Name: "Sai màu sản phẩm"},
			{ID: "old", ParentID: "sai-sp", Name: "Cũ"},
		} {
			c.WorkspaceID, c.Active = ws, c.ID != "old"
			if err := tx.PutCategory(c); err != nil {
				return err
			}
		}
		for _, c := range []string{"CSKH", "Sale", "Spam"} {
			if err := tx.PutClassification(&oc.Classification{WorkspaceID: ws, ID: c, Name: c, Active: true}); err != nil {
				return err
			}
		}
		return tx.PutTemplate(&oc.Template{WorkspaceID: ws, ID: "thanks", Name: "Cảm ơn khách hàng",
			Body: "Cảm ơn {{customer_name}} đã liên hệ. {{agent_name}} sẽ hỗ trợ ngay."})
	}))
}

func ptr(s string) *string { return &s }

func TestDetailsCategoryClassificationNote(t *testing.T) {
	e := newEnv(t)
	e.seedCatalog()
	conv := e.openConversation("u1")
	edit := func(p oc.DetailsParams) (*oc.Conversation, error) {
		p.WorkspaceID, p.ConversationID = ws, conv.ID
		if p.ActorID == "" {
			p.ActorID = conv.AssigneeID
		}
		return e.eng.UpdateDetails(e.ctx, p)
	}
	_, err := edit(oc.DetailsParams{CategoryID: ptr("sai-sp")})
	assert.ErrorIs(t, err, oc.ErrInvalid, "a category with active children is not a leaf")
	_, err = edit(oc.DetailsParams{CategoryID: ptr("old")})
	assert.ErrorIs(t, err, oc.ErrInvalid, "inactive nodes cannot be chosen")
	_, err = edit(oc.DetailsParams{ClassificationID: ptr("VIP")})
	assert.ErrorIs(t, err, oc.ErrInvalid)
	_, err = edit(oc.DetailsParams{Note: ptr("x"), ActorID: "a7"})
	assert.ErrorIs(t, err, oc.ErrForbidden, "another agent's conversation")

	got, err := edit(oc.DetailsParams{CategoryID: ptr("sai-mau"), ClassificationID: ptr("CSKH"), Note: ptr("  Khách nhận áo màu đỏ thay vì xanh  ")})
	require.NoError(t, err)
	assert.Equal(t, []string{"khieu-nai", "sai-sp", "sai-mau"}, got.CategoryPath)
	assert.Equal(t, "CSKH", got.ClassificationID)
	assert.Equal(t, "Khách nhận áo màu đỏ thay vì xanh", got.Note)

	for _, id := range []string{"khieu-nai", "sai-sp", "sai-mau"} {
		page, err := e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws, CategoryIDs: []string{id}})
		require.NoError(t, err)
		assert.Len(t, page.Conversations, 1, "filter by category at level of %s", id)
	}
	var acts []oc.ActivityAction
	for _, m := range e.thread(conv.ID) {
		if m.Activity != nil {
			acts = append(acts, m.Activity.Action)
		}
	}
	assert.Subset(t, acts, []oc.ActivityAction{oc.ActivityCategory, oc.ActivityClassification, oc.ActivityNote})
}

func TestTemplateRendersForConversation(t *testing.T) {
	e := newEnv(t)
	e.seedCatalog()
	conv := e.openConversation("u1")
	text, err := e.eng.RenderTemplateFor(e.ctx, oc.TemplateFill{WorkspaceID: ws, ViewerID: conv.AssigneeID, ConversationID: conv.ID, TemplateID: "thanks"})
	require.NoError(t, err)
	assert.Equal(t, "Cảm ơn Khách u1 đã liên hệ. Agent 1 sẽ hỗ trợ ngay.", text)
	ts, err := e.eng.Templates(e.ctx, ws, fakechannel.Kind)
	require.NoError(t, err)
	require.Len(t, ts, 1)
}

func TestPhoneInMessageLinksCRMCustomerAndProfileShowsHistory(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "Số của em là 0912.345.678 ạ")
	e.drain()
	conv := e.conversationOf("u1")
	assert.Equal(t, "+84912345678", conv.ContactPhone)
	p, err := e.eng.Customer(e.ctx, ws, conv.AssigneeID, conv.ID)
	require.NoError(t, err)
	assert.Equal(t, "crm-42", p.Contact.CRMCustomerID)
	assert.Equal(t, "lan@example.vn", p.Contact.Email)
	require.NotNil(t, p.CRM)
	assert.Equal(t, "Nguyễn Thị Lan", p.CRM.Name)
	kinds := map[string]int{}
	for _, h := range p.History {
		kinds[h.Kind]++
	}
	assert.Equal(t, map[string]int{"conversation": 1, "call": 1, "transaction": 1}, kinds)
	msgs := e.thread(conv.ID)
	last := msgs[len(msgs)-1]
	require.NotNil(t, last.Activity)
	assert.Equal(t, oc.ActivityLinked, last.Activity.Action)

	// Search finds the customer by phone in any common form, and by name.
	for _, q := range []string{"0912 345", "+84912", "khách U1"} {
		page, err := e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws, Search: q})
		require.NoError(t, err)
		assert.Len(t, page.Conversations, 1, q)
	}
}

func TestSharedPhoneProfileEventLinksToo(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "hi")
	body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "profile", UserID: "u1", UserName: "Lan", Phone: "84912345678"}}}.JSON()
	require.Equal(t, http.StatusOK, e.post(body))
	e.drain()
	conv := e.conversationOf("u1")
	assert.Equal(t, "Lan", conv.ContactName)
	p, err := e.eng.Customer(e.ctx, ws, "sup", conv.ID)
	require.NoError(t, err)
	assert.Equal(t, "crm-42", p.Contact.CRMCustomerID)
}

func TestInboundMediaIsCopiedIntoTheBlobStore(t *testing.T) {
	e := newEnv(t)
	img := append([]byte("\x89PNG\r\n\x1a\n"), 1, 2, 3)
	u := e.prov.ServeMedia("a.png", "image/png", img)
	body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", UserID: "u1", MessageID: "m1", Attachments: []fakechannel.WebhookAttachment{{Type: "image", URL: u, Name: "a.png"}}}}}.JSON()
	require.Equal(t, http.StatusOK, e.post(body))
	e.drain()
	msgs := e.thread(e.conversationOf("u1").ID)
	m := msgs[len(msgs)-1]
	require.Len(t, m.Attachments, 1)
	require.NotEmpty(t, m.Attachments[0].BlobKey)
	rc, err := oc.DirBlobStore{Dir: blobDir(t, e)}.Open(e.ctx, m.Attachments[0].BlobKey)
	require.NoError(t, err)
	got, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, img, got)
	assert.Equal(t, "[image]", e.conversationOf("u1").LastMessageText)
}

func blobDir(t *testing.T, e *env) string {
	t.Helper()
	d, ok := e.eng.Blobs().(oc.DirBlobStore)
	require.True(t, ok)
	return d.Dir
}

func TestMarkReadIsPerUser(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "a")
	e.inbound("u1", "m2", "b")
	conv := e.conversationOf("u1")
	count := func(user string) int {
		n, err := e.eng.CountUnread(e.ctx, user, oc.ConversationQuery{WorkspaceID: ws})
		require.NoError(t, err)
		return n
	}
	assert.Equal(t, 1, count("a1"))
	assert.Equal(t, 1, count("sup"))
	require.NoError(t, e.eng.MarkRead(e.ctx, ws, "a1", conv.ID))
	assert.Equal(t, 0, count("a1"))
	assert.Equal(t, 1, count("sup"), "reading is per user")
	e.inbound("u1", "m3", "c")
	page, err := e.eng.ListConversations(e.ctx, "a1", oc.ConversationQuery{WorkspaceID: ws, ReadState: oc.ReadUnread})
	require.NoError(t, err)
	require.Len(t, page.Conversations, 1)
	assert.EqualValues(t, 1, page.Unread[conv.ID])
}

func TestWorkspaceIsolation(t *testing.T) {
	e := newEnv(t)
	conv := e.openConversation("u1")
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		return tx.PutUser(&oc.User{WorkspaceID: "ws-2", ID: "intruder", Name: "x", Role: oc.RoleSupervisor, Active: true})
	}))
	_, err := e.eng.Messages(e.ctx, "ws-2", "intruder", conv.ID, 0, 10)
	assert.ErrorIs(t, err, oc.ErrNotFound)
	_, err = e.eng.Messages(e.ctx, ws, "intruder", conv.ID, 0, 10)
	assert.ErrorIs(t, err, oc.ErrForbidden, "a user of another workspace is unknown here")
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: "ws-2", ConversationID: conv.ID, UserID: "intruder", Text: "x"})
	assert.ErrorIs(t, err, oc.ErrNotFound)
	_, err = e.eng.Claim(e.ctx, "ws-2", "intruder", conv.ID)
	assert.ErrorIs(t, err, oc.ErrNotFound)
	page, err := e.eng.ListConversations(e.ctx, "intruder", oc.ConversationQuery{WorkspaceID: "ws-2"})
	require.NoError(t, err)
	assert.Empty(t, page.Conversations)
	sub := e.eng.Subscribe(t.Context(), oc.SubscribeOptions{WorkspaceID: "ws-2"})
	e.inbound("u1", "m2", "x")
	assert.Len(t, sub.C, 0, "no events of another workspace")
}

func TestListPagingAndFilters(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 25; i++ {
		e.inbound(fmt.Sprintf("u%02d", i), fmt.Sprintf("m%d", i), "hi")
		e.clock.Advance(time.Millisecond)
	}
	seen := map[string]bool{}
	q := oc.ConversationQuery{WorkspaceID: ws, Limit: 10}
	var prev time.Time
	pages := 0
	for {
		page, err := e.eng.ListConversations(e.ctx, "sup", q)
		require.NoError(t, err)
		pages++
		for _, c := range page.Conversations {
			assert.False(t, seen[c.ID])
			seen[c.ID] = true
			if !prev.IsZero() {
				assert.False(t, c.LastMessageAt.After(prev), "newest first")
			}
			prev = c.LastMessageAt
		}
		// New activity during paging moves a conversation to the top without duplicating rows.
		if pages == 1 {
			e.clock.Advance(time.Second)
			e.inbound("u24", "late", "again")
		}
		if page.Next == "" {
			break
		}
		var err2 error
		q.After, err2 = oc.ParseCursor(page.Next)
		require.NoError(t, err2)
	}
	assert.Equal(t, 3, pages)
	assert.Len(t, seen, 25)
	_, err := oc.ParseCursor("not-a-cursor!!")
	assert.ErrorIs(t, err, oc.ErrInvalid)

	mine, err := e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws, AssigneeIDs: []string{"a3"},
		ChannelKinds: []oc.Kind{fakechannel.Kind}, Statuses: []oc.ConversationStatus{oc.StatusOpen}, ConnectionIDs: []string{e.conn.ID}})
	require.NoError(t, err)
	assert.Len(t, mine.Conversations, 4, "25 over 7 users: a3 gets 4")
	none, err := e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws, ChannelKinds: []oc.Kind{"zalooa"}})
	require.NoError(t, err)
	assert.Empty(t, none.Conversations)
}

func TestConnectFlowStateIsSingleUseAndBound(t *testing.T) {
	e := newEnv(t)
	start := func(user string) url.Values {
		u, err := e.eng.StartConnect(e.ctx, oc.ConnectParams{WorkspaceID: ws, UserID: user, Kind: fakechannel.Kind,
			RedirectURI: "http://127.0.0.1/callback", Permission: oc.PermissionShared, RuleID: "r1"})
		require.NoError(t, err)
		q, err := e.prov.Consent(e.ctx, u)
		require.NoError(t, err)
		return q
	}
	_, err := e.eng.StartConnect(e.ctx, oc.ConnectParams{WorkspaceID: ws, UserID: "a1", Kind: fakechannel.Kind})
	assert.ErrorIs(t, err, oc.ErrForbidden, "agents do not connect accounts")

	q := start("sup")
	_, err = e.eng.CompleteConnect(e.ctx, ws, "a1", q)
	assert.ErrorIs(t, err, oc.ErrBadState, "bound to the user who started")
	q = start("sup")
	c, err := e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	require.NoError(t, err)
	assert.Equal(t, oc.ConnectionConnected, c.Status)
	assert.Equal(t, oc.PermissionShared, c.Permission)
	_, err = e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	assert.ErrorIs(t, err, oc.ErrBadState, "replayed state")
	forged := url.Values{"state": {"forged"}, "code": {"x"}}
	_, err = e.eng.CompleteConnect(e.ctx, ws, "sup", forged)
	assert.ErrorIs(t, err, oc.ErrBadState)
	q = start("sup")
	e.clock.Advance(11 * time.Minute)
	_, err = e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	assert.ErrorIs(t, err, oc.ErrBadState, "expired state")
}

func TestNewValidatesEveryProblemAtOnce(t *testing.T) {
	_, err := oc.New(oc.Config{MaxWebhookBytes: -1, Channels: []oc.Channel{nil}})
	var ve *oc.ValidationError
	require.True(t, errors.As(err, &ve))
	assert.ErrorIs(t, err, oc.ErrInvalid)
	msg := err.Error()
	for _, want := range []string{"Store is required", "Router is required", "Channels[0] is nil", "MaxWebhookBytes must not be negative"} {
		assert.Contains(t, msg, want)
	}
	prov := fakechannel.NewProvider("s")
	defer prov.Close()
	ch, _ := fakechannel.New(fakechannel.Config{Secret: "s", BaseURL: prov.URL()})
	r, _ := routing.New(routing.Config{})
	_, err = oc.New(oc.Config{Store: memory.New(), Router: r, Channels: []oc.Channel{ch, ch}})
	assert.ErrorContains(t, err, "given twice")
}

func TestRunProcessesJobsUntilCancelled(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error)
	go func() { done <- e.eng.Run(ctx) }()
	conv := e.openConversation("u1")
	m := e.send(conv, "chạy nền", "k")
	require.Eventually(t, func() bool { return e.messageByID(m.ID).Status == oc.MessageSent }, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

// ListConversations and CountUnread set the query's ViewerID and SearchDigits themselves: a
// caller's different value is refused, never silently replaced.
func TestListConversationsRefusesEngineSetFields(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "Xin chào")
	_, err := e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws, ViewerID: "a1"})
	require.ErrorIs(t, err, oc.ErrInvalid)
	assert.Equal(t, "viewerId", oc.ProblemsOf(err)[0].Field)
	_, err = e.eng.CountUnread(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws, Search: "0912", SearchDigits: "999"})
	require.ErrorIs(t, err, oc.ErrInvalid)
	assert.Equal(t, "searchDigits", oc.ProblemsOf(err)[0].Field)

	page, err := e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws, ViewerID: "sup"})
	require.NoError(t, err, "the viewer's own id is what the engine would set")
	assert.Len(t, page.Conversations, 1)
	_, err = e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws, Search: "0912 345", SearchDigits: "84912345"})
	require.NoError(t, err, "the digits the engine derives are accepted")
}
