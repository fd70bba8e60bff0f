package storetest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// readPositionTests check store.ReadPositionsRead through Tx.ReadBatch: the read positions of
// every asked (user, conversation) pair of the one workspace, none for a pair without a read
// state, none of another conversation, user or workspace, in a read transaction as in a write
// transaction: what the event stream (many viewers, one conversation) and a list page (one viewer,
// many conversations) read.
func readPositionTests() []test {
	return []test{{"ReadPositions", testReadPositions}}
}

func testReadPositions(t *testing.T, s store.Store) {
	insertConversations(t, s, fullConversation(ws1, "conv-1"), fullConversation(ws1, "conv-2"),
		fullConversation(ws1, "conv-3"), fullConversation(ws2, "conv-1"))
	update(t, s, func(tx store.Tx) error {
		for _, r := range []*model.ReadState{
			fullReadState(ws1, "u-1", "conv-1", 1), fullReadState(ws1, "u-2", "conv-1", 2),
			fullReadState(ws1, "u-1", "conv-2", 4),
			fullReadState(ws1, "u-3", "conv-1", 3), // not asked for
			fullReadState(ws1, "u-1", "conv-3", 6), // not asked for
			fullReadState(ws2, "u-1", "conv-1", 5), // another workspace
		} {
			if err := tx.PutReadState(r); err != nil {
				return err
			}
		}
		return nil
	})
	pos := func(u, c string) store.ReadPosition { return store.ReadPosition{UserID: u, ConversationID: c} }
	cases := []struct {
		name         string
		users, convs []string
		want         map[store.ReadPosition]int64
	}{
		{"ViewersOfOneConversation", []string{"u-1", "u-2", "u-never"}, []string{"conv-1"},
			map[store.ReadPosition]int64{pos("u-1", "conv-1"): 1, pos("u-2", "conv-1"): 2}},
		{"PageOfOneViewer", []string{"u-1"}, []string{"conv-1", "conv-2", "conv-missing"},
			map[store.ReadPosition]int64{pos("u-1", "conv-1"): 1, pos("u-1", "conv-2"): 4}},
		{"EveryPair", []string{"u-1", "u-2"}, []string{"conv-1", "conv-2"},
			map[store.ReadPosition]int64{pos("u-1", "conv-1"): 1, pos("u-2", "conv-1"): 2, pos("u-1", "conv-2"): 4}},
		{"NoUsers", nil, []string{"conv-1"}, map[store.ReadPosition]int64{}},
		{"NoConversations", []string{"u-1"}, nil, map[store.ReadPosition]int64{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(tx store.Tx) error {
				r := &store.ReadPositionsRead{WorkspaceID: ws1, UserIDs: tc.users, ConversationIDs: tc.convs}
				require.NoError(t, tx.ReadBatch(t.Context(), r))
				assert.Equal(t, tc.want, r.Positions)
				seq := &store.ReadPositionsRead{WorkspaceID: ws1, UserIDs: tc.users, ConversationIDs: tc.convs}
				require.NoError(t, store.ReadSequentially(t.Context(), tx, []store.Read{seq}))
				assert.Equal(t, seq.Positions, r.Positions, "batched and sequential agree")
				return nil
			}
			require.NoError(t, s.View(t.Context(), check))
			update(t, s, check)
		})
	}
}
