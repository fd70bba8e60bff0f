package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func conversationTests() []test {
	return []test{
		{"RoundTrip", testConversationRoundTrip},
		{"DeepCopy", testConversationDeepCopy},
		{"Duplicate", testConversationDuplicate},
		{"NotFound", testConversationNotFound},
		{"CompareAndSet", testConversationCompareAndSet},
		{"ConcurrentClaimOneWinner", testConversationConcurrentClaim},
		{"CountOpenAssigned", testCountOpenAssigned},
	}
}

func testConversationRoundTrip(t *testing.T, s store.Store) {
	c := fullConversation(ws1, "conv-1")
	insertConversations(t, s, c)
	same(t, c, getConversation(t, s, ws1, "conv-1"))
	same(t, c, read(t, s, func(tx store.Tx) (*model.Conversation, error) {
		return tx.FindConversation(ws1, c.ConnectionID, c.IdentityID)
	}))
}

func testConversationDeepCopy(t *testing.T, s store.Store) {
	c := fullConversation(ws1, "conv-1")
	want := canonical(c)
	insertConversations(t, s, c)
	c.CategoryPath[0], c.Note = "scribbled", "scribbled"
	same(t, want, getConversation(t, s, ws1, "conv-1"), "changing the value after Insert changed the stored row")

	got := getConversation(t, s, ws1, "conv-1")
	got.CategoryPath[1], got.Note = "scribbled", "scribbled"
	same(t, want, getConversation(t, s, ws1, "conv-1"), "changing a value returned by Get changed the stored row")

	list := read(t, s, func(tx store.Tx) ([]*model.Conversation, error) {
		return tx.ListConversations(model.ConversationQuery{WorkspaceID: ws1})
	})
	require.Len(t, list, 1)
	list[0].CategoryPath[2] = "scribbled"
	same(t, want, getConversation(t, s, ws1, "conv-1"), "changing a listed value changed the stored row")

	upd := getConversation(t, s, ws1, "conv-1")
	update(t, s, func(tx store.Tx) error { return tx.UpdateConversation(upd) })
	upd.CategoryPath[0] = "scribbled"
	assert.Equal(t, "cat-1", getConversation(t, s, ws1, "conv-1").CategoryPath[0],
		"changing the value after Update changed the stored row")
}

func testConversationDuplicate(t *testing.T, s store.Store) {
	orig := fullConversation(ws1, "conv-1")
	insertConversations(t, s, orig)

	sameThread := fullConversation(ws1, "conv-2")
	sameThread.IdentityID, sameThread.ContactID = orig.IdentityID, orig.ContactID
	err := write(t, s, func(tx store.Tx) error { return tx.InsertConversation(sameThread) })
	require.ErrorIs(t, err, model.ErrDuplicate, "one conversation per (ConnectionID, IdentityID)")

	sameID := fullConversation(ws1, "conv-1")
	sameID.IdentityID, sameID.Note = "idn-other", "other"
	err = write(t, s, func(tx store.Tx) error {
		if err := seedParents(tx, sameID); err != nil {
			return err
		}
		return tx.InsertConversation(sameID)
	})
	require.ErrorIs(t, err, model.ErrDuplicate, "InsertConversation with an existing id")

	same(t, orig, getConversation(t, s, ws1, "conv-1"))
	_, err = readErr(t, s, func(tx store.Tx) (*model.Conversation, error) {
		return tx.GetConversation(ws1, "conv-2")
	})
	require.ErrorIs(t, err, model.ErrNotFound)

	insertConversations(t, s, fullConversation(ws1, "conv-3")) // another identity on the same connection
}

func testConversationNotFound(t *testing.T, s store.Store) {
	c := fullConversation(ws1, "conv-1")
	insertConversations(t, s, c)
	for name, fn := range map[string]func(tx store.Tx) (*model.Conversation, error){
		"Get missing":         func(tx store.Tx) (*model.Conversation, error) { return tx.GetConversation(ws1, "nope") },
		"Get other workspace": func(tx store.Tx) (*model.Conversation, error) { return tx.GetConversation(ws2, c.ID) },
		"Find other identity": func(tx store.Tx) (*model.Conversation, error) {
			return tx.FindConversation(ws1, c.ConnectionID, "nope")
		},
		"Find other conn": func(tx store.Tx) (*model.Conversation, error) {
			return tx.FindConversation(ws1, "nope", c.IdentityID)
		},
		"Find other workspace": func(tx store.Tx) (*model.Conversation, error) {
			return tx.FindConversation(ws2, c.ConnectionID, c.IdentityID)
		},
	} {
		_, err := readErr(t, s, fn)
		assert.ErrorIs(t, err, model.ErrNotFound, name)
	}
	missing := fullConversation(ws1, "nope")
	err := write(t, s, func(tx store.Tx) error { return tx.UpdateConversation(missing) })
	require.ErrorIs(t, err, model.ErrNotFound, "UpdateConversation of a missing conversation")
	other := fullConversation(ws2, c.ID)
	err = write(t, s, func(tx store.Tx) error { return tx.UpdateConversation(other) })
	require.ErrorIs(t, err, model.ErrNotFound, "UpdateConversation through another workspace")
	same(t, c, getConversation(t, s, ws1, c.ID))
}

