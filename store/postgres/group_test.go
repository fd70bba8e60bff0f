package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
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
