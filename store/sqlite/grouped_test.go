package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/sqlite"
)

// groupedFixture stores a connection and n conversations (conv-0 …) of ws with their contacts
// and identities, and returns the conversations as stored.
func groupedFixture(t *testing.T, s *sqlite.Store, n int) []*omnichannel.Conversation {
	t.Helper()
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	convs := make([]*omnichannel.Conversation, n)
	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		if err := tx.PutConnection(&omnichannel.Connection{WorkspaceID: ws, ID: "conn-1", Kind: "zalooa",
			ExternalID: "oa-1", DisplayName: "OA", Status: omnichannel.ConnectionConnected, CreatedAt: now}); err != nil {
			return err
		}
		for i := range convs {
			k, id := fmt.Sprintf("k-%d", i), fmt.Sprintf("idn-%d", i)
			if err := tx.PutContact(&omnichannel.Contact{WorkspaceID: ws, ID: k, Name: "Lan", CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			if err := tx.InsertIdentity(&omnichannel.Identity{WorkspaceID: ws, ID: id, ContactID: k, ConnectionID: "conn-1",
				ChannelKind: "zalooa", ExternalUserID: "u-" + id, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			convs[i] = &omnichannel.Conversation{WorkspaceID: ws, ID: fmt.Sprintf("conv-%d", i), ConnectionID: "conn-1",
				ChannelKind: "zalooa", ContactID: k, IdentityID: id, ContactName: "Lan", Status: omnichannel.StatusOpen,
				LastMessageAt: now, CreatedAt: now, UpdatedAt: now, Version: 1}
			if err := tx.InsertConversation(convs[i]); err != nil {
				return err
			}
		}
		return nil
	}))
	return convs
}

// appendGrouped is a grouped update's function that appends message pid to conversation id, as the
// ingest does: a read of the conversation, the message insert, the conversation update.
func appendGrouped(id, pid string) func(tx omnichannel.Tx) error {
	return func(tx omnichannel.Tx) error {
		c, err := tx.GetConversation(ws, id)
		if err != nil {
			return err
		}
		c.LastSeq++
		c.InboundCount++
		c.LastMessageText = pid
		c.LastMessageAt = c.LastMessageAt.Add(time.Second)
		if err := tx.InsertMessage(&omnichannel.Message{WorkspaceID: ws, ID: "m-" + pid, ConversationID: id,
			ConnectionID: "conn-1", Seq: c.LastSeq, Direction: omnichannel.DirectionIn, Type: omnichannel.MessageText,
			Text: pid, ProviderMessageID: pid, Status: omnichannel.MessageReceived, CreatedAt: c.LastMessageAt,
			UpdatedAt: c.LastMessageAt}); err != nil {
			return err
		}
		return tx.UpdateConversation(c)
	}
}

// messageStored reports whether ws has the message with provider id pid.
func messageStored(t *testing.T, s *sqlite.Store, pid string) bool {
	t.Helper()
	err := s.View(t.Context(), func(tx omnichannel.Tx) error {
		_, err := tx.FindMessageByProviderID(ws, "conn-1", pid)
		return err
	})
	if errors.Is(err, omnichannel.ErrNotFound) {
		return false
	}
	require.NoError(t, err)
	return true
}

// TestGroupedUpdatesRecordTheirWrites: concurrent grouped updates that read and then write a
// message and a conversation are applied from their recorded writes (none runs again as an
// Update); one that reads its own write, and one that makes a write that is not recorded, run again
// as Updates, with the result an Update gives.
func TestGroupedUpdatesRecordTheirWrites(t *testing.T) {
	s := open(t, t.TempDir()+"/db")
	convs := groupedFixture(t, s, 8)
	var wg sync.WaitGroup
	for i, c := range convs {
		wg.Go(func() { assert.NoError(t, s.UpdateGrouped(t.Context(), appendGrouped(c.ID, fmt.Sprintf("p-%d", i)))) })
	}
	wg.Wait()
	st := s.Stats()
	assert.Equal(t, int64(len(convs)), st.Grouped)
	assert.Zero(t, st.Ungrouped)
	for i := range convs {
		assert.True(t, messageStored(t, s, fmt.Sprintf("p-%d", i)))
	}

	require.NoError(t, s.UpdateGrouped(t.Context(), func(tx omnichannel.Tx) error {
		if err := appendGrouped("conv-0", "own")(tx); err != nil {
			return err
		}
		m, err := tx.FindMessageByProviderID(ws, "conn-1", "own")
		if err != nil {
			return err
		}
		assert.Equal(t, "m-own", m.ID)
		return nil
	}))
	assert.Equal(t, int64(1), s.Stats().Ungrouped, "reading its own write made the update an Update")

	require.NoError(t, s.UpdateGrouped(t.Context(), putUser("u-1")))
	assert.Equal(t, int64(2), s.Stats().Ungrouped, "a write that is not recorded made the update an Update")
	assert.True(t, userExists(t, s, "u-1"))
}

// TestGroupedStaleUpdateLeavesItsBatch: three grouped updates wait in one batch; the middle one's
// conversation changes before the batch runs, so its second write fails after its first succeeded.
// None of its writes is kept, and it runs again once the batch is committed, reads the changed
// conversation and succeeds; the others, before and after it in the batch, are committed in that
// batch.
func TestGroupedStaleUpdateLeavesItsBatch(t *testing.T) {
	s := openBatching(t, 0)
	groupedFixture(t, s, 3)
	before := s.Stats()
	started, hold := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.Update(context.Background(), func(tx omnichannel.Tx) error {
			close(started)
			<-hold
			c, err := tx.GetConversation(ws, "conv-1")
			if err != nil {
				return err
			}
			c.Note = "agent"
			return tx.UpdateConversation(c)
		})
	}()
	<-started
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			errs[i] = s.UpdateGrouped(t.Context(), appendGrouped(fmt.Sprintf("conv-%d", i), fmt.Sprintf("p-%d", i)))
		})
		waitQueued(t, s, i+1) // in this order in the batch
	}
	close(hold)
	require.NoError(t, <-holder)
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "update %d", i)
		assert.True(t, messageStored(t, s, fmt.Sprintf("p-%d", i)))
	}
	st := s.Stats()
	assert.Equal(t, int64(1), st.Batches-before.Batches-1, "the holder's batch held the grouped updates, the one run again has one of its own")
	assert.Equal(t, int64(1), st.FailedWrites, "the stale update ran again")
	assert.Equal(t, int64(1), st.SegmentRollbacks, "its message insert was undone with its segment")
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		for i := range 3 {
			c, err := tx.GetConversation(ws, fmt.Sprintf("conv-%d", i))
			if err != nil {
				return err
			}
			assert.Equal(t, int64(1), c.InboundCount, "conv-%d has its message once", i)
			assert.Equal(t, int64(1), c.LastSeq, "conv-%d", i)
		}
		c, err := tx.GetConversation(ws, "conv-1")
		if err == nil {
			assert.Equal(t, "agent", c.Note, "the agent's change is kept")
		}
		msgs, err := tx.ListMessages(ws, "conv-1", 0, 10)
		assert.Len(t, msgs, 1, "the undone insert left nothing")
		return err
	}))
}

