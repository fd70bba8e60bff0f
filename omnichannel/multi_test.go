package omnichannel_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
)

// secondEngine is another engine process over the same store and provider.
func (e *env) secondEngine() *oc.Engine {
	e.t.Helper()
	ch, err := fakechannel.New(fakechannel.Config{Secret: e.prov.Secret(), BaseURL: e.prov.URL(), HTTPClient: e.prov.Client()})
	require.NoError(e.t, err)
	r, _ := routing.New(routing.Config{})
	eng, err := oc.New(oc.Config{Store: e.store, Channels: []oc.Channel{ch}, Router: r, Now: e.clock.Now,
		Blobs: e.eng.Blobs(), Logger: e.eng.Logger()})
	require.NoError(e.t, err)
	return eng
}

func (e *env) countRequests(path string) int {
	n := 0
	for _, r := range e.prov.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

func TestTwoEnginesRefreshATokenOnce(t *testing.T) {
	e := newEnv(t)
	other := e.secondEngine()
	conv := e.openConversation("u1")
	e.send(conv, "một", "k1")
	e.send(conv, "hai", "k2")
	// The access token is about to expire: both engines want to refresh it at the same moment.
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		c, err := tx.GetConnection(ws, e.conn.ID)
		if err != nil {
			return err
		}
		c.Credentials.AccessExpiry = time.Now().Add(time.Minute)
		return tx.UpdateConnection(c)
	}))
	runDueTogether(t, e.eng, other)
	assert.Equal(t, 1, e.countRequests("/token"), "exactly one refresh reaches the provider")
	assert.Len(t, e.prov.Sent(), 2, "both engines kept working")
	for _, m := range e.thread(conv.ID) {
		if m.Direction == oc.DirectionOut {
			assert.Equal(t, oc.MessageSent, m.Status)
		}
	}
}

func TestTwoEnginesNeverSendAMessageTwice(t *testing.T) {
	e := newEnv(t)
	other := e.secondEngine()
	conv := e.openConversation("u1")
	for i := 0; i < 40; i++ {
		e.send(conv, "tin "+string(rune('a'+i%26)), "key-"+string(rune('A'+i)))
	}
	runDueTogether(t, e.eng, other, e.eng, other)
	assert.Len(t, e.prov.Sent(), 40)
}

// syncing adds history sync and EU-style content fetching to the fake channel.
type syncing struct {
	*fakechannel.Channel
	history []oc.InboundEvent
}

