package omnichannel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

// relayHub stands in for a database's notification channel or a message broker between processes.
type relayHub struct {
	mu        sync.Mutex
	listeners map[*relayEnd]func(oc.EventRef)
}

// relayEnd is one process's end of the hub: an EventRelay.
type relayEnd struct {
	hub *relayHub
}

// relayStore is one process's Store value that is its own relay, as store/postgres is.
type relayStore struct {
	*memory.Store
	*relayEnd
}

func (s *relayEnd) RelayEvents(_ context.Context, refs []oc.EventRef) error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	for other, fn := range s.hub.listeners {
		if other != s {
			for _, r := range refs {
				fn(r)
			}
		}
	}
	return nil
}

func (s *relayEnd) ListenEvents(ctx context.Context, fn func(oc.EventRef)) error {
	s.hub.mu.Lock()
	s.hub.listeners[s] = fn
	s.hub.mu.Unlock()
	<-ctx.Done()
	s.hub.mu.Lock()
	delete(s.hub.listeners, s)
	s.hub.mu.Unlock()
	return ctx.Err()
}

func (s *relayEnd) listening() bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	_, ok := s.hub.listeners[s]
	return ok
}

// relayMode is how the engines of TestRelayedEventsReachTheOtherEnginesSubscribers get their relay.
type relayMode int

const (
	relayOfStore  relayMode = iota // Config.Relay nil, the Store is an EventRelay
	relayOfConfig                  // a plain Store and Config.Relay
	relayOff                       // the Store is an EventRelay, Config.Relay is NoRelay
)

func TestRelayedEventsReachTheOtherEnginesSubscribers(t *testing.T) {
	t.Run("RelayOfTheStore", func(t *testing.T) { testRelay(t, relayOfStore) })
	t.Run("ConfigRelay", func(t *testing.T) { testRelay(t, relayOfConfig) })
	t.Run("NoRelay", func(t *testing.T) { testRelay(t, relayOff) })
}

func testRelay(t *testing.T, mode relayMode) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shared, hub := memory.New(), &relayHub{listeners: map[*relayEnd]func(oc.EventRef){}}
	prov := fakechannel.NewProvider("hook-secret-123")
	t.Cleanup(prov.Close)
	newEngine := func() (*oc.Engine, *relayEnd) {
		end := &relayEnd{hub: hub}
		cfg := oc.Config{Store: &relayStore{Store: shared, relayEnd: end}}
		switch mode {
		case relayOfConfig:
			cfg = oc.Config{Store: shared, Relay: end}
		case relayOff:
			cfg.Relay = oc.NoRelay
		}
		ch, err := fakechannel.New(fakechannel.Config{Secret: prov.Secret(), BaseURL: prov.URL(), HTTPClient: prov.Client()})
		require.NoError(t, err)
		r, err := routing.New(routing.Config{})
		require.NoError(t, err)
		cfg.Channels, cfg.Router, cfg.Blobs = []oc.Channel{ch}, r, oc.DirBlobStore{Dir: t.TempDir()}
		eng, err := oc.New(cfg)
		require.NoError(t, err)
		return eng, end
	}
	a, _ := newEngine()
	b, endB := newEngine()
	require.NoError(t, shared.Update(ctx, func(tx oc.Tx) error {
		return tx.PutUser(&oc.User{WorkspaceID: ws, ID: "sup", Name: "Sup", Role: oc.RoleSupervisor, Active: true})
	}))
	c := prov.Connection()
	c.WorkspaceID = ws
	_, err := a.AddConnection(ctx, "sup", *c)
	require.NoError(t, err)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = b.Run(ctx) }()
	if mode != relayOff {
		require.Eventually(t, endB.listening, 5*time.Second, 5*time.Millisecond)
	}
	subA := a.Subscribe(ctx, oc.SubscribeOptions{WorkspaceID: ws})
	subB := b.Subscribe(ctx, oc.SubscribeOptions{WorkspaceID: ws})

	body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "in", UserID: "u1", UserName: "Khách", MessageID: "m1", Text: "xin chào"}}}.JSON()
	rec := httptest.NewRecorder()
	a.WebhookHandler().ServeHTTP(rec, prov.SignedWebhook("http://engine/fake", body))
	require.Equal(t, http.StatusOK, rec.Code)

	created := func(sub *oc.Subscription, wait time.Duration) *oc.Event {
		deadline := time.After(wait)
		for {
			select {
			case ev := <-sub.C:
				if ev.Kind == oc.EventMessageCreated && ev.Message != nil && ev.Message.Direction == oc.DirectionIn {
					return &ev
				}
			case <-deadline:
				return nil
			}
		}
	}
	evA := created(subA, 5*time.Second)
	require.NotNil(t, evA, "the committing engine's subscriber gets the event")
	if mode == relayOff {
		// The hub would deliver synchronously within the commit; nothing listens, nothing arrives.
		assert.False(t, endB.listening(), "with NoRelay the engine does not listen")
		assert.Nil(t, created(subB, 200*time.Millisecond), "with NoRelay no event crosses processes")
		cancel()
		wg.Wait()
		return
	}
	evB := created(subB, 5*time.Second)
	require.NotNil(t, evB, "the other engine's subscriber gets the relayed event")
	assert.Equal(t, evA.MessageID, evB.MessageID)
	require.NotNil(t, evB.Message, "the relayed event carries a re-read snapshot")
	assert.Equal(t, "xin chào", evB.Message.Text)
	require.NotNil(t, evB.Conversation)
	assert.Equal(t, evA.ConversationID, evB.Conversation.ID)
	cancel()
	wg.Wait()
}