// TestGroupedDuplicateSeesTheWinner: of two grouped updates storing one provider message in one
// batch, the second runs again once the first is committed (grouped, then as an Update), meeting
// the first's message each time (this function does not look for it first, as the engine does):
// ErrDuplicate, as Update gives.
func TestGroupedDuplicateSeesTheWinner(t *testing.T) {
	s := openBatching(t, 0)
	groupedFixture(t, s, 2)
	release := holdWriter(t, s)
	errs := make([]error, 2)
	seen := make([]bool, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			errs[i] = s.UpdateGrouped(t.Context(), appendGrouped(fmt.Sprintf("conv-%d", i), "same"))
			seen[i] = messageStored(t, s, "same")
		})
		waitQueued(t, s, i+1)
	}
	require.NoError(t, release())
	wg.Wait()
	assert.NoError(t, errs[0])
	assert.ErrorIs(t, errs[1], omnichannel.ErrDuplicate)
	assert.True(t, seen[1], "the loser's error came before the winner's commit")
	assert.Equal(t, int64(3), s.Stats().FailedWrites, "three grouped attempts, then the Update")
}

// TestGroupedRotationPositions: grouped updates that take rotation positions (as routing does for
// a new conversation) get distinct positions without running again as Updates.
func TestGroupedRotationPositions(t *testing.T) {
	s := open(t, t.TempDir()+"/db")
	const n = 16
	got := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			assert.NoError(t, s.UpdateGrouped(t.Context(), func(tx omnichannel.Tx) error {
				p, err := tx.NextRotation(ws, "rule-1")
				got[i] = p
				if err != nil {
					return err
				}
				return tx.PutContact(&omnichannel.Contact{WorkspaceID: ws, ID: fmt.Sprintf("k-%d", i), Name: "Lan"})
			}))
		})
	}
	wg.Wait()
	assert.ElementsMatch(t, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, got)
	assert.Zero(t, s.Stats().Ungrouped)
}

