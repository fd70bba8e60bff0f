package inboxapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/inboxapi"
)

// A customer's reaction is shown on its message (messages list) and leaves the conversation's
// unread count alone; on a channel that cannot send reactions or information requests, the agent's
// attempts are refused with "unsupported" and nothing is stored.
func TestReactionsAndUnsupportedActions(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, http.StatusOK, e.webhook(fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "reaction", UserID: "cust-a", QuoteID: "m-a-1", Emoji: "😍"},
	}}.JSON()))
	var list inboxapi.MessageList
	e.call("GET", "/conversations/"+e.convA.ID+"/messages", supA, nil).decode(t, &list)
	var target *inboxapi.Message
	for i := range list.Items {
		if list.Items[i].Direction == "in" {
			target = &list.Items[i]
		}
	}
	require.NotNil(t, target)
	require.Len(t, target.Reactions, 1)
	assert.Equal(t, "😍", target.Reactions[0].Emoji)
	assert.Equal(t, "in", target.Reactions[0].Direction)
	assert.Equal(t, e.convA.Version, e.reload(e.convA).Version, "the conversation is not written")
	var d inboxapi.ConversationDetail
	e.call("GET", "/conversations/"+e.convA.ID, supA, nil).decode(t, &d)
	assert.Equal(t, int64(1), d.Conversation.Unread, "a reaction is never unread")
	assert.Empty(t, d.Capabilities.ReactionEmojis)
	assert.False(t, d.Capabilities.InfoRequest)

	e.call("POST", "/messages/"+target.ID+"/reactions", supA, inboxapi.ReactRequest{Emoji: "👍"}).
		requireError(t, http.StatusUnprocessableEntity, "unsupported")
	e.call("POST", "/messages/"+target.ID+"/reactions", supA, inboxapi.ReactRequest{}).
		requireError(t, http.StatusUnprocessableEntity, "invalid")
	e.call("POST", "/conversations/"+e.convA.ID+"/info-request", supA, inboxapi.InfoRequestRequest{IdempotencyKey: "k"}).
		requireError(t, http.StatusUnprocessableEntity, "unsupported")
	e.call("POST", "/conversations/"+e.convA.ID+"/info-request", supA, inboxapi.InfoRequestRequest{}).
		requireError(t, http.StatusUnprocessableEntity, "invalid")
	e.call("GET", "/conversations/"+e.convA.ID+"/messages", supA, nil).decode(t, &list)
	for _, m := range list.Items {
		assert.NotEqual(t, "info_request", m.Type, "nothing was queued")
	}
}