func (s syncing) SyncHistory(_ context.Context, _ *oc.Connection, fn func(oc.InboundEvent) error) error {
	for _, ev := range s.history {
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

func (s syncing) FetchContent(_ context.Context, _ *oc.Connection, ev oc.InboundEvent) (oc.InboundEvent, error) {
	ev.NeedsFetch, ev.Text = false, "fetched: "+ev.ProviderMessageID
	return ev, nil
}

func (s syncing) ParseWebhook(h http.Header, body []byte) ([]oc.InboundEvent, error) {
	evs, err := s.Channel.ParseWebhook(h, body)
	for i := range evs {
		if evs[i].Text == "" && evs[i].Type == oc.InboundMessage && len(evs[i].Attachments) == 0 {
			evs[i].NeedsFetch = true
		}
	}
	return evs, err
}

func TestHistorySyncThenOldConversationPolicy(t *testing.T) {
	old := time.Now().Add(-72 * time.Hour)
	history := []oc.InboundEvent{
		{Type: oc.InboundMessage, ExternalAccountID: fakechannel.AccountID, ExternalUserID: "old1", Direction: oc.DirectionIn, ProviderMessageID: "h1", Text: "cũ 1", Time: old},
		{Type: oc.InboundMessage, ExternalAccountID: fakechannel.AccountID, ExternalUserID: "old1", Direction: oc.DirectionOut, ProviderMessageID: "h2", Text: "trả lời cũ", Time: old.Add(time.Minute)},
		{Type: oc.InboundMessage, ExternalAccountID: fakechannel.AccountID, ExternalUserID: "old1", Direction: oc.DirectionIn, ProviderMessageID: "h1", Text: "cũ 1 (dup)", Time: old},
		{Type: oc.InboundMessage, ExternalAccountID: fakechannel.AccountID, ExternalUserID: "old2", Direction: oc.DirectionIn, ProviderMessageID: "h3", Text: "cũ 2", Time: old},
	}
	e := newEnv(t, withChannel(func(c *fakechannel.Channel) oc.Channel { return syncing{c, history} }))
	// newEnv connected the account: its sync job is queued. The rule says "distribute all".
	e.setRule(oc.MethodRoundRobin, oc.PolicyAll, "a1", "a2")
	e.drain()
	c1, c2 := e.conversationOf("old1"), e.conversationOf("old2")
	assert.True(t, c1.Historical)
	assert.Equal(t, old.Add(time.Minute).Unix(), c1.LastMessageAt.Unix(), "history keeps the provider's times")
	msgs := e.thread(c1.ID)
	var texts []string
	for _, m := range msgs {
		if m.Direction != oc.DirectionSystem {
			texts = append(texts, string(m.Direction)+":"+m.Text)
		}
	}
	assert.Equal(t, []string{"in:cũ 1", "out:trả lời cũ"}, texts, "de-duplicated by provider id, direction kept")
	assert.ElementsMatch(t, []string{"a1", "a2"}, []string{c1.AssigneeID, c2.AssigneeID}, "policy all distributes them")

	// A webhook without content (like TikTok's EU events) is completed by the adapter.
	require.Equal(t, 200, e.post(e.message("u9", "eu-1", "")))
	m := e.thread(e.conversationOf("u9").ID)
	assert.Equal(t, "fetched: eu-1", m[len(m)-1].Text)
}

func TestAgentsCannotAdminister(t *testing.T) {
	e := newEnv(t)
	_, err := e.eng.SaveRule(e.ctx, "a1", oc.Rule{WorkspaceID: ws, Name: "x", UserIDs: []string{"a1"}, Method: oc.MethodClaim})
	assert.ErrorIs(t, err, oc.ErrForbidden)
	assert.ErrorIs(t, e.eng.SetChatPermission(e.ctx, oc.ChatPermissionChange{WorkspaceID: ws, ActorID: "a1", ConnectionID: e.conn.ID, Permission: oc.PermissionOnlyMe, RuleID: ""}), oc.ErrForbidden)
	assert.ErrorIs(t, e.eng.Disconnect(e.ctx, ws, "a1", e.conn.ID), oc.ErrForbidden)
	_, err = e.eng.SaveRule(e.ctx, "sup", oc.Rule{WorkspaceID: ws, Name: "", Method: "random"})
	var ve *oc.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Len(t, ve.Problems, 3, "name, method and users reported together")

	require.NoError(t, e.eng.Disconnect(e.ctx, ws, "sup", e.conn.ID))
	require.Equal(t, 200, e.post(e.message("u1", "m1", "hi")), "a disconnected account's webhooks are ignored")
	page, err := e.eng.ListConversations(e.ctx, "sup", oc.ConversationQuery{WorkspaceID: ws})
	require.NoError(t, err)
	assert.Empty(t, page.Conversations)
}

func TestSlowSubscriberIsToldItLagged(t *testing.T) {
	e := newEnv(t)
	sub := e.eng.Subscribe(t.Context(), oc.SubscribeOptions{WorkspaceID: ws, Buffer: 2})
	e.inbound("u1", "m1", "hi")
	assert.Len(t, sub.C, 2)
	assert.True(t, sub.Lagged())
	assert.False(t, sub.Lagged(), "cleared once reported")
}

// runDueTogether runs the due jobs on every engine at once.
func runDueTogether(t *testing.T, engines ...*oc.Engine) {
	var wg sync.WaitGroup
	for _, eng := range engines {
		wg.Add(1)
		go func(eng *oc.Engine) {
			defer wg.Done()
			_, err := eng.RunDue(context.Background())
			assert.NoError(t, err)
		}(eng)
	}
	wg.Wait()
}
