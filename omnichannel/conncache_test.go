package omnichannel_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
)

// viewCounter is a Store that counts the read transactions it is asked for.
type viewCounter struct {
	oc.Store
	views atomic.Int64
}

func (s *viewCounter) View(ctx context.Context, fn func(tx oc.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

// storedMessage reports whether the provider message id is stored on e's connection.
func (e *env) storedMessage(msgID string) bool {
	e.t.Helper()
	return e.storedOn(e.conn.ID, msgID)
}

// storedOn reports whether the provider message id is stored on the connection.
func (e *env) storedOn(connID, msgID string) bool {
	e.t.Helper()
	err := e.store.View(e.ctx, func(tx oc.Tx) error {
		_, err := tx.FindMessageByProviderID(ws, connID, msgID)
		return err
	})
	if errors.Is(err, oc.ErrNotFound) {
		return false
	}
	require.NoError(e.t, err)
	return true
}

// TestWebhookConnectionLookupCached: webhooks of a known account find their connection without a
// read transaction after the first one.
func TestWebhookConnectionLookupCached(t *testing.T) {
	var counter *viewCounter
	e := newEnv(t, func(c *oc.Config, _ *env) {
		counter = &viewCounter{Store: c.Store}
		c.Store = counter
	})
	e.inbound("u1", "m1", "một")
	before := counter.views.Load()
	for _, id := range []string{"m2", "m3", "m4"} {
		e.inbound("u1", id, "tin "+id)
	}
	assert.Equal(t, before, counter.views.Load(), "no View per webhook once the connection is cached")
	assert.True(t, e.storedMessage("m4"))
}

// TestWebhookConnectionCacheForgetsEngineChanges: a connection disconnected through the Engine has
// its webhooks ignored from the next delivery on, and reconnecting takes effect as soon.
func TestWebhookConnectionCacheForgetsEngineChanges(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "trước")
	require.True(t, e.storedMessage("m1"))

	require.NoError(t, e.eng.Disconnect(e.ctx, ws, "sup", e.conn.ID))
	e.inbound("u1", "m2", "sau khi ngắt")
	assert.False(t, e.storedMessage("m2"), "the cached connection was dropped by Disconnect")

	c := e.prov.Connection()
	c.WorkspaceID = ws
	again, err := e.eng.AddConnection(e.ctx, "sup", *c)
	require.NoError(t, err)
	e.inbound("u1", "m3", "kết nối lại")
	assert.True(t, e.storedOn(again.ID, "m3"), "the reconnection is seen at once")
}

// TestWebhookConnectionCacheExpires: a change written to the store by someone else (another
// process sharing it) reaches this Engine's webhooks within the cache's lifetime.
func TestWebhookConnectionCacheExpires(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "trước")
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		c, err := tx.GetConnection(ws, e.conn.ID)
		if err != nil {
			return err
		}
		c.Status = oc.ConnectionDisconnected
		return tx.UpdateConnection(c)
	}))
	time.Sleep(1100 * time.Millisecond) // the cache's lifetime is one second
	e.inbound("u1", "m2", "sau khi ngắt ở nơi khác")
	assert.False(t, e.storedMessage("m2"), "the disconnect by another writer is seen after the cache's lifetime")
}
