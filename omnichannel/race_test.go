package omnichannel_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/memory"
)

// staleStore makes the next duplicate check miss, as when two deliveries of one message run in
// parallel transactions on a database with real concurrency: the second transaction's insert then
// hits the uniqueness constraint.
type staleStore struct {
	*memory.Store
	missNext atomic.Bool
}

type staleTx struct {
	oc.Tx
	s *staleStore
}

func (t staleTx) FindMessageByProviderID(ws, conn, id string) (*oc.Message, error) {
	if t.s.missNext.CompareAndSwap(true, false) {
		return nil, oc.ErrNotFound
	}
	return t.Tx.FindMessageByProviderID(ws, conn, id)
}

func (s *staleStore) Update(ctx context.Context, fn func(oc.Tx) error) error {
	return s.Store.Update(ctx, func(tx oc.Tx) error { return fn(staleTx{tx, s}) })
}

func TestDuplicateThatRacesPastTheCheckStillAnswers200(t *testing.T) {
	s := &staleStore{Store: memory.New()}
	e := newEnv(t, func(c *oc.Config, e *env) { c.Store, e.store = s, s.Store })
	body := e.message("u1", "m1", "hi")
	require.Equal(t, http.StatusOK, e.post(body))
	s.missNext.Store(true)
	require.Equal(t, http.StatusOK, e.post(body), "the unique constraint catches it; the retry sees the duplicate")
	assert.EqualValues(t, 1, e.conversationOf("u1").InboundCount)
	assert.Equal(t, 1, countIn(e.thread(e.conversationOf("u1").ID)))
}

func countIn(msgs []*oc.Message) int {
	n := 0
	for _, m := range msgs {
		if m.Direction == oc.DirectionIn {
			n++
		}
	}
	return n
}
