package omnichannel_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// handshaking answers the provider's GET verification of the callback (WebhookHandshaker).
type handshaking struct{ *fakechannel.Channel }

func (handshaking) AnswerHandshake(q url.Values) (string, error) {
	if q.Get("hub.mode") != "subscribe" || q.Get("hub.verify_token") != "verify-me" {
		return "", errors.New("not ours")
	}
	return q.Get("hub.challenge"), nil
}

func TestWebhookGETAnsweredOnlyByHandshakers(t *testing.T) {
	get := func(base, query string) (int, string) {
		resp, err := http.Get(base + "/webhooks/fake?" + query)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	plain := newEnv(t)
	code, _ := get(plain.hook.URL, "hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42")
	assert.Equal(t, http.StatusMethodNotAllowed, code, "an adapter without the capability keeps its GET answer")

	e := newEnv(t, withChannel(func(c *fakechannel.Channel) oc.Channel { return handshaking{c} }))
	code, body := get(e.hook.URL, "hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "1158201444", body, "the challenge as the raw body")
	code, body = get(e.hook.URL, "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444")
	assert.Equal(t, http.StatusForbidden, code)
	assert.NotContains(t, body, "1158201444")
	assert.NotContains(t, e.logs.String(), "verify-me")
}

// byteLimited counts its text limit in bytes, with Meta's window and human-agent extension.
type byteLimited struct {
	*fakechannel.Channel
	mu       sync.Mutex
	inbounds []time.Time
}

func (b *byteLimited) Capabilities() oc.Capabilities {
	c := b.Channel.Capabilities()
	c.MaxTextBytes, c.ReplyWindow, c.HumanAgentWindow = 12, 24*time.Hour, 7*24*time.Hour
	return c
}

func (b *byteLimited) Send(ctx context.Context, conn *oc.Connection, msg *oc.OutboundMessage) (oc.SendResult, error) {
	b.mu.Lock()
	b.inbounds = append(b.inbounds, msg.LastInboundAt)
	b.mu.Unlock()
	return b.Channel.Send(ctx, conn, msg)
}

func TestTextLimitInBytes(t *testing.T) {
	e := newEnv(t, withChannel(func(c *fakechannel.Channel) oc.Channel { return &byteLimited{Channel: c} }))
	conv := e.openConversation("u1")
	send := func(text string) error {
		_, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: text})
		return err
	}
	err := send("ấấấấấ") // 5 letters, 15 bytes
	require.ErrorIs(t, err, oc.ErrInvalid)
	assert.Contains(t, err.Error(), "15 bytes")
	require.NoError(t, send("ấấấấ"), "12 bytes fit")
	e.drain()
	assert.Len(t, e.prov.Sent(), 1)
}

func TestHumanAgentWindowExtendsRepliesForAgents(t *testing.T) {
	bl := &byteLimited{}
	e := newEnv(t, withChannel(func(c *fakechannel.Channel) oc.Channel { bl.Channel = c; return bl }))
	conv := e.openConversation("u1")
	send := func(text string) error {
		_, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: text})
		return err
	}
	w := e.eng.Window(e.conversationOf("u1"))
	assert.True(t, w.Open)
	assert.False(t, w.HumanAgent, "inside the standard 24 h")
	assert.Equal(t, 6*24*time.Hour, w.ClosesAt.Sub(w.StandardClosesAt))

	e.clock.Advance(25 * time.Hour)
	w = e.eng.Window(e.conversationOf("u1"))
	assert.True(t, w.Open)
	assert.True(t, w.HumanAgent, "between 24 h and 7 days a reply goes out under the human-agent tag")
	require.NoError(t, send("muộn"))
	e.drain()
	bl.mu.Lock()
	require.Len(t, bl.inbounds, 1)
	assert.Equal(t, e.conversationOf("u1").LastInboundAt.UnixMilli(), bl.inbounds[0].UnixMilli(), "the adapter sees when the customer wrote")
	bl.mu.Unlock()

	e.clock.Advance(6 * 24 * time.Hour)
	w = e.eng.Window(e.conversationOf("u1"))
	assert.False(t, w.Open)
	assert.False(t, w.HumanAgent)
	err := send("quá muộn")
	require.ErrorIs(t, err, oc.ErrOutsideWindow)
	e.drain()
	assert.Len(t, e.prov.Sent(), 1, "refused before any provider call")
}

// multi grants two accounts with one consent: the fake account and a second one.
type multi struct{ *fakechannel.Channel }

func (m multi) ExchangeAll(ctx context.Context, cb oc.CallbackParams) ([]*oc.Connection, error) {
	c, err := m.Exchange(ctx, cb)
	if err != nil {
		return nil, err
	}
	second := *c
	second.ExternalID, second.DisplayName = c.ExternalID+"-page2", "Trang thứ hai"
	return []*oc.Connection{c, &second}, nil
}

func TestOneConsentYieldsSeveralConnections(t *testing.T) {
	e := newEnv(t, withChannel(func(c *fakechannel.Channel) oc.Channel { return multi{c} }))
	u, err := e.eng.StartConnect(e.ctx, oc.ConnectParams{WorkspaceID: ws, UserID: "sup", Kind: fakechannel.Kind,
		RedirectURI: "https://crm.example/cb"})
	require.NoError(t, err)
	q, err := e.prov.Consent(e.ctx, u)
	require.NoError(t, err)
	conns, err := e.eng.CompleteConnectAll(e.ctx, ws, "sup", q)
	require.NoError(t, err)
	require.Len(t, conns, 2)
	assert.Equal(t, e.conn.ID, conns[0].ID, "the account already connected is revived, not duplicated")
	assert.True(t, strings.HasSuffix(conns[1].ExternalID, "-page2"))
	assert.Equal(t, "sup", conns[1].OwnerID)
	assert.Equal(t, oc.ConnectionConnected, conns[1].Status)
	list, err := e.eng.Connections(e.ctx, ws, "sup")
	require.NoError(t, err)
	assert.Len(t, list, 2)
}
