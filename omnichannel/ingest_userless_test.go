package omnichannel_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// userless is the fake channel, except that a message whose text is "(no user)" arrives without
// the customer's id, as some providers redeliver a message they already sent in full.
type userless struct{ *fakechannel.Channel }

func (u userless) ParseWebhook(h http.Header, body []byte) ([]oc.InboundEvent, error) {
	evs, err := u.Channel.ParseWebhook(h, body)
	for i := range evs {
		if evs[i].Text == "(no user)" {
			evs[i].ExternalUserID = ""
		}
	}
	return evs, err
}

// TestRedeliveryWithoutUserIsADuplicate: a redelivered message the store already holds is
// recognised by its provider id even when the redelivery lacks the customer's id (200, nothing
// changes); a new message without a customer id is malformed (400).
func TestRedeliveryWithoutUserIsADuplicate(t *testing.T) {
	e := newEnv(t, withChannel(func(c *fakechannel.Channel) oc.Channel { return userless{c} }))
	require.Equal(t, http.StatusOK, e.post(e.message("u1", "m-1", "chào shop")))
	before := e.thread(e.conversationOf("u1").ID)

	assert.Equal(t, http.StatusOK, e.post(e.message("u1", "m-1", "(no user)")), "a redelivery")
	assert.Equal(t, before, e.thread(e.conversationOf("u1").ID), "nothing changed")
	assert.Equal(t, http.StatusBadRequest, e.post(e.message("u1", "m-2", "(no user)")), "a new message without its customer")
}
