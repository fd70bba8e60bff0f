package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func unreadCounterTests() []test {
	return []test{
		{"MatchRecountAfterRandomChanges", testUnreadCountersMatchRecount},
	}
}

// testUnreadCountersMatchRecount drives a workspace through a seeded random mix of conversation
// inserts, inbound counts going up, conversations moving to another connection, read states put
// and replaced, and writes rolled back, and checks after each round that CountUnread of the inbox
// badge (no filter, or connections only: what a store may answer from maintained counters) equals
// the count recomputed from the rows for every viewer. A store with a store.BulkLoader gets
// its first conversations and read states through it.
func testUnreadCountersMatchRecount(t *testing.T, s store.Store) {
	const ws, other = "ws-counters", "ws-counters-other"
	conns := []string{"cc-1", "cc-2", "cc-3"}
	users := []string{"u1", "u2", "u3"}
	rng := rand.New(rand.NewPCG(7, 11))
	convs := map[string]*model.Conversation{} // the last committed state
	var ids []string
	reads := map[[2]string]int64{} // (user, conversation) → read inbound count

	newConv := func(n int) *model.Conversation {
		c := fullConversation(ws, fmt.Sprintf("cv-%03d", n))
		c.ConnectionID = conns[rng.IntN(len(conns))]
		c.InboundCount = int64(rng.IntN(3))
		c.LastMessageAt = at(time.Duration(n) * time.Minute)
		return c
	}
	// A look-alike in another workspace on a connection id of ws's: never counted for ws.
	noise := fullConversation(other, "cv-000")
	noise.ConnectionID = "cc-other"
	insertConversations(t, s, noise)
	update(t, s, func(tx store.Tx) error { return tx.PutReadState(fullReadState(other, "u1", "cv-000", 0)) })

	if bl, ok := s.(store.BulkLoader); ok {
		update(t, s, func(tx store.Tx) error {
			for _, id := range conns {
				if err := tx.PutConnection(fullConnection(ws, id)); err != nil {
					return err
				}
			}
			return nil
		})
		b := &store.Bulk{}
		for n := range 20 {
			c := newConv(n)
			b.Contacts = append(b.Contacts, fullContact(ws, c.ContactID))
			b.Identities = append(b.Identities, fullIdentity(ws, c.IdentityID, c.ContactID, c.ConnectionID))
			b.Conversations = append(b.Conversations, c)
			if n%3 == 0 {
				r := fullReadState(ws, users[n%len(users)], c.ID, c.InboundCount)
				b.ReadStates = append(b.ReadStates, r)
				reads[[2]string{r.UserID, c.ID}] = r.InboundCount
			}
			convs[c.ID] = c
			ids = append(ids, c.ID)
		}
		if err := bl.BulkLoad(t.Context(), b); err != nil {
			t.Fatalf("bulk load: %v", err)
		}
	}

	for round := range 8 {
		for range 25 {
			step := rng.IntN(10)
			switch {
			case step < 3 || len(ids) == 0: // a new conversation
				c := newConv(len(ids))
				insertConversations(t, s, c)
				convs[c.ID] = c
				ids = append(ids, c.ID)
			case step < 6: // inbound messages, sometimes on a conversation moved to another connection
				id := ids[rng.IntN(len(ids))]
				var next *model.Conversation
				update(t, s, func(tx store.Tx) error {
					c, err := tx.GetConversation(ws, id)
					if err != nil {
						return err
					}
					c.InboundCount += int64(rng.IntN(3))
					if rng.IntN(5) == 0 {
						c.ConnectionID = conns[rng.IntN(len(conns))]
					}
					next = c
					return tx.UpdateConversation(c)
				})
				convs[id] = next
			case step < 9: // a user reads a conversation, all of it or part of it
				id, user := ids[rng.IntN(len(ids))], users[rng.IntN(len(users))]
				n := convs[id].InboundCount - int64(rng.IntN(2))
				update(t, s, func(tx store.Tx) error { return tx.PutReadState(fullReadState(ws, user, id, max(n, 0))) })
				reads[[2]string{user, id}] = max(n, 0)
			default: // changes rolled back with their Update
				id := ids[rng.IntN(len(ids))]
				errUndo := errors.New("undo")
				err := write(t, s, func(tx store.Tx) error {
					c, err := tx.GetConversation(ws, id)
					if err != nil {
						return err
					}
					c.InboundCount += 5
					if err := tx.UpdateConversation(c); err != nil {
						return err
					}
					if err := tx.PutReadState(fullReadState(ws, users[0], id, c.InboundCount)); err != nil {
						return err
					}
					return errUndo
				})
				if !errors.Is(err, errUndo) {
					t.Fatalf("rolled back update: %v", err)
				}
			}
		}
		recount := func(user string, in []string) int {
			n := 0
			for _, id := range ids {
				c := convs[id]
				if (len(in) == 0 || slices.Contains(in, c.ConnectionID)) && c.InboundCount > reads[[2]string{user, id}] {
					n++
				}
			}
			return n
		}
		for _, user := range append(users, "nobody") {
			for _, in := range [][]string{nil, conns, conns[:1], {conns[0], conns[2]}, {conns[1], "cc-other"}, {"cc-none"}} {
				q := cq{WorkspaceID: ws, ViewerID: user, ConnectionIDs: in}
				assert.Equal(t, recount(user, in), countUnread(t, s, q), "round %d, viewer %s, connections %v", round, user, in)
			}
		}
	}
	assert.Equal(t, 1, countUnread(t, s, cq{WorkspaceID: other, ViewerID: "u1"}), "the other workspace")
}
