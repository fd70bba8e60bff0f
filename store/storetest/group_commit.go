package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// groupCommitTests check store.GroupCommitter on stores that have it: each grouped update
// gets the result Update would have given it, all of its writes or none are applied, whatever the
// other updates committed with it did, and its reads see its own writes.
func groupCommitTests() []test {
	return []test{
		{"AppliesEveryWrite", testGroupAppliesEveryWrite},
		{"DuplicateFailsOnlyItsUpdate", testGroupDuplicateFailsOnlyItsUpdate},
		{"StaleVersionIsConflict", testGroupStaleVersionIsConflict},
		{"ReadsSeeOwnWrites", testGroupReadsSeeOwnWrites},
		{"FunctionErrorAppliesNothing", testGroupFunctionErrorAppliesNothing},
		{"OtherWritesInTheUpdate", testGroupOtherWrites},
		{"ConcurrentUpdatesOfOneConversation", testGroupConcurrentUpdates},
	}
}

// grouped returns s's UpdateGrouped, or skips the test for a store without it.
func grouped(t *testing.T, s store.Store) func(ctx context.Context, fn func(tx store.Tx) error) error {
	g, ok := s.(store.GroupCommitter)
	if !ok {
		t.Skip("the store is not a store.GroupCommitter")
	}
	return g.UpdateGrouped
}

// seedGroupConnection stores the connection of newThread's conversations (stores with foreign keys
// need it before their identities).
func seedGroupConnection(t *testing.T, s store.Store) {
	t.Helper()
	c := fullConversation(ws1, "seed")
	conn := fullConnection(ws1, c.ConnectionID)
	conn.Kind = c.ChannelKind
	update(t, s, func(tx store.Tx) error { return tx.PutConnection(conn) })
}

// newThread returns a conversation of ws1 with its parents, not stored.
func newThread(id string) *model.Conversation {
	c := fullConversation(ws1, id)
	c.IdentityID, c.ContactID = "idn-"+id, "k-"+id
	return c
}

// insertThread is a grouped update's writes for a new customer: contact, identity, conversation, a
// message and a job.
func insertThread(tx store.Tx, c *model.Conversation, msgID, providerID string) error {
	if err := tx.PutContact(fullContact(c.WorkspaceID, c.ContactID)); err != nil {
		return err
	}
	i := fullIdentity(c.WorkspaceID, c.IdentityID, c.ContactID, c.ConnectionID)
	i.ExternalUserID = "user-" + c.ID
	if err := tx.InsertIdentity(i); err != nil {
		return err
	}
	if err := tx.InsertConversation(c); err != nil {
		return err
	}
	m := plainMessage(c, msgID, 1)
	m.ProviderMessageID = providerID
	if err := tx.InsertMessage(m); err != nil {
		return err
	}
	return tx.InsertJob(fullJob("job-"+msgID, at(0)))
}

func testGroupAppliesEveryWrite(t *testing.T, s store.Store) {
	run := grouped(t, s)
	seedGroupConnection(t, s)
	ctx := context.Background()
	const n = 24
	errs := make([]error, n)
	concurrently(n, func(i int) {
		c := newThread(fmt.Sprintf("c-%02d", i))
		errs[i] = run(ctx, func(tx store.Tx) error {
			return insertThread(tx, c, fmt.Sprintf("m-%02d", i), fmt.Sprintf("p-%02d", i))
		})
	})
	for i, err := range errs {
		require.NoError(t, err, "update %d", i)
	}
	for i := range n {
		id := fmt.Sprintf("c-%02d", i)
		c := getConversation(t, s, ws1, id)
		assert.Equal(t, newThread(id).Version, c.Version, "an inserted conversation keeps its version")
		m := read(t, s, func(tx store.Tx) (*model.Message, error) {
			return tx.FindMessageByProviderID(ws1, c.ConnectionID, fmt.Sprintf("p-%02d", i))
		})
		assert.Equal(t, id, m.ConversationID)
		read(t, s, func(tx store.Tx) (*model.Identity, error) {
			return tx.FindIdentity(ws1, c.ConnectionID, "user-"+id)
		})
		read(t, s, func(tx store.Tx) (*model.Contact, error) { return tx.GetContact(ws1, "k-"+id) })
	}
}

