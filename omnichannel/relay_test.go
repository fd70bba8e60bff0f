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

// relayHub stands in for a database's notification channel between Store values.
type relayHub struct {
	mu        sync.Mutex
	listeners map[*relayStore]func(oc.EventRef)
}

// relayStore is one process's Store value: the shared memory store plus the hub.
type relayStore struct {
	*memory.Store
	hub *relayHub
}

func (s *relayStore) RelayEvents(_ context.Context, refs []oc.EventRef) error {
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

func (s *relayStore) ListenEvents(ctx context.Context, fn func(oc.EventRef)) error {
	s.hub.mu.Lock()
	s.hub.listeners[s] = fn
	s.hub.mu.Unlock()
	<-ctx.Done()
	s.hub.mu.Lock()
	delete(s.hub.listeners, s)
	s.hub.mu.Unlock()
	return ctx.Err()
}

func (s *relayStore) listening() bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	_, ok := s.hub.listeners[s]
	return ok
}

func TestRelayedEventsReachTheOtherEnginesSubscribers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shared, hub := memory.New(), &relayHub{listeners: map[*relayStore]func(oc.EventRef){}}
	prov := fakechannel.NewProvider("hook-secret-123")
	t.Cleanup(prov.Close)
	newEngine := func() (*oc.Engine, *relayStore) {
		st := &relayStore{Store: shared, hub: hub}
		ch, err := fakechannel.New(fakechannel.Config{Secret: prov.Secret(), BaseURL: prov.URL(), HTTPClient: prov.Client()})
		require.NoError(t, err)
		r, err := routing.New(routing.Config{})
		require.NoError(t, err)
		eng, err := oc.New(oc.Config{Store: st, Channels: []oc.Channel{ch}, Router: r, Blobs: oc.DirBlobStore{Dir: t.TempDir()}})
		require.NoError(t, err)
		return eng, st
	}
	a, _ := newEngine()
	b, storeB := newEngine()
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
	require.Eventually(t, storeB.listening, 5*time.Second, 5*time.Millisecond)
	subA := a.Subscribe(ctx, oc.SubscribeOptions{WorkspaceID: ws})
	subB := b.Subscribe(ctx, oc.SubscribeOptions{WorkspaceID: ws})

	body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "in", UserID: "u1", UserName: "Khách", MessageID: "m1", Text: "xin chào"}}}.JSON()
	rec := httptest.NewRecorder()
	a.WebhookHandler().ServeHTTP(rec, prov.SignedWebhook("http://engine/fake", body))
	require.Equal(t, http.StatusOK, rec.Code)

	created := func(sub *oc.Subscription) *oc.Event {
		deadline := time.After(5 * time.Second)
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
	evA, evB := created(subA), created(subB)
	require.NotNil(t, evA, "the committing engine's subscriber gets the event")
	require.NotNil(t, evB, "the other engine's subscriber gets the relayed event")
	assert.Equal(t, evA.MessageID, evB.MessageID)
	require.NotNil(t, evB.Message, "the relayed event carries a re-read snapshot")
	assert.Equal(t, "xin chào", evB.Message.Text)
	require.NotNil(t, evB.Conversation)
	assert.Equal(t, evA.ConversationID, evB.Conversation.ID)
	cancel()
	wg.Wait()
}
