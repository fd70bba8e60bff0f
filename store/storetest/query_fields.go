package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// queryFieldCase shows that one ConversationQuery field matters: the list of with differs from the
// list of without, which differs from with only in that field.
type queryFieldCase struct {
	with, without cq
	// paging marks the fields that do not narrow the set of conversations (the unread badge
	// ignores them).
	paging bool
}

// queryFieldCases has an entry for every field of ConversationQuery, over the query data set.
func queryFieldCases() map[string]queryFieldCase {
	u1 := func(q cq) cq { q.ViewerID = "u1"; return q }
	return map[string]queryFieldCase{
		"WorkspaceID":       {with: cq{WorkspaceID: ws2}, without: cq{}},
		"ChannelKinds":      {with: cq{ChannelKinds: []model.Kind{kindTikTok}}},
		"Statuses":          {with: cq{Statuses: []model.ConversationStatus{model.StatusDone}}},
		"ReadState":         {with: u1(cq{ReadState: model.ReadUnread}), without: u1(cq{}), paging: true},
		"ViewerID":          {with: cq{ReadState: model.ReadUnread, ViewerID: "u1"}, without: cq{ReadState: model.ReadUnread, ViewerID: "u2"}, paging: true},
		"AssigneeIDs":       {with: cq{AssigneeIDs: []string{"u1"}}},
		"TeamIDs":           {with: cq{TeamIDs: []string{"t1"}}},
		"CategoryIDs":       {with: cq{CategoryIDs: []string{"a1"}}},
		"ClassificationIDs": {with: cq{ClassificationIDs: []string{"cl-spam"}}},
		"ConnectionIDs":     {with: cq{ConnectionIDs: []string{"cz2"}}},
		"ContactIDs":        {with: cq{ContactIDs: []string{"k1"}}},
		"AwaitingClaim":     {with: cq{AwaitingClaim: true}},
		"Search":            {with: cq{Search: "nguyễn"}},
		"SearchDigits":      {with: cq{SearchDigits: "8491234"}},
		"After": {with: cq{After: &model.Cursor{LastMessageAt: at(4 * time.Minute), ConversationID: "c05"}},
			paging: true},
		"Limit": {with: cq{Limit: 2}, paging: true},
	}
}

// testQueryEveryField checks that every field of ConversationQuery changes the result of some
// query, and that the unread count of a query that sets one filter field agrees with the list of
// its unread conversations: a store that answers unread counts from per-connection counters must
// not take a query with another filter for one filtered by connections only
// (model.ConversationQuery.FiltersOnlyByConnection). A field added to ConversationQuery fails
// this test until it has a case here.
func testQueryEveryField(t *testing.T, s store.Store) {
	seedQueryData(t, s)
	cases := queryFieldCases()
	typ := reflect.TypeFor[cq]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		t.Run(name, func(t *testing.T) {
			tc, ok := cases[name]
			if !assert.True(t, ok, "ConversationQuery.%s has no case in queryFieldCases", name) {
				return
			}
			with, without := tc.with, tc.without
			if with.WorkspaceID == "" {
				with.WorkspaceID = ws1
			}
			if without.WorkspaceID == "" {
				without.WorkspaceID = ws1
			}
			assert.NotEqual(t, conversationIDs(listConversations(t, s, without)), conversationIDs(listConversations(t, s, with)),
				"setting %s changes nothing", name)
			if tc.paging {
				return
			}
			q := with
			q.ViewerID, q.ReadState = "u1", model.ReadUnread
			unread := len(listConversations(t, s, q))
			q.ReadState = ""
			assert.Equal(t, unread, countUnread(t, s, q), "CountUnread with %s set disagrees with the list of unread", name)
			assert.Equal(t, name == "ConnectionIDs" || name == "WorkspaceID", with.FiltersOnlyByConnection(),
				"FiltersOnlyByConnection with %s set", name)
		})
	}
}
