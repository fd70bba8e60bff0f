package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

// groupMessage is message n of conversation conv-1 of ws with provider id pid.
func groupMessage(n int, pid string) *omnichannel.Message {
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	return &omnichannel.Message{WorkspaceID: "ws", ID: fmt.Sprintf("m-%03d", n), ConversationID: "conv-1",
		ConnectionID: "conn-1", Seq: int64(n), Direction: omnichannel.DirectionIn, Type: omnichannel.MessageText,
		Text: "xin chào", ProviderMessageID: pid, Status: omnichannel.MessageReceived, CreatedAt: now, UpdatedAt: now}
}

// TestGroupedUpdatesShareTransactions checks that concurrent grouped updates that only insert are
// applied in groups (never one at a time as an Update), that a read of an update's own writes turns
// it into an Update, and that a duplicate makes its group fall back to one transaction per update.
func TestGroupedUpdatesShareTransactions(t *testing.T) {
	s := openStore(t, newSchema(t))
	ctx := context.Background()
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, s.UpdateGrouped(ctx, func(tx omnichannel.Tx) error {
				return tx.InsertMessage(groupMessage(i, fmt.Sprintf("p-%03d", i)))
			}))
		}()
	}
	wg.Wait()
	st := s.GroupStats()
	assert.Equal(t, int64(n), st.Grouped, "every update was applied in a group")
	assert.Zero(t, st.Ungrouped)
	assert.Zero(t, st.Fallbacks)
	assert.LessOrEqual(t, st.Groups, int64(n))
	t.Logf("%d updates in %d groups", st.Grouped, st.Groups)

	require.NoError(t, s.UpdateGrouped(ctx, func(tx omnichannel.Tx) error {
		if err := tx.InsertMessage(groupMessage(100, "p-100")); err != nil {
			return err
		}
		m, err := tx.FindMessageByProviderID("ws", "conn-1", "p-100")
		if err != nil {
			return err
		}
		assert.Equal(t, "m-100", m.ID)
		return nil
	}))
	assert.Equal(t, int64(1), s.GroupStats().Ungrouped, "reading its own write made the update an Update")

	err := s.UpdateGrouped(ctx, func(tx omnichannel.Tx) error {
		return tx.InsertMessage(groupMessage(101, "p-000"))
	})
	assert.ErrorIs(t, err, omnichannel.ErrDuplicate)
	assert.Equal(t, int64(1), s.GroupStats().Fallbacks, "the duplicate's group fell back to its updates one by one")
}