// testGroupDuplicateFailsOnlyItsUpdate runs concurrent updates that each insert a job of their own
// and half of which insert the same provider message: exactly one of those succeeds, the others
// fail with ErrDuplicate and their jobs are not applied; the updates without the shared message
// all succeed.
func testGroupDuplicateFailsOnlyItsUpdate(t *testing.T, s store.Store) {
	run := grouped(t, s)
	ctx := context.Background()
	c := fullConversation(ws1, "c-1")
	insertConversations(t, s, c)
	const n = 16
	errs := make([]error, n)
	concurrently(n, func(i int) {
		errs[i] = run(ctx, func(tx store.Tx) error {
			m := plainMessage(c, fmt.Sprintf("m-%02d", i), int64(10+i))
			m.ProviderMessageID = fmt.Sprintf("own-%02d", i)
			if i%2 == 0 {
				m.ProviderMessageID = "shared"
			}
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
			return tx.InsertJob(fullJob(fmt.Sprintf("job-%02d", i), at(0)))
		})
	})
	won := 0
	for i, err := range errs {
		job := fmt.Sprintf("job-%02d", i)
		_, jobErr := readErr(t, s, func(tx store.Tx) (*model.Message, error) {
			return tx.GetMessage(ws1, fmt.Sprintf("m-%02d", i))
		})
		switch {
		case i%2 == 1:
			assert.NoError(t, err, "update %d has no duplicate", i)
			assert.NoError(t, jobErr, "update %d's message is stored", i)
		case err == nil:
			won++
		default:
			assert.ErrorIs(t, err, model.ErrDuplicate, "update %d", i)
			assert.ErrorIs(t, jobErr, model.ErrNotFound, "update %d failed: its message is not stored", i)
			assert.False(t, jobStored(t, s, job), "update %d failed: its job is not stored", i)
		}
	}
	assert.Equal(t, 1, won, "exactly one update stores the shared message")
}

