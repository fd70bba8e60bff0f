package inboxapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// A customer who wrote without a name: the render route answers the workspace's neutral form, never
// the engine's fallback name, and says the name is unknown; a send still holding a placeholder is
// refused with 422 and nothing is queued.
func TestRenderTemplateNeutralNameAndLeftoverPlaceholder(t *testing.T) {
	e := newEnv(t, func(c *oc.Config, _ *inboxapi.Config) {
		c.NeutralCustomerNames = map[string]string{wsB: "quý khách"}
	})
	require.Equal(t, http.StatusOK, e.webhook(fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "in", UserID: "cust-x", MessageID: "m-x-1", Text: "alo"}}}.JSON()))
	conv := e.conversation(wsA, e.connA.ID, "cust-x")
	require.Equal(t, "fake user cust-x", conv.ContactName)
	e.claim("a1", conv)

	var got inboxapi.RenderedTemplate
	r := e.call("POST", "/conversations/"+conv.ID+"/templates/tpl1/render", agent1, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r.decode(t, &got)
	assert.Equal(t, inboxapi.RenderedTemplate{Text: "Cảm ơn anh/chị!", Unknown: []string{"customer_name"}}, got)

	// Workspace B configured its own neutral form.
	require.Equal(t, http.StatusOK, e.webhook(fakechannel.Webhook{AccountID: accountB, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "in", UserID: "cust-y", MessageID: "m-y-1", Text: "alo"}}}.JSON()))
	convB := e.conversation(wsB, e.connB.ID, "cust-y")
	r = e.call("POST", "/conversations/"+convB.ID+"/templates/tplb/render", supB, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.JSONEq(t, `{"text":"B quý khách","unknown":["customer_name"]}`, string(r.body))

	before := len(e.messages(conv.ID, supA))
	r = e.call("POST", "/conversations/"+conv.ID+"/messages", agent1, inboxapi.SendRequest{Text: "Cảm ơn {{customer_name}}!", IdempotencyKey: "k1"})
	detail := r.requireError(t, http.StatusUnprocessableEntity, "invalid")
	assert.Contains(t, detail.Message, "{{customer_name}}")
	assert.Len(t, e.messages(conv.ID, supA), before, "nothing queued")
}

// messages lists a conversation's thread through the API.
func (e *env) messages(convID, user string) []inboxapi.Message {
	e.t.Helper()
	r := e.call("GET", "/conversations/"+convID+"/messages?limit=200", user, nil)
	require.Equal(e.t, http.StatusOK, r.status, "%s", r.body)
	var l inboxapi.MessageList
	r.decode(e.t, &l)
	return l.Items
}

// activitiesAfter returns the activity entries of a thread after seq, as the API sends them.
func (e *env) activitiesAfter(convID string, seq int64) []inboxapi.Activity {
	e.t.Helper()
	var out []inboxapi.Activity
	for _, m := range e.messages(convID, supA) {
		if m.Seq > seq && m.Activity != nil {
			require.NotEmpty(e.t, m.CreatedAt, "every entry has its time")
			out = append(out, *m.Activity)
		}
	}
	return out
}

// Through the API: claims, reassignments, team moves and detail changes come back with who, from
// and to (ids, resolved to names by the client), in the raw from/to and the typed fields.
func TestHistoryEntriesCarryFromAndTo(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		return tx.PutCategory(&oc.Category{WorkspaceID: wsA, ID: "c2", Name: "Hỏi giá", Active: true, Position: 4})
	}))
	conv := e.convA
	seq := e.reload(conv).LastSeq
	ok := func(r response) {
		t.Helper()
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	}
	ok(e.call("POST", "/conversations/"+conv.ID+"/claim", agent1, nil))
	ok(e.call("POST", "/conversations/"+conv.ID+"/assign", supA, inboxapi.AssignRequest{UserID: "a2"}))
	ok(e.call("POST", "/conversations/"+conv.ID+"/assign", supA, inboxapi.AssignRequest{TeamID: "t1"}))
	owner := e.reload(conv).AssigneeID
	ok(e.call("PATCH", "/conversations/"+conv.ID+"/details", wsA+"/"+owner, `{"categoryId":"c111","classificationId":"cskh","note":"Cần đổi màu"}`))
	ok(e.call("PATCH", "/conversations/"+conv.ID+"/details", supA, `{"categoryId":"c2","classificationId":"spam","note":"Đã đổi"}`))
	ok(e.call("POST", "/conversations/"+conv.ID+"/done", supA, nil))

	want := []inboxapi.Activity{
		{Kind: "claimed", ActorID: "a1", From: "", To: "a1", ToUserID: "a1"},
		{Kind: "assigned", ActorID: "sup", From: "a1", To: "a2", FromUserID: "a1", ToUserID: "a2", Detail: "reassigned"},
		{Kind: "team_changed", ActorID: "sup", From: "", To: "t1", ToTeamID: "t1"},
	}
	if owner != "a2" {
		want = append(want, inboxapi.Activity{Kind: "assigned", ActorID: "sup", From: "a2", To: owner, FromUserID: "a2", ToUserID: owner})
	}
	want = append(want,
		inboxapi.Activity{Kind: "category_changed", ActorID: owner, From: "", To: "c111"},
		inboxapi.Activity{Kind: "classification_changed", ActorID: owner, From: "", To: "cskh"},
		inboxapi.Activity{Kind: "note_changed", ActorID: owner, From: "", To: "Cần đổi màu"},
		inboxapi.Activity{Kind: "category_changed", ActorID: "sup", From: "c111", To: "c2"},
		inboxapi.Activity{Kind: "classification_changed", ActorID: "sup", From: "cskh", To: "spam"},
		inboxapi.Activity{Kind: "note_changed", ActorID: "sup", From: "Cần đổi màu", To: "Đã đổi"},
		inboxapi.Activity{Kind: "done", ActorID: "sup", From: "open", To: "done"},
	)
	got := e.activitiesAfter(conv.ID, seq)
	for i := range got {
		if got[i].Kind == "assigned" && got[i].Detail != "reassigned" {
			got[i].Detail = "" // the team's routing reason is free text
		}
	}
	assert.Equal(t, want, got)
}