// TestGroupFoldsStatements holds the committer until every update of a burst arrived, so that they
// form one group: its inserts and conversation updates are folded into multi-row statements of 8
// and 4 rows (chunks), and every write is applied as the updates made it.
func TestGroupFoldsStatements(t *testing.T) {
	s := openStore(t, newSchema(t))
	ctx := context.Background()
	const n = 12
	convs := make([]*omnichannel.Conversation, n)
	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
		for i := range convs {
			now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
			convs[i] = &omnichannel.Conversation{WorkspaceID: "ws", ID: fmt.Sprintf("conv-%02d", i), ConnectionID: "conn-1",
				ChannelKind: "zalooa", ContactID: fmt.Sprintf("k-%02d", i), IdentityID: fmt.Sprintf("idn-%02d", i),
				ContactName: "Khách", Status: omnichannel.StatusOpen, CategoryPath: []string{"a", "b"},
				LastMessageAt: now, CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertConversation(convs[i]); err != nil {
				return err
			}
		}
		return nil
	}))
	arrived, release := postgres.HoldGroups(s)
	var wg sync.WaitGroup
	for i, c := range convs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, s.UpdateGrouped(ctx, func(tx omnichannel.Tx) error {
				cur, err := tx.GetConversation("ws", c.ID)
				if err != nil {
					return err
				}
				m := groupMessage(i, fmt.Sprintf("p-%02d", i))
				m.ConversationID = c.ID
				if err := tx.InsertMessage(m); err != nil {
					return err
				}
				cur.InboundCount++
				cur.LastMessageText = fmt.Sprintf("tin %d", i)
				cur.CategoryPath = []string{"x", fmt.Sprint(i)}
				return tx.UpdateConversation(cur)
			}))
		}()
	}
	require.Eventually(t, func() bool { return arrived() == n }, 10*time.Second, 5*time.Millisecond)
	release()
	wg.Wait()
	st := s.GroupStats()
	assert.Equal(t, int64(1), st.Groups, "one group")
	assert.Zero(t, st.Fallbacks, "the folded statements changed every row they had to")
	assert.Equal(t, int64(2*(n-2)), st.Folded, "n inserts and n updates became two statements each (8 and 4 rows)")
	require.NoError(t, s.View(ctx, func(tx omnichannel.Tx) error {
		for i, c := range convs {
			got, err := tx.GetConversation("ws", c.ID)
			if err != nil {
				return err
			}
			assert.Equal(t, int64(1), got.InboundCount)
			assert.Equal(t, fmt.Sprintf("tin %d", i), got.LastMessageText)
			assert.Equal(t, []string{"x", fmt.Sprint(i)}, got.CategoryPath)
			assert.Equal(t, c.Version+1, got.Version)
			if _, err := tx.FindMessageByProviderID("ws", "conn-1", fmt.Sprintf("p-%02d", i)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// TestGroupLeavesOutStaleUpdates changes a conversation after a grouped update read it and before
// its group is written: that update alone gets ErrConflict (none of its writes applied), and the
// rest of its group is committed without falling back.
func TestGroupLeavesOutStaleUpdates(t *testing.T) {
	s := openStore(t, newSchema(t))
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	conv := func(id string) *omnichannel.Conversation {
		return &omnichannel.Conversation{WorkspaceID: "ws", ID: id, ConnectionID: "conn-1", ChannelKind: "zalooa",
			ContactID: "k-" + id, IdentityID: "idn-" + id, Status: omnichannel.StatusOpen, LastMessageAt: now,
			CreatedAt: now, UpdatedAt: now}
	}
	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
		return errors.Join(tx.InsertConversation(conv("conv-a")), tx.InsertConversation(conv("conv-b")))
	}))
	arrived, release := postgres.HoldGroups(s)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, id := range []string{"conv-a", "conv-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.UpdateGrouped(ctx, func(tx omnichannel.Tx) error {
				cur, err := tx.GetConversation("ws", id)
				if err != nil {
					return err
				}
				m := groupMessage(i, "p-"+id)
				m.ConversationID = id
				if err := tx.InsertMessage(m); err != nil {
					return err
				}
				cur.Note = "grouped"
				return tx.UpdateConversation(cur)
			})
		}()
	}
	require.Eventually(t, func() bool { return arrived() == 2 }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
		c, err := tx.GetConversation("ws", "conv-a")
		if err != nil {
			return err
		}
		c.Note = "agent"
		return tx.UpdateConversation(c)
	}))
	release()
	wg.Wait()
	assert.ErrorIs(t, errs[0], omnichannel.ErrConflict)
	assert.NoError(t, errs[1])
	assert.Zero(t, s.GroupStats().Fallbacks, "the stale update was left out, the group did not fall back")
	require.NoError(t, s.View(ctx, func(tx omnichannel.Tx) error {
		a, err := tx.GetConversation("ws", "conv-a")
		if err != nil {
			return err
		}
		assert.Equal(t, "agent", a.Note)
		_, err = tx.FindMessageByProviderID("ws", "conn-1", "p-conv-a")
		assert.ErrorIs(t, err, omnichannel.ErrNotFound, "the stale update's message is not stored")
		b, err := tx.GetConversation("ws", "conv-b")
		if err != nil {
			return err
		}
		assert.Equal(t, "grouped", b.Note)
		return nil
	}))
}
