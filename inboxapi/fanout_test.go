package inboxapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
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

// countingStore counts the reads of the transactions it opens.
type countingStore struct {
	oc.Store
	reads atomic.Int64
}

func (s *countingStore) View(ctx context.Context, fn func(tx oc.Tx) error) error {
	return s.Store.View(ctx, func(tx oc.Tx) error { return fn(countingTx{tx, &s.reads}) })
}

func (s *countingStore) Update(ctx context.Context, fn func(tx oc.Tx) error) error {
	return s.Store.Update(ctx, func(tx oc.Tx) error { return fn(countingTx{tx, &s.reads}) })
}

type countingTx struct {
	oc.Tx
	n *atomic.Int64
}

func (t countingTx) GetConversation(ws, id string) (*oc.Conversation, error) {
	t.n.Add(1)
	return t.Tx.GetConversation(ws, id)
}

func (t countingTx) GetConnection(ws, id string) (*oc.Connection, error) {
	t.n.Add(1)
	return t.Tx.GetConnection(ws, id)
}

func (t countingTx) ListConnections(ws string) ([]*oc.Connection, error) {
	t.n.Add(1)
	return t.Tx.ListConnections(ws)
}

func (t countingTx) GetUser(ws, id string) (*oc.User, error) {
	t.n.Add(1)
	return t.Tx.GetUser(ws, id)
}

func (t countingTx) ListUsers(ws string) ([]*oc.User, error) {
	t.n.Add(1)
	return t.Tx.ListUsers(ws)
}

// ReadBatch runs the reads one by one through t, so that each is counted, as a store without
// batching would.
func (t countingTx) ReadBatch(ctx context.Context, reads ...store.Read) error {
	return store.ReadSequentially(ctx, t, reads)
}

func (t countingTx) GetReadState(ws, user, conv string) (*oc.ReadState, error) {
	t.n.Add(1)
	return t.Tx.GetReadState(ws, user, conv)
}

// unreadIn waits for s's next conversation.updated of conversationID and returns its unread count.
func (s *stream) unreadIn(conversationID string) int64 {
	s.t.Helper()
	got := s.until(2*time.Second, func(ev sse) bool {
		return ev.Event == "conversation.updated" && strings.Contains(ev.Data, `"conversationId":"`+conversationID+`"`)
	})
	c := got[len(got)-1].decode(s.t).Conversation
	require.NotNil(s.t, c)
	return c.Unread
}

// TestEventsFanOutReadsTheStoreOncePerEvent: with many streams open, a customer message costs the
// same few store reads whether 1 or 60 agents stream, and each stream still gets its viewer's own
// unread count, also right after that viewer (and only they) read the conversation.
// addStreamingAgents adds n active agents x0…x(n-1) to workspace A for tests that open a stream
// for each; more streams end than env.eventsDone holds, so the extra notices are taken as the
// streams end.
func (e *env) addStreamingAgents(t *testing.T, n int) {
	t.Helper()
	t.Cleanup(func() {
		go func() {
			for {
				select {
				case <-e.eventsDone:
				case <-time.After(5 * time.Second):
					return
				}
			}
		}()
	})
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		for i := range n {
			if err := tx.PutUser(&oc.User{WorkspaceID: wsA, ID: fmt.Sprintf("x%d", i), Name: "Agent", Role: oc.RoleAgent, Active: true}); err != nil {
				return err
			}
		}
		return nil
	}))
}

func TestEventsFanOutReadsTheStoreOncePerEvent(t *testing.T) {
	counting := &countingStore{}
	e := newEnv(t, func(c *oc.Config, _ *inboxapi.Config) { counting.Store = c.Store; c.Store = counting })
	const agents = 60
	e.addStreamingAgents(t, agents)
	streams := make([]*stream, agents)
	for i := range streams {
		streams[i] = e.openEvents(fmt.Sprintf("%s/x%d", wsA, i))
	}
	other := e.openEvents(supB)

	// The first message of the run loads what the streams share (users, read positions) once.
	e.inbound(fakechannel.AccountID, "cust-a", "m-f-1", "một")
	first := make([]int64, agents)
	for i, s := range streams {
		first[i] = s.unreadIn(e.convA.ID)
	}
	for _, n := range first {
		assert.Equal(t, first[0], n, "nobody has read the conversation")
	}

	before := counting.reads.Load()
	e.inbound(fakechannel.AccountID, "cust-a", "m-f-2", "hai")
	for i, s := range streams {
		assert.Equal(t, first[i]+1, s.unreadIn(e.convA.ID))
	}
	perMessage := counting.reads.Load() - before
	t.Logf("store reads for one customer message fanned out to %d streams: %d", agents, perMessage)
	assert.Less(t, perMessage, int64(agents/2), "the fan-out reads the store per stream")

	// x0 reads the conversation: their next count starts over, the others' keep growing.
	require.Equal(t, http.StatusNoContent, e.call("POST", "/conversations/"+e.convA.ID+"/read", wsA+"/x0", nil).status)
	streams[0].until(2*time.Second, func(ev sse) bool { return ev.Event == "read.updated" })
	e.inbound(fakechannel.AccountID, "cust-a", "m-f-3", "ba")
	assert.Equal(t, int64(1), streams[0].unreadIn(e.convA.ID))
	for i, s := range streams[1:] {
		assert.Equal(t, first[i+1]+2, s.unreadIn(e.convA.ID))
	}

	// Workspace B's stream saw none of it.
	e.inbound(accountB, "cust-b", "m-f-b", "B marker")
	assert.False(t, mentions(other.until(2*time.Second, messageOf(e.convB.ID)), e.convA.ID))
}

// quiet drops what s receives during d.
func (s *stream) quiet(d time.Duration) {
	end := time.After(d)
	for {
		select {
		case _, ok := <-s.c:
			if !ok {
				return
			}
		case <-end:
			return
		}
	}
}

// TestEventsStopForADeactivatedUser: a stream's user who is deactivated gets no further events once
// the shared user records are re-read (within a second), while the others still do.
func TestEventsStopForADeactivatedUser(t *testing.T) {
	e := newEnv(t)
	sup, agent := e.openEvents(supA), e.openEvents(agent2)
	e.inbound(fakechannel.AccountID, "cust-a", "m-d-1", "trước")
	assert.True(t, mentions(agent.until(2*time.Second, messageOf(e.convA.ID)), e.convA.ID))
	agent.quiet(300 * time.Millisecond)

	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		u, err := tx.GetUser(wsA, "a2")
		if err != nil {
			return err
		}
		u.Active = false
		return tx.PutUser(u)
	}))
	time.Sleep(1100 * time.Millisecond) // the feed's user records expire after a second
	e.inbound(fakechannel.AccountID, "cust-a", "m-d-2", "sau")
	sup.until(2*time.Second, messageOf(e.convA.ID))
	e.inbound(fakechannel.AccountID, "cust-a", "m-d-3", "marker")
	sup.until(2*time.Second, messageOf(e.convA.ID))
	// The agent's stream has had time to deliver both; it must deliver neither.
	deadline := time.After(300 * time.Millisecond)
	for {
		select {
		case ev, ok := <-agent.c:
			if !ok {
				return
			}
			assert.NotContains(t, ev.Data, e.convA.ID, "a deactivated user got an event")
		case <-deadline:
			return
		}
	}
}
