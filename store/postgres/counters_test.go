package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

// TestUnreadCountersUnderConcurrentWrites races writers that add customer messages, mark
// conversations read (fully or partly), open conversations, rename their contacts and move them
// between connections, after a burst of grouped updates whose folded statements update several
// conversations at once, and then checks that the counted badge (the unread_counters rows) equals
// a recount over the rows, for every user and several connection sets; then again after deleting
// some conversations.
func TestUnreadCountersUnderConcurrentWrites(t *testing.T) {
	schema := newSchema(t)
	s := openStore(t, schema, func(c *postgres.Config) { c.MaxConns = 8 })
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
	check := checkCounters(t, s, ws, users)
	groupedBurst(t, s, ws, initial, users)
	check("after a burst of grouped updates folded into multi-row statements")

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
					case op < 9: // moved to another connection, or its contact renamed
						c, err := tx.GetConversation(ws, id)
						if err != nil {
							return err
						}
						if r.IntN(2) == 0 {
							c.ContactName = fmt.Sprintf("Khách Đổi Tên %d-%d", w, i)
							c.ContactPhone = fmt.Sprintf("+8490%07d", w*1000+i)
						} else {
							c.ConnectionID = conns[r.IntN(len(conns))]
						}
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
	check("after the writers")

	conn, err := pgx.Connect(ctx, databaseURL(t))
	require.NoError(t, err)
	defer conn.Close(ctx)
	tag, err := conn.Exec(ctx, `DELETE FROM `+schema+`.conversations WHERE id IN ('c001', 'c002', 'c003', 'c010')`)
	require.NoError(t, err)
	require.EqualValues(t, 4, tag.RowsAffected())
	check("after deleting four conversations")
}

// checkCounters returns a check that the counted badge of workspace ws equals a recount, for every
// user and several connection sets.
func checkCounters(t *testing.T, s *postgres.Store, ws string, users []string) func(when string) {
	ctx := context.Background()
	return func(when string) {
		t.Helper()
		sets := [][]string{nil, {"conn-a"}, {"conn-b", "conn-c"}}
		for _, u := range append(slices.Clone(users), "nobody") {
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
				require.Equal(t, recounted, counted, "%s: user %s, connections %v", when, u, set)
				require.Positive(t, recounted, "%s: the scenario leaves unread conversations", when)
			}
		}
	}
}

// groupedBurst has users u1 and u2 read conversations c000… up to date, then holds the committer of
// s until grouped updates of n of them all arrived, so that they form one group whose conversation
// updates are folded into multi-row statements: customer messages (on read and unread
// conversations), moves to another connection and renamed contacts.
func groupedBurst(t *testing.T, s *postgres.Store, ws string, n int, users []string) {
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
		for i := range n {
			c, err := tx.GetConversation(ws, fmt.Sprintf("c%03d", i))
			if err != nil {
				return err
			}
			for _, u := range users[:1+i%2] {
				if err := tx.PutReadState(&omnichannel.ReadState{WorkspaceID: ws, UserID: u, ConversationID: c.ID,
					InboundCount: c.InboundCount, ReadAt: c.LastMessageAt}); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	arrived, release := postgres.HoldGroups(s)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, s.UpdateGrouped(ctx, func(tx omnichannel.Tx) error {
				c, err := tx.GetConversation(ws, fmt.Sprintf("c%03d", i))
				if err != nil {
					return err
				}
				c.InboundCount++
				c.LastMessageAt = c.LastMessageAt.Add(time.Duration(i+1) * time.Minute)
				switch i % 5 {
				case 1:
					c.ConnectionID = "conn-c"
				case 2:
					c.ContactName = fmt.Sprintf("Đoàn Thị Loạt %d", i)
					c.ContactPhone = fmt.Sprintf("+8491%07d", i)
				}
				return tx.UpdateConversation(c)
			}))
		}()
	}
	require.Eventually(t, func() bool { return arrived() == int64(n) }, 10*time.Second, 5*time.Millisecond)
	release()
	wg.Wait()
	st := s.GroupStats()
	require.Equal(t, int64(n), st.Grouped)
	require.Zero(t, st.Fallbacks)
	require.Positive(t, st.Folded, "the conversation updates were folded")
}
