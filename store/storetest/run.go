package storetest

import (
	"slices"
	"testing"

	"github.com/dakenh/dakenh/store"
)

// test is one check of the suite; it gets a fresh empty store.
type test struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// group is a named list of checks, run as nested subtests (e.g. "Message/Idempotent").
type group struct {
	name  string
	tests []test
}

// sharedTest is one check of RunShared; a and b are two Store values over one fresh database.
type sharedTest struct {
	name string
	run  func(t *testing.T, a, b store.Store)
}

// Run checks that the stores made by newStore behave as the store.Store contract requires.
//
// Every subtest calls newStore once and expects an empty store; newStore should fail t when it cannot
// make one and register the store's Close with t.Cleanup. Run never calls Close itself. The subtests
// run sequentially; some of them start many goroutines sharing the store.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
			}
		})
	}
}

// RunShared checks that two Store values over one database behave as one store: what one commits
// the other sees, and the atomic operations (conversation compare-and-set, NextRotation, ClaimJobs,
// AcquireLease, unique inserts) stay atomic across them. It plays what several engine processes do
// at once: round-robin assignment stays fair, the outbox worker loop sends every job exactly once,
// and a token refresh guarded by a lease happens once. When both values implement
// store.EventRelay (and are distinct), every ref relayed through one must reach the other's
// listener, and never its own.
//
// Every subtest calls open once and expects two Store values over one new, empty database; they may
// be the same value when the implementation cannot open a database twice (the memory store). open
// should register the Close of both with t.Cleanup.
func RunShared(t *testing.T, open func(t *testing.T) (a, b store.Store)) {
	for _, tc := range sharedTests() {
		t.Run(tc.name, func(t *testing.T) {
			a, b := open(t)
			tc.run(t, a, b)
		})
	}
}

func groups() []group {
	return []group{
		{"Tx", txTests()},
		{"Connection", connectionTests()},
		{"Contact", contactTests()},
		{"Identity", identityTests()},
		{"Conversation", conversationTests()},
		{"Query", queryTests()},
		{"Paging", pagingTests()},
		{"Unread", unreadTests()},
		{"ReadList", readListTests()},
		{"UnreadCounters", unreadCounterTests()},
		{"Message", messageTests()},
		{"ReadState", readStateTests()},
		{"User", userKit().tests()},
		{"ReadBatch", slices.Concat(usersReaderTests(), readPositionTests(), ingestReaderTests(), scopeReaderTests(),
			readsOwnWritesTests())},
		{"Team", teamKit().tests()},
		{"Rule", ruleKit().tests()},
		{"Template", templateKit().tests()},
		{"Category", categoryKit().tests()},
		{"Classification", classificationKit().tests()},
		{"Workspace", workspaceTests()},
		{"Rotation", rotationTests()},
		{"Job", jobTests()},
		{"Lease", leaseTests()},
		{"OAuthState", oauthTests()},
		{"Isolation", isolationTests()},
		{"GroupCommit", groupCommitTests()},
		{"BulkLoad", bulkTests()},
		{"Delete", deletionTests()},
		{"Feed", feedTests()},
		{"Webhook", webhookTests()},
	}
}
