package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

// TestUnreadCountersUnderConcurrentWrites races writers that add customer messages, mark
// conversations read (fully or partly), open conversations and move them between connections, and
// then checks that the counted badge (the unread_counters rows) equals a recount over the rows, for
// every user and several connection sets.
func TestUnreadCountersUnderConcurrentWrites(t *testing.T) {
	s := openStore(t, newSchema(t), func(c *postgres.Config) { c.MaxConns = 8 })
	ctx := context.Background()
	const ws = "ws"
	conns := []string{"conn-a", "conn-b", "conn-c"}
	users := []string{"u1", "u2", "u3"}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	newConv := func(id string, r *rand.Rand) *omnichannel.Conversation {
		return &omnichannel.Conversation{WorkspaceID: ws, ID: id, ConnectionID: conns[r.IntN(len(conns))],
			ChannelKind: "zalo", ContactID: "k-" + id, IdentityID: "i-" + id, ContactName: "Khách " + id,
			Status: omnichannel.StatusOpen, InboundCount: int64(r.IntN(3)), LastMessageAt: base, Version: 1}
	}
	seed := rand.New(rand.NewPCG(1, 2))
	const initial = 60
	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
		for i := range initial {
			if err := tx.InsertConversation(newConv(fmt.Sprintf("c%03d", i), seed)); err != nil {
				return err
			}
		}
		return nil
	}))

	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range 60 {
				id := fmt.Sprintf("c%03d", r.IntN(initial))
				err := s.Update(ctx, func(tx omnichannel.Tx) error {
					switch op := r.IntN(10); {
					case op < 4: // a customer message
						c, err := tx.GetConversation(ws, id)
						if err != nil {
							return err
						}
						c.InboundCount++
						return tx.UpdateConversation(c)
					case op < 8: // a user reads it, up to date or not quite
						c, err := tx.GetConversation(ws, id)
						if err != nil {
							return err
						}
						n := c.InboundCount - int64(r.IntN(2))
						return tx.PutReadState(&omnichannel.ReadState{WorkspaceID: ws, UserID: users[r.IntN(len(users))],
							ConversationID: id, InboundCount: max(n, 0), ReadAt: base})
					case op < 9: // moved to another connection
						c, err := tx.GetConversation(ws, id)
						if err != nil {
							return err
						}
						c.ConnectionID = conns[r.IntN(len(conns))]
						return tx.UpdateConversation(c)
					default: // a new conversation
						return tx.InsertConversation(newConv(fmt.Sprintf("n%d-%03d", w, i), r))
					}
				})
				if err != nil && !errors.Is(err, omnichannel.ErrConflict) && !errors.Is(err, omnichannel.ErrDuplicate) {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	require.Empty(t, failures)

	sets := [][]string{nil, {"conn-a"}, {"conn-b", "conn-c"}}
	for _, u := range append(users, "nobody") {
		for _, set := range sets {
			q := omnichannel.ConversationQuery{WorkspaceID: ws, ViewerID: u, ConnectionIDs: set}
			// Any status filter takes the counting path: the recount.
			recount := q
			recount.Statuses = []omnichannel.ConversationStatus{omnichannel.StatusOpen, omnichannel.StatusDone}
			var counted, recounted int
			require.NoError(t, s.View(ctx, func(tx omnichannel.Tx) (err error) {
				if counted, err = tx.CountUnread(q); err != nil {
					return err
				}
				recounted, err = tx.CountUnread(recount)
				return err
			}))
			require.Equal(t, recounted, counted, "user %s, connections %v", u, set)
			require.Positive(t, recounted, "the scenario leaves unread conversations")
		}
	}
}
