package inboxapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// windowed is the fake channel with a 24-hour reply window and one reply per customer message.
type windowed struct{ *fakechannel.Channel }

func (w windowed) Capabilities() oc.Capabilities {
	c := w.Channel.Capabilities()
	c.ReplyWindow, c.MaxRepliesInWindow = 24*time.Hour, 1
	return c
}

func TestReplyWindow(t *testing.T) {
	e := newEnv(t, func(c *oc.Config, _ *inboxapi.Config) {
		c.Channels = []oc.Channel{windowed{c.Channels[0].(*fakechannel.Channel)}}
	})
	e.claim("a1", e.convA)
	window := func() inboxapi.Window {
		var d inboxapi.ConversationDetail
		e.call("GET", "/conversations/"+e.convA.ID, agent1, nil).decode(t, &d)
		return d.Window
	}
	w := window()
	assert.True(t, w.Open)
	closes, err := time.Parse(time.RFC3339, w.ClosesAt)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), closes, time.Minute)
	require.NotNil(t, w.RemainingReplies)
	assert.Equal(t, 1, *w.RemainingReplies)

	require.Equal(t, http.StatusAccepted, e.call("POST", "/conversations/"+e.convA.ID+"/messages", agent1,
		inboxapi.SendRequest{Text: "Dạ", IdempotencyKey: "k1"}).status)
	w = window()
	assert.False(t, w.Open)
	assert.Equal(t, 0, *w.RemainingReplies)
	d := e.call("POST", "/conversations/"+e.convA.ID+"/messages", agent1, inboxapi.SendRequest{Text: "Dạ nữa", IdempotencyKey: "k2"}).
		requireError(t, http.StatusUnprocessableEntity, "outside_window")
	assert.Contains(t, d.Message, "wait for the customer")
}

// humanAgent is the fake channel with Meta's window: 24 hours, extended to 7 days for agents, and
// a text limit in bytes.
type humanAgent struct{ *fakechannel.Channel }

func (h humanAgent) Capabilities() oc.Capabilities {
	c := h.Channel.Capabilities()
	c.ReplyWindow, c.HumanAgentWindow, c.MaxTextBytes = 24*time.Hour, 7*24*time.Hour, 1000
	return c
}

func TestHumanAgentWindowAndByteLimitOnTheWire(t *testing.T) {
	e := newEnv(t, func(c *oc.Config, _ *inboxapi.Config) {
		c.Channels = []oc.Channel{humanAgent{c.Channels[0].(*fakechannel.Channel)}}
	})
	e.claim("a1", e.convA)
	var d inboxapi.ConversationDetail
	e.call("GET", "/conversations/"+e.convA.ID, agent1, nil).decode(t, &d)
	assert.True(t, d.Window.Open)
	assert.False(t, d.Window.HumanAgent, "inside the standard 24 hours")
	standard, err := time.Parse(time.RFC3339, d.Window.StandardClosesAt)
	require.NoError(t, err)
	closes, err := time.Parse(time.RFC3339, d.Window.ClosesAt)
	require.NoError(t, err)
	assert.Equal(t, 6*24*time.Hour, closes.Sub(standard))
	assert.Equal(t, 1000, d.Capabilities.MaxTextBytes)
}
