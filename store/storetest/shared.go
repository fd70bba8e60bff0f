package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func sharedTests() []sharedTest {
	return []sharedTest{
		{"SeesCommittedWrites", testSharedVisibility},
		{"ConcurrentClaimOneWinner", testSharedClaim},
		{"RotationDistinct", testSharedRotation},
		{"JobsExactlyOnce", testSharedJobs},
		{"Leases", leaseLifecycle},
		{"DuplicateInsert", testSharedDuplicate},
		{"RoundRobinFair", testSharedRoundRobin},
		{"OutboxExactlyOnce", testSharedOutbox},
		{"RefreshLock", testSharedRefreshLock},
		{"EventRelay", testSharedEventRelay},
		{"Feed", testSharedFeed},
	}
}

func testSharedVisibility(t *testing.T, a, b store.Store) {
	c := fullConversation(ws1, "conv-1")
	insertConversations(t, a, c)
	same(t, c, getConversation(t, b, ws1, "conv-1"))

	m := fullMessage(c, "m-1", 1)
	insertMessages(t, b, m)
	got, err := getMessage(t, a, ws1, "m-1")
	if assert.NoError(t, err) {
		same(t, m, got)
	}

	update(t, a, func(tx store.Tx) error { return tx.InsertOAuthState(fullOAuthState("state-1")) })
	st, err := take(t, b, "state-1")
	if assert.NoError(t, err) {
		same(t, fullOAuthState("state-1"), st)
	}
	_, err = take(t, a, "state-1")
	assert.ErrorIs(t, err, model.ErrNotFound, "taken through the other store")
}

func testSharedClaim(t *testing.T, a, b store.Store) {
	c := fullConversation(ws1, "conv-1")
	c.AssigneeID, c.Claimed, c.AwaitingClaim = "", false, true
	insertConversations(t, a, c)
	claimRace(t, []store.Store{a, b}, 100)
}

func testSharedRotation(t *testing.T, a, b store.Store) {
	rotationRace(t, []store.Store{a, b}, 50)
}

func testSharedJobs(t *testing.T, a, b store.Store) {
	jobRace(t, []store.Store{a, b}, 200, 10)
	assert.Empty(t, claim(t, b, "w-late", t0.Add(time.Minute), time.Hour, 10), "every job is locked")
}

func testSharedDuplicate(t *testing.T, a, b store.Store) {
	c := fullConversation(ws1, "conv-1")
	insertConversations(t, a, c)
	duplicateRace(t, []store.Store{a, b}, c, 20)
}
