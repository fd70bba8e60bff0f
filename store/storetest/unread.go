package storetest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func unreadTests() []test {
	return []test{
		{"CountPerViewer", testUnreadPerViewer},
		{"CountWithFilters", testUnreadWithFilters},
		{"CountIgnoresReadStateAndPaging", testUnreadIgnoresPaging},
		{"FollowsReadStateAndInbound", testUnreadFollowsChanges},
	}
}

// The expected counts come from the query data set (see querydata.go).

func testUnreadPerViewer(t *testing.T, s store.Store) {
	seedQueryData(t, s)
	for viewer, want := range map[string]int{"u1": 4, "u2": 5, "u3": 6, "": 6} {
		assert.Equal(t, want, countUnread(t, s, cq{WorkspaceID: ws1, ViewerID: viewer}), "viewer %q", viewer)
	}
	assert.Equal(t, 1, countUnread(t, s, cq{WorkspaceID: ws2, ViewerID: "u1"}), "ws2: c99 only")
	assert.Equal(t, 0, countUnread(t, s, cq{WorkspaceID: "ws-none", ViewerID: "u1"}))
}

func testUnreadWithFilters(t *testing.T, s store.Store) {
	seedQueryData(t, s)
	cases := []struct {
		name string
		q    cq
		want int
	}{
		{"Channel", cq{ViewerID: "u1", ChannelKinds: []model.Kind{kindTikTok}}, 1},
		{"Open", cq{ViewerID: "u1", Statuses: []model.ConversationStatus{model.StatusOpen}}, 4},
		{"Unassigned", cq{ViewerID: "u2", AssigneeIDs: []string{model.Unassigned}}, 2},
		{"Mine", cq{ViewerID: "u1", AssigneeIDs: []string{"u1"}}, 1},
		{"SearchAllRead", cq{ViewerID: "u1", Search: "nguyễn"}, 0},
		{"Team", cq{ViewerID: "u3", TeamIDs: []string{"t1", "t2"}}, 4},
	}
	for _, tc := range cases {
		q := tc.q
		q.WorkspaceID = ws1
		assert.Equal(t, tc.want, countUnread(t, s, q), tc.name)
	}
}

func testUnreadIgnoresPaging(t *testing.T, s store.Store) {
	seedQueryData(t, s)
	c08 := getConversation(t, s, ws1, "c08")
	for _, rf := range []model.ReadFilter{model.ReadRead, model.ReadUnread} {
		q := cq{WorkspaceID: ws1, ViewerID: "u1", ReadState: rf, Limit: 1,
			After: &model.Cursor{LastMessageAt: c08.LastMessageAt, ConversationID: c08.ID}}
		assert.Equal(t, 4, countUnread(t, s, q), "ReadState %q", rf)
	}
}

func testUnreadFollowsChanges(t *testing.T, s store.Store) {
	seedQueryData(t, s)
	unreadU1 := func() []string {
		return conversationIDs(listConversations(t, s, cq{WorkspaceID: ws1, ViewerID: "u1", ReadState: model.ReadUnread}))
	}

	update(t, s, func(tx store.Tx) error { return tx.PutReadState(fullReadState(ws1, "u1", "c02", 1)) })
	assert.Equal(t, 3, countUnread(t, s, cq{WorkspaceID: ws1, ViewerID: "u1"}), "u1 read c02")
	assert.Equal(t, []string{"c08", "c07", "c04"}, unreadU1())
	assert.Equal(t, 5, countUnread(t, s, cq{WorkspaceID: ws1, ViewerID: "u2"}), "another viewer's read state")

	update(t, s, func(tx store.Tx) error {
		c, err := tx.GetConversation(ws1, "c02")
		if err != nil {
			return err
		}
		c.InboundCount++
		return tx.UpdateConversation(c)
	})
	assert.Equal(t, 4, countUnread(t, s, cq{WorkspaceID: ws1, ViewerID: "u1"}), "a new inbound message on c02")
	assert.Equal(t, []string{"c08", "c07", "c04", "c02"}, unreadU1())
}
