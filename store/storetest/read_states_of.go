package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// readStatesReader is the Tx capability inboxapi.ReadStatesReader (declared again here so that the
// suite does not import the agent API).
type readStatesReader interface {
	ReadStatesOf(workspaceID, conversationID string, userIDs []string) ([]*omnichannel.ReadState, error)
}

// ReadStatesOf checks a store whose transactions implement inboxapi.ReadStatesReader: ReadStatesOf
// returns exactly the asked users' read states of the one conversation of the one workspace (none
// for a user who never read it, none of another conversation, user or workspace), in a read
// transaction as in a write transaction. It fails when s's transactions lack the method.
func ReadStatesOf(t *testing.T, s omnichannel.Store) {
	insertConversations(t, s, fullConversation(ws1, "conv-1"), fullConversation(ws1, "conv-2"),
		fullConversation(ws2, "conv-1"))
	want := []*omnichannel.ReadState{fullReadState(ws1, "u-1", "conv-1", 1), fullReadState(ws1, "u-2", "conv-1", 2)}
	others := []*omnichannel.ReadState{
		fullReadState(ws1, "u-3", "conv-1", 3), // not asked for
		fullReadState(ws1, "u-1", "conv-2", 4), // another conversation
		fullReadState(ws2, "u-2", "conv-1", 5), // another workspace
	}
	update(t, s, func(tx omnichannel.Tx) error {
		for _, r := range append(slices.Clone(want), others...) {
			if err := tx.PutReadState(r); err != nil {
				return err
			}
		}
		return nil
	})
	check := func(tx omnichannel.Tx) error {
		r, ok := tx.(readStatesReader)
		require.True(t, ok, "%T does not implement ReadStatesOf", tx)
		got, err := r.ReadStatesOf(ws1, "conv-1", []string{"u-1", "u-2", "u-never"})
		require.NoError(t, err)
		slices.SortFunc(got, func(a, b *omnichannel.ReadState) int { return strings.Compare(a.UserID, b.UserID) })
		require.Len(t, got, len(want))
		for i := range want {
			same(t, want[i], got[i])
		}
		none, err := r.ReadStatesOf(ws1, "conv-1", nil)
		require.NoError(t, err)
		assert.Empty(t, none, "no users asked, no read states")
		none, err = r.ReadStatesOf(ws2, "conv-2", []string{"u-1", "u-2"})
		require.NoError(t, err)
		assert.Empty(t, none, "a conversation without read states")
		return nil
	}
	require.NoError(t, s.View(t.Context(), check))
	update(t, s, check)
}
