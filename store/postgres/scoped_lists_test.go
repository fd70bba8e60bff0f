package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/memory"
)

// TestScopedListsMatchMemory: the lists and unread counts the engine scopes through the batched reads
// on PostgreSQL equal those it scopes row by row on the memory store, for every kind of viewer.
func TestScopedListsMatchMemory(t *testing.T) {
	pg := openStore(t, newSchema(t))
	mem := memory.New()
	seedClaimCases(t, pg)
	seedClaimCases(t, mem)
	engines := map[omnichannel.Store]*omnichannel.Engine{pg: bigInboxEngine(t, pg), mem: bigInboxEngine(t, mem)}
	outcome := func(st omnichannel.Store, viewer string, conns ...string) (ids []string, unread int, err error) {
		eng := engines[st]
		page, err := eng.ListConversations(context.Background(), viewer, omnichannel.ConversationQuery{WorkspaceID: "w", ConnectionIDs: conns})
		if err != nil {
			return nil, 0, err
		}
		for _, c := range page.Conversations {
			ids = append(ids, c.ID)
		}
		unread, err = eng.CountUnread(context.Background(), viewer, omnichannel.ConversationQuery{WorkspaceID: "w", ConnectionIDs: conns})
		return ids, unread, err
	}
	for _, viewer := range []string{"a1", "a2", "sup", "ox", "ghost"} {
		wantIDs, wantUnread, wantErr := outcome(mem, viewer)
		if viewer == "ox" || viewer == "ghost" {
			require.ErrorIs(t, wantErr, omnichannel.ErrForbidden, "%s is no user of workspace w", viewer)
		} else {
			require.NoError(t, wantErr, viewer)
			require.NotEmpty(t, wantIDs, viewer)
			require.Positive(t, wantUnread, viewer)
		}
		gotIDs, gotUnread, gotErr := outcome(pg, viewer)
		assert.Equal(t, wantIDs, gotIDs, viewer)
		assert.Equal(t, wantUnread, gotUnread, viewer)
		assert.Equal(t, wantErr != nil, gotErr != nil, "%s: memory %v, postgres %v", viewer, wantErr, gotErr)
		if wantErr != nil {
			assert.ErrorIs(t, gotErr, omnichannel.ErrForbidden, viewer)
		}
	}
	// Connection filters: the unread badge is the sum over the visible ones among them, each once.
	for _, viewer := range []string{"a1", "a2", "sup"} {
		for _, conns := range [][]string{{"shared"}, {"mine"}, {"shared", "shared", "nope"}, {"mine", "shared"}} {
			wantIDs, wantUnread, wantErr := outcome(mem, viewer, conns...)
			gotIDs, gotUnread, gotErr := outcome(pg, viewer, conns...)
			require.NoError(t, wantErr)
			require.NoError(t, gotErr)
			assert.Equal(t, wantIDs, gotIDs, "%s %v", viewer, conns)
			assert.Equal(t, wantUnread, gotUnread, "%s %v", viewer, conns)
		}
	}
	_, sharedOnly, err := outcome(pg, "sup", "shared", "shared")
	require.NoError(t, err)
	assert.Equal(t, 3, sharedOnly, "c1, c2 and c4 are unread on shared, counted once each")
	ids, _, err := outcome(pg, "a2")
	require.NoError(t, err)
	assert.Contains(t, ids, "c3", "a2 sees the conversation of its own only-me connection")
	ids, _, err = outcome(pg, "a1")
	require.NoError(t, err)
	assert.NotContains(t, ids, "c3", "a1 does not see a2's only-me connection")
}
