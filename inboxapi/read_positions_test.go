package inboxapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store"
)

// batchingStore is a countingStore whose transactions read in batches, as those of a networked
// store do: a batch counts as one read, and batches counts the batches of read positions.
type batchingStore struct {
	countingStore
	batches atomic.Int64
}

func (s *batchingStore) View(ctx context.Context, fn func(tx oc.Tx) error) error {
	return s.Store.View(ctx, func(tx oc.Tx) error { return fn(batchingTx{countingTx{tx, &s.reads}, &s.batches}) })
}

func (s *batchingStore) Update(ctx context.Context, fn func(tx oc.Tx) error) error {
	return s.Store.Update(ctx, func(tx oc.Tx) error { return fn(batchingTx{countingTx{tx, &s.reads}, &s.batches}) })
}

type batchingTx struct {
	countingTx
	batches *atomic.Int64
}

// ReadBatch answers with one counted read, whatever the number of reads in the batch.
func (t batchingTx) ReadBatch(ctx context.Context, reads ...store.Read) error {
	t.n.Add(1)
	for _, r := range reads {
		if _, ok := r.(*store.ReadPositionsRead); ok {
			t.batches.Add(1)
			break
		}
	}
	return t.Tx.ReadBatch(ctx, reads...)
}

// TestEventsFanOutReadsPositionsInOneBatch: with a store whose transactions read read states in
// batches, the first event of a conversation loads the positions of all 60 streaming agents with one
// batch and no GetReadState per agent; each stream gets its own viewer's unread count (an
// agent who had read the conversation counts only what came after), also after a read.
func TestEventsFanOutReadsPositionsInOneBatch(t *testing.T) {
	batching := &batchingStore{}
	e := newEnv(t, func(c *oc.Config, _ *inboxapi.Config) { batching.Store = c.Store; c.Store = batching })
	const agents = 60
	e.addStreamingAgents(t, agents)
	// x0 has read the conversation before anything streams.
	e.inbound(fakechannel.AccountID, "cust-a", "m-b-0", "không")
	require.Equal(t, http.StatusNoContent, e.call("POST", "/conversations/"+e.convA.ID+"/read", wsA+"/x0", nil).status)
	var inbound int64
	require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) error {
		c, err := tx.GetConversation(wsA, e.convA.ID)
		inbound = c.InboundCount
		return err
	}))
	require.Positive(t, inbound)

	streams := make([]*stream, agents)
	for i := range streams {
		streams[i] = e.openEvents(fmt.Sprintf("%s/x%d", wsA, i))
	}
	readsBefore, batchesBefore := batching.reads.Load(), batching.batches.Load()
	e.inbound(fakechannel.AccountID, "cust-a", "m-b-1", "một")
	assert.Equal(t, int64(1), streams[0].unreadIn(e.convA.ID), "x0 read everything before this message")
	for _, s := range streams[1:] {
		assert.Equal(t, inbound+1, s.unreadIn(e.convA.ID), "nobody else has read the conversation")
	}
	reads := batching.reads.Load() - readsBefore
	t.Logf("store reads for the first message of a conversation fanned out to %d streams: %d", agents, reads)
	assert.Equal(t, int64(1), batching.batches.Load()-batchesBefore, "one batch for every streaming agent")
	assert.Less(t, reads, int64(agents/2), "the fan-out reads read positions per stream")

	// x1 reads: their next count starts over (one position re-read), the others' keep growing.
	require.Equal(t, http.StatusNoContent, e.call("POST", "/conversations/"+e.convA.ID+"/read", wsA+"/x1", nil).status)
	streams[1].until(2*time.Second, func(ev sse) bool { return ev.Event == "read.updated" })
	e.inbound(fakechannel.AccountID, "cust-a", "m-b-2", "hai")
	assert.Equal(t, int64(2), streams[0].unreadIn(e.convA.ID))
	assert.Equal(t, int64(1), streams[1].unreadIn(e.convA.ID))
	for _, s := range streams[2:] {
		assert.Equal(t, inbound+2, s.unreadIn(e.convA.ID))
	}
}
