package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store"
	"github.com/dakenh/dakenh/store/postgres"
)

// TestGroupedUpdatesOfOneCustomerFollowEachOther: grouped updates that look up the same new
// customer while the first one's writes still wait for a group (held here) do not read before
// those writes are committed: each later one finds the identity the first inserted, so none
// records a duplicate insert, no group fails and falls back, and every update succeeds. Updates of
// another customer are not held back.
func TestGroupedUpdatesOfOneCustomerFollowEachOther(t *testing.T) {
	s := openStore(t, newSchema(t))
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
		return tx.PutConnection(&omnichannel.Connection{WorkspaceID: "ws", ID: "conn-1", Kind: "zalooa",
			Status: omnichannel.ConnectionConnected})
	}))
	inserted := make(chan string, 8)
	ingest := func(user string) error {
		return s.UpdateGrouped(ctx, func(tx omnichannel.Tx) error {
			thread := &store.CustomerThreadRead{WorkspaceID: "ws", ConnectionID: "conn-1", ExternalUserID: user}
			if err := tx.ReadBatch(ctx, thread); err != nil {
				return err
			}
			if thread.Identity != nil {
				return nil // a later delivery: the customer is known
			}
			now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
			if err := tx.PutContact(&omnichannel.Contact{WorkspaceID: "ws", ID: "ct-" + user, Name: user,
				CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			inserted <- user
			return tx.InsertIdentity(&omnichannel.Identity{WorkspaceID: "ws", ID: "idn-" + user, ContactID: "ct-" + user,
				ConnectionID: "conn-1", ChannelKind: "zalooa", ExternalUserID: user, CreatedAt: now, UpdatedAt: now})
		})
	}
	arrived, release := postgres.HoldGroups(s)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	wg.Add(1)
	go func() { defer wg.Done(); errs <- ingest("lan") }()
	require.Eventually(t, func() bool { return arrived() == 1 }, 10*time.Second, 5*time.Millisecond,
		"the first update's writes wait for a group")
	for _, user := range []string{"lan", "lan", "minh"} {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- ingest(user) }()
	}
	require.Eventually(t, func() bool { return arrived() == 2 }, 10*time.Second, 5*time.Millisecond,
		"another customer's update is not held back")
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
		assert.False(t, errors.Is(err, omnichannel.ErrDuplicate))
	}
	close(inserted)
	var users []string
	for u := range inserted {
		users = append(users, u)
	}
	assert.ElementsMatch(t, []string{"lan", "minh"}, users, "each customer inserted once")
	assert.Zero(t, s.GroupStats().Fallbacks, "no group failed on a duplicate")
}