// TestGroupedBareBatchRollsBack: a batch of grouped updates only runs without a savepoint; when
// the third one's second write fails (its conversation changed by the second after it read it),
// the batch is rolled back, the first two are applied again, and the third runs again and
// succeeds.
func TestGroupedBareBatchRollsBack(t *testing.T) {
	hold := make(chan struct{})
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "db"), MaxBatchDuration: time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	groupedFixture(t, s, 2)
	sqlite.HoldBatches(s, hold)
	agent := func(tx omnichannel.Tx) error {
		c, err := tx.GetConversation(ws, "conv-1")
		if err != nil {
			return err
		}
		c.Note = "agent"
		return tx.UpdateConversation(c)
	}
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, fn := range []func(omnichannel.Tx) error{appendGrouped("conv-0", "p-0"), agent, appendGrouped("conv-1", "p-1")} {
		wg.Go(func() { errs[i] = s.UpdateGrouped(t.Context(), fn) })
		if i == 0 {
			require.Eventually(t, func() bool { return sqlite.Held(s) }, 10*time.Second, time.Millisecond,
				"the first update never reached the writer")
		} else {
			waitQueued(t, s, i) // in this order in the batch
		}
	}
	close(hold)
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "update %d", i)
	}
	st := s.Stats()
	assert.Equal(t, int64(1), st.SegmentRollbacks, "the third update's message insert was rolled back with the batch")
	assert.Equal(t, int64(1), st.FailedWrites)
	assert.True(t, messageStored(t, s, "p-0"))
	assert.True(t, messageStored(t, s, "p-1"))
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		c, err := tx.GetConversation(ws, "conv-1")
		if err != nil {
			return err
		}
		assert.Equal(t, "agent", c.Note, "the second update, applied again")
		assert.Equal(t, int64(1), c.InboundCount)
		msgs, err := tx.ListMessages(ws, "conv-1", 0, 10)
		assert.Len(t, msgs, 1)
		return err
	}))
}

// TestCloseDuringGroupedRotation: a grouped update waiting for its rotation position (its read
// connection given back meanwhile) when Close starts gets a connection again and ends with
// ErrClosed for its writes; Close waits for it and returns.
func TestCloseDuringGroupedRotation(t *testing.T) {
	hold := make(chan struct{})
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "db")})
	require.NoError(t, err)
	sqlite.HoldBatches(s, hold)
	done := make(chan error, 1)
	go func() {
		done <- s.UpdateGrouped(context.Background(), func(tx omnichannel.Tx) error {
			if _, err := tx.NextRotation(ws, "rule-1"); err != nil {
				return err
			}
			_, err := tx.GetContact(ws, "k-1") // a read after the rotation
			if !errors.Is(err, omnichannel.ErrNotFound) {
				return err
			}
			return tx.PutContact(&omnichannel.Contact{WorkspaceID: ws, ID: "k-1", Name: "Lan"})
		})
	}()
	require.Eventually(t, func() bool { return sqlite.Held(s) }, 10*time.Second, time.Millisecond,
		"the rotation never reached the writer") // and the function waits for it
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	close(hold)
	assert.ErrorIs(t, <-done, sqlite.ErrClosed)
	assert.NoError(t, <-closed)
}