func testConversationCompareAndSet(t *testing.T, s store.Store) {
	insertConversations(t, s, fullConversation(ws1, "conv-1"))
	fresh := getConversation(t, s, ws1, "conv-1")
	stale := getConversation(t, s, ws1, "conv-1")
	require.Equal(t, int64(0), fresh.Version)

	// Change every field but the keys.
	fresh.ContactName, fresh.ContactPhone, fresh.Status = "Renamed", "", model.StatusDone
	fresh.AssigneeID, fresh.TeamID, fresh.RuleID = "u-9", "", ""
	fresh.AwaitingClaim, fresh.Claimed, fresh.Historical = false, false, false
	fresh.CategoryID, fresh.CategoryPath, fresh.ClassificationID = "cat-x", []string{"cat-x"}, ""
	fresh.Note, fresh.Referral, fresh.LastSeq, fresh.InboundCount = "", "", 8, 5
	fresh.RepliesSinceInbound, fresh.LastMessageText = 0, "new"
	fresh.LastMessageAt, fresh.LastMessageDirection = at(time.Hour), model.DirectionSystem
	fresh.LastInboundAt, fresh.UpdatedAt = at(time.Hour), at(time.Hour)
	update(t, s, func(tx store.Tx) error { return tx.UpdateConversation(fresh) })
	assert.Equal(t, int64(1), fresh.Version, "UpdateConversation must increment the caller's Version")
	same(t, fresh, getConversation(t, s, ws1, "conv-1"))

	stale.AssigneeID = "u-lost"
	err := write(t, s, func(tx store.Tx) error { return tx.UpdateConversation(stale) })
	require.ErrorIs(t, err, model.ErrConflict)
	assert.Equal(t, int64(0), stale.Version, "a refused update must not change the caller's Version")
	same(t, fresh, getConversation(t, s, ws1, "conv-1"), "a refused update must not change the stored row")

	update(t, s, func(tx store.Tx) error {
		if err := tx.UpdateConversation(fresh); err != nil {
			return err
		}
		return tx.UpdateConversation(fresh) // twice in one transaction: the version moves each time
	})
	assert.Equal(t, int64(3), fresh.Version)
	assert.Equal(t, int64(3), getConversation(t, s, ws1, "conv-1").Version)
}

// testConversationConcurrentClaim is the self-claim race: many users press "claim" at once and
// exactly one of them gets the conversation.
func testConversationConcurrentClaim(t *testing.T, s store.Store) {
	c := fullConversation(ws1, "conv-1")
	c.AssigneeID, c.Claimed, c.AwaitingClaim = "", false, true
	insertConversations(t, s, c)
	claimRace(t, []store.Store{s}, 100)
}

// claimRace makes n users claim conv-1 of ws1 concurrently, spread over stores, and checks there is
// exactly one winner.
func claimRace(t *testing.T, stores []store.Store, n int) {
	t.Helper()
	won := make([]bool, n)
	errs := make([]error, n)
	concurrently(n, func(i int) {
		user := fmt.Sprintf("u-%03d", i)
		errs[i] = stores[i%len(stores)].Update(t.Context(), func(tx store.Tx) error {
			won[i] = false // fn may run again after a serialization failure
			c, err := tx.GetConversation(ws1, "conv-1")
			if err != nil {
				return err
			}
			if c.AssigneeID != "" {
				return nil // taken
			}
			c.AssigneeID, c.Claimed, c.AwaitingClaim = user, true, false
			if err := tx.UpdateConversation(c); err != nil {
				return err
			}
			won[i] = true
			return nil
		})
	})
	winner := ""
	for i := range n {
		if errs[i] != nil {
			require.ErrorIs(t, errs[i], model.ErrConflict, "claimer %d", i)
			won[i] = false
		}
		if won[i] {
			require.Empty(t, winner, "two claimers won: %s and u-%03d", winner, i)
			winner = fmt.Sprintf("u-%03d", i)
		}
	}
	require.NotEmpty(t, winner, "nobody won the claim")
	got := getConversation(t, stores[0], ws1, "conv-1")
	assert.Equal(t, winner, got.AssigneeID)
	assert.True(t, got.Claimed)
	assert.Equal(t, int64(1), got.Version, "exactly one update must have committed")
}

func testCountOpenAssigned(t *testing.T, s store.Store) {
	mk := func(id, assignee string, status model.ConversationStatus) *model.Conversation {
		c := fullConversation(ws1, id)
		c.AssigneeID, c.Status = assignee, status
		return c
	}
	insertConversations(t, s,
		mk("c1", "u-1", model.StatusOpen),
		mk("c2", "u-1", model.StatusOpen),
		mk("c3", "u-1", model.StatusDone),
		mk("c4", "u-2", model.StatusOpen),
		mk("c5", "", model.StatusOpen),
		mk("c6", "u-3", model.StatusDone),
	)
	other := fullConversation(ws2, "c1")
	other.AssigneeID, other.Status = "u-1", model.StatusOpen
	insertConversations(t, s, other)

	count := func(users ...string) map[string]int {
		return read(t, s, func(tx store.Tx) (map[string]int, error) { return tx.CountOpenAssigned(ws1, users) })
	}
	got := count("u-1", "u-2", "u-3", "u-4")
	assert.Equal(t, 2, got["u-1"])
	assert.Equal(t, 1, got["u-2"])
	assert.Equal(t, 0, got["u-3"], "done conversations do not count")
	assert.Equal(t, 0, got["u-4"])
	assertOnlyKeys(t, got, "u-1", "u-2", "u-3", "u-4")

	got = count("u-2")
	assert.Equal(t, 1, got["u-2"])
	assertOnlyKeys(t, got, "u-2")
	assertOnlyKeys(t, count())
}

func assertOnlyKeys(t *testing.T, m map[string]int, keys ...string) {
	t.Helper()
	for k := range m {
		assert.Contains(t, keys, k, "CountOpenAssigned reported a user it was not asked about")
	}
}