// jobStored reports whether the job id is among the due jobs.
func jobStored(t *testing.T, s store.Store, id string) bool {
	t.Helper()
	found := false
	err := write(t, s, func(tx store.Tx) error {
		jobs, err := tx.ClaimJobs("checker", at(1e6), time.Minute, 1000)
		for _, j := range jobs {
			found = found || j.ID == id
		}
		if err != nil {
			return err
		}
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	return found
}

// errRollback makes update roll back a transaction that only looked.
var errRollback = errors.New("rollback")

func testGroupStaleVersionIsConflict(t *testing.T, s store.Store) {
	run := grouped(t, s)
	ctx := context.Background()
	c := fullConversation(ws1, "c-1")
	insertConversations(t, s, c)
	stale := getConversation(t, s, ws1, "c-1")
	fresh := getConversation(t, s, ws1, "c-1")
	fresh.Note = "first"
	update(t, s, func(tx store.Tx) error { return tx.UpdateConversation(fresh) })

	other := fullConversation(ws1, "c-2")
	insertConversations(t, s, other)
	errs := make([]error, 2)
	concurrently(2, func(i int) {
		errs[i] = run(ctx, func(tx store.Tx) error {
			target := stale
			if i == 1 {
				target = getOther(tx, other)
			}
			m := plainMessage(target, fmt.Sprintf("m-%d", i), 5)
			if err := tx.InsertMessage(m); err != nil {
				return err
			}
			target.Note = "second"
			return tx.UpdateConversation(target)
		})
	})
	assert.ErrorIs(t, errs[0], model.ErrConflict)
	assert.NoError(t, errs[1])
	assert.Equal(t, "first", getConversation(t, s, ws1, "c-1").Note)
	_, err := readErr(t, s, func(tx store.Tx) (*model.Message, error) { return tx.GetMessage(ws1, "m-0") })
	assert.ErrorIs(t, err, model.ErrNotFound, "the conflicting update's message is not stored")
	assert.Equal(t, "second", getConversation(t, s, ws1, "c-2").Note)
}

// getOther reads c again inside tx (a grouped update's read).
func getOther(tx store.Tx, c *model.Conversation) *model.Conversation {
	got, err := tx.GetConversation(c.WorkspaceID, c.ID)
	if err != nil {
		return c
	}
	return got
}

func testGroupReadsSeeOwnWrites(t *testing.T, s store.Store) {
	run := grouped(t, s)
	seedGroupConnection(t, s)
	c := newThread("c-1")
	err := run(context.Background(), func(tx store.Tx) error {
		if err := insertThread(tx, c, "m-1", "p-1"); err != nil {
			return err
		}
		m, err := tx.FindMessageByProviderID(ws1, c.ConnectionID, "p-1")
		if err != nil {
			return fmt.Errorf("the update's own message: %w", err)
		}
		assert.Equal(t, "m-1", m.ID)
		got, err := tx.GetConversation(ws1, "c-1")
		if err != nil {
			return fmt.Errorf("the update's own conversation: %w", err)
		}
		got.Note = "seen"
		return tx.UpdateConversation(got)
	})
	require.NoError(t, err)
	assert.Equal(t, "seen", getConversation(t, s, ws1, "c-1").Note)
}

func testGroupFunctionErrorAppliesNothing(t *testing.T, s store.Store) {
	run := grouped(t, s)
	seedGroupConnection(t, s)
	boom := errors.New("boom")
	c := newThread("c-1")
	err := run(context.Background(), func(tx store.Tx) error {
		if err := insertThread(tx, c, "m-1", "p-1"); err != nil {
			return err
		}
		return boom
	})
	assert.ErrorIs(t, err, boom)
	_, err = readErr(t, s, func(tx store.Tx) (*model.Conversation, error) { return tx.GetConversation(ws1, "c-1") })
	assert.ErrorIs(t, err, model.ErrNotFound)
	assert.False(t, jobStored(t, s, "job-m-1"))
}

// testGroupOtherWrites mixes the writes a store may group with others (a user, a read state): all
// are applied together.
func testGroupOtherWrites(t *testing.T, s store.Store) {
	run := grouped(t, s)
	seedGroupConnection(t, s)
	c := newThread("c-1")
	err := run(context.Background(), func(tx store.Tx) error {
		if err := insertThread(tx, c, "m-1", "p-1"); err != nil {
			return err
		}
		if err := tx.PutUser(fullUser(ws1, "u-1")); err != nil {
			return err
		}
		return tx.PutReadState(fullReadState(ws1, "u-1", "c-1", 1))
	})
	require.NoError(t, err)
	getConversation(t, s, ws1, "c-1")
	read(t, s, func(tx store.Tx) (*model.User, error) { return tx.GetUser(ws1, "u-1") })
	read(t, s, func(tx store.Tx) (*model.ReadState, error) { return tx.GetReadState(ws1, "u-1", "c-1") })
}

// testGroupConcurrentUpdates appends to one conversation from many grouped updates, each
// retrying on ErrConflict as the engine does: every append is kept once and the version counts
// them.
func testGroupConcurrentUpdates(t *testing.T, s store.Store) {
	run := grouped(t, s)
	c := fullConversation(ws1, "c-1")
	c.LastSeq, c.InboundCount = 0, 0
	insertConversations(t, s, c)
	const n = 20
	var conflicts atomic.Int64
	concurrently(n, func(i int) {
		for {
			err := run(context.Background(), func(tx store.Tx) error {
				cur, err := tx.GetConversation(ws1, "c-1")
				if err != nil {
					return err
				}
				cur.LastSeq++
				cur.InboundCount++
				m := plainMessage(cur, fmt.Sprintf("m-%02d", i), cur.LastSeq)
				if err := tx.InsertMessage(m); err != nil {
					return err
				}
				return tx.UpdateConversation(cur)
			})
			if errors.Is(err, model.ErrConflict) || errors.Is(err, model.ErrDuplicate) {
				conflicts.Add(1)
				continue
			}
			assert.NoError(t, err)
			return
		}
	})
	got := getConversation(t, s, ws1, "c-1")
	assert.Equal(t, int64(n), got.InboundCount)
	assert.Equal(t, int64(n), got.LastSeq)
	assert.Equal(t, c.Version+int64(n), got.Version)
	msgs := read(t, s, func(tx store.Tx) ([]*model.Message, error) { return tx.ListMessages(ws1, "c-1", 0, 100) })
	assert.Len(t, msgs, n)
	t.Logf("%d conflicts retried", conflicts.Load())
}
