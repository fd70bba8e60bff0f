package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

type cq = model.ConversationQuery

func queryTests() []test {
	return []test{
		{"Filters", testQueryFilters},
		{"ReturnsFullRows", testQueryFullRows},
		{"TeamMembers", testQueryTeamMembers},
		{"SearchFolded", testQuerySearchFolded},
		{"EveryField", testQueryEveryField},
	}
}

// testQueryFilters checks every ConversationQuery field alone and some combinations against the
// query data set (see querydata.go).
func testQueryFilters(t *testing.T, s store.Store) {
	seedQueryData(t, s)
	open, done := model.StatusOpen, model.StatusDone
	cases := []struct {
		name string
		q    cq
		want []string
	}{
		{"NoFilter", cq{}, []string{"c08", "c07", "c06", "c05", "c04", "c03", "c02", "c01"}},
		{"ChannelKinds/One", cq{ChannelKinds: []model.Kind{kindTikTok}}, []string{"c08", "c05", "c03"}},
		{"ChannelKinds/Both", cq{ChannelKinds: []model.Kind{kindZalo, kindTikTok}}, []string{"c08", "c07", "c06", "c05", "c04", "c03", "c02", "c01"}},
		{"ChannelKinds/Unknown", cq{ChannelKinds: []model.Kind{"messenger"}}, []string{}},
		{"Statuses/Done", cq{Statuses: []model.ConversationStatus{done}}, []string{"c06", "c03"}},
		{"Statuses/Open", cq{Statuses: []model.ConversationStatus{open}}, []string{"c08", "c07", "c05", "c04", "c02", "c01"}},
		{"ReadState/UnreadU1", cq{ReadState: model.ReadUnread, ViewerID: "u1"}, []string{"c08", "c07", "c04", "c02"}},
		{"ReadState/ReadU1", cq{ReadState: model.ReadRead, ViewerID: "u1"}, []string{"c06", "c05", "c03", "c01"}},
		{"ReadState/UnreadU2", cq{ReadState: model.ReadUnread, ViewerID: "u2"}, []string{"c08", "c07", "c05", "c02", "c01"}},
		{"ReadState/UnreadNoReadStates", cq{ReadState: model.ReadUnread, ViewerID: "u3"}, []string{"c08", "c07", "c05", "c04", "c02", "c01"}},
		{"ReadState/ReadNoReadStates", cq{ReadState: model.ReadRead, ViewerID: "u3"}, []string{"c06", "c03"}},
		{"ReadState/AnyIgnoresViewer", cq{ReadState: model.ReadAny, ViewerID: "u1"}, []string{"c08", "c07", "c06", "c05", "c04", "c03", "c02", "c01"}},
		{"AssigneeIDs/One", cq{AssigneeIDs: []string{"u1"}}, []string{"c08", "c01"}},
		{"AssigneeIDs/Unassigned", cq{AssigneeIDs: []string{model.Unassigned}}, []string{"c06", "c05", "c02"}},
		{"AssigneeIDs/UserOrUnassigned", cq{AssigneeIDs: []string{"u2", model.Unassigned}}, []string{"c06", "c05", "c04", "c03", "c02"}},
		{"TeamIDs", cq{TeamIDs: []string{"t1"}}, []string{"c08", "c04", "c01"}},
		{"TeamIDs/Two", cq{TeamIDs: []string{"t1", "t2"}}, []string{"c08", "c05", "c04", "c03", "c01"}},
		// The empty value asks for the rows without one (the SQL stores keep sparse columns' list
		// indexes partial, on the non-empty values only, so these must not rely on them).
		{"TeamIDs/None", cq{TeamIDs: []string{""}}, []string{"c07", "c06", "c02"}},
		{"TeamIDs/OneOrNone", cq{TeamIDs: []string{"t2", ""}}, []string{"c07", "c06", "c05", "c03", "c02"}},
		{"ClassificationIDs/None", cq{ClassificationIDs: []string{""}}, []string{"c08", "c06", "c05", "c02"}},
		// A category path never holds an empty id.
		{"CategoryIDs/Empty", cq{CategoryIDs: []string{""}}, []string{}},
		{"CategoryIDs/EmptyOrLeaf", cq{CategoryIDs: []string{"", "b1"}}, []string{"c06"}},
		{"CategoryIDs/Root", cq{CategoryIDs: []string{"a"}}, []string{"c08", "c04", "c01"}},
		{"CategoryIDs/Middle", cq{CategoryIDs: []string{"a1"}}, []string{"c04", "c01"}},
		{"CategoryIDs/Leaves", cq{CategoryIDs: []string{"a1x", "b1"}}, []string{"c06", "c01"}},
		{"CategoryIDs/RootAndMiddle", cq{CategoryIDs: []string{"a1", "a"}}, []string{"c08", "c04", "c01"}},
		{"ClassificationIDs", cq{ClassificationIDs: []string{"cl-spam"}}, []string{"c07", "c03"}},
		{"ConnectionIDs", cq{ConnectionIDs: []string{"cz2"}}, []string{"c07", "c04"}},
		{"ConnectionIDs/Two", cq{ConnectionIDs: []string{"cz2", "ct1"}}, []string{"c08", "c07", "c05", "c04", "c03"}},
		{"ConnectionIDs/OtherWorkspace", cq{ConnectionIDs: []string{"cz9"}}, []string{}},
		{"ContactIDs", cq{ContactIDs: []string{"k1"}}, []string{"c05", "c01"}},
		{"ContactIDs/Two", cq{ContactIDs: []string{"k1", "k6"}}, []string{"c07", "c05", "c01"}},
		{"AwaitingClaim", cq{AwaitingClaim: true}, []string{"c05", "c02"}},
		{"Search/Lower", cq{Search: "nguyễn"}, []string{"c05", "c01"}},
		{"Search/Upper", cq{Search: "NGUYỄN VĂN"}, []string{"c05", "c01"}},
		{"Search/UpperStored", cq{Search: "long"}, []string{"c06"}},
		{"Search/Substring", cq{Search: "anh"}, []string{"c08", "c04"}},
		{"Search/NoMatch", cq{Search: "xyz"}, []string{}},
		{"SearchDigits", cq{SearchDigits: "8491234"}, []string{"c05", "c01"}},
		{"SearchDigits/CountryCode", cq{SearchDigits: "1415555"}, []string{"c06"}},
		{"SearchOrDigits", cq{Search: "xyz", SearchDigits: "8498765"}, []string{"c02"}},
		{"SearchOrDigits/Both", cq{Search: "đỗ", SearchDigits: "84900000001"}, []string{"c08", "c07"}},
		{"Combined/OpenZaloUnassigned", cq{Statuses: []model.ConversationStatus{open},
			ChannelKinds: []model.Kind{kindZalo}, AssigneeIDs: []string{model.Unassigned}}, []string{"c02"}},
		{"Combined/TeamUnread", cq{TeamIDs: []string{"t1"}, ReadState: model.ReadUnread, ViewerID: "u1"}, []string{"c08", "c04"}},
		{"Combined/CategoryClassOpen", cq{CategoryIDs: []string{"a"}, ClassificationIDs: []string{"cl-sale"},
			Statuses: []model.ConversationStatus{open}}, []string{"c04", "c01"}},
		{"Combined/ContactChannel", cq{ContactIDs: []string{"k1"}, ChannelKinds: []model.Kind{kindTikTok}}, []string{"c05"}},
		{"Combined/SearchAwaiting", cq{Search: "nguyễn", AwaitingClaim: true}, []string{"c05"}},
		{"Combined/DigitsAssignee", cq{SearchDigits: "849", AssigneeIDs: []string{"u1"}}, []string{"c08", "c01"}},
		{"Combined/Empty", cq{Statuses: []model.ConversationStatus{done}, AssigneeIDs: []string{"u1"}}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.WorkspaceID = ws1
			got := listConversations(t, s, q)
			assert.Equal(t, tc.want, conversationIDs(got))
			for _, c := range got {
				assert.Equal(t, ws1, c.WorkspaceID)
			}
		})
	}
	t.Run("OtherWorkspace", func(t *testing.T) {
		got := listConversations(t, s, cq{WorkspaceID: ws2, AssigneeIDs: []string{"u1"}})
		assert.Equal(t, []string{"c99"}, conversationIDs(got))
		got = listConversations(t, s, cq{WorkspaceID: ws2, ReadState: model.ReadRead, ViewerID: "u1"})
		assert.Equal(t, []string{"c02"}, conversationIDs(got), "u1's read state of ws2's c02 counts in ws2")
		assert.Empty(t, listConversations(t, s, cq{WorkspaceID: "ws-none"}))
	})
}

// testQueryFullRows checks that listed rows carry every field, as Get returns them.
func testQueryFullRows(t *testing.T, s store.Store) {
	c := fullConversation(ws1, "conv-1")
	insertConversations(t, s, c)
	got := listConversations(t, s, cq{WorkspaceID: ws1})
	if assert.Len(t, got, 1) {
		same(t, c, got[0])
	}
}

// testQueryTeamMembers checks the team filter's rule: a conversation matches team T when its
// TeamID is T, or when it has no team and its assignee is one of T's members (Team.MemberIDs, read
// from the query's workspace when the query runs). The query data set's conversations without a
// team are c02 and c06 (unassigned) and c07 (assigned to u3).
func testQueryTeamMembers(t *testing.T, s store.Store) {
	seedQueryData(t, s)
	putTeams := func(teams ...*model.Team) {
		update(t, s, func(tx store.Tx) error {
			for _, tm := range teams {
				if err := tx.PutTeam(tm); err != nil {
					return err
				}
			}
			return nil
		})
	}
	team := func(ws, id string, members ...string) *model.Team {
		return &model.Team{WorkspaceID: ws, ID: id, Name: id, MemberIDs: members, Method: model.MethodRoundRobin}
	}
	putTeams(team(ws1, "t1", "u3"), team(ws1, "t2", "u1", "u9"), team(ws1, "t3", "u2", "u3"),
		team(ws1, "t6", ""), team(ws1, "t7"),
		// ws2's teams must not lend their members to ws1's queries.
		team(ws2, "t5", "u3"), team(ws2, "t2", "u3"))
	open, done := model.StatusOpen, model.StatusDone
	cases := []struct {
		name string
		q    cq
		want []string
	}{
		// c01 c04 c08 carry t1; c07 has no team and u3 is a member.
		{"OwnAndMembers", cq{TeamIDs: []string{"t1"}}, []string{"c08", "c07", "c04", "c01"}},
		// u1 is a member of t2, but c01 and c08 belong to t1: a conversation's own team wins.
		{"OtherTeamNotTaken", cq{TeamIDs: []string{"t2"}}, []string{"c05", "c03"}},
		{"MembersOnly", cq{TeamIDs: []string{"t3"}}, []string{"c07"}},
		{"Two", cq{TeamIDs: []string{"t1", "t3"}}, []string{"c08", "c07", "c04", "c01"}},
		{"TwoDisjoint", cq{TeamIDs: []string{"t1", "t2"}}, []string{"c08", "c07", "c05", "c04", "c03", "c01"}},
		{"OrNone", cq{TeamIDs: []string{"t1", ""}}, []string{"c08", "c07", "c06", "c04", "c02", "c01"}},
		{"NoneStaysNoTeam", cq{TeamIDs: []string{""}}, []string{"c07", "c06", "c02"}},
		{"EmptyMemberIsNotUnassigned", cq{TeamIDs: []string{"t6"}}, []string{}},
		{"NoMembers", cq{TeamIDs: []string{"t7"}}, []string{}},
		{"UnknownTeam", cq{TeamIDs: []string{"t-none"}}, []string{}},
		{"OtherWorkspaceTeam", cq{TeamIDs: []string{"t5"}}, []string{}},
		{"Status", cq{TeamIDs: []string{"t1"}, Statuses: []model.ConversationStatus{open}}, []string{"c08", "c07", "c04", "c01"}},
		{"StatusNone", cq{TeamIDs: []string{"t3"}, Statuses: []model.ConversationStatus{done}}, []string{}},
		{"Assignee", cq{TeamIDs: []string{"t1"}, AssigneeIDs: []string{"u3", "u2"}}, []string{"c07", "c04"}},
		{"Channel", cq{TeamIDs: []string{"t1"}, ChannelKinds: []model.Kind{kindZalo}}, []string{"c07", "c04", "c01"}},
		{"Classification", cq{TeamIDs: []string{"t1"}, ClassificationIDs: []string{"cl-spam"}}, []string{"c07"}},
		{"Category", cq{TeamIDs: []string{"t1"}, CategoryIDs: []string{"a1"}}, []string{"c04", "c01"}},
		{"Connection", cq{TeamIDs: []string{"t1"}, ConnectionIDs: []string{"cz2"}}, []string{"c07", "c04"}},
		{"Unread", cq{TeamIDs: []string{"t1"}, ReadState: model.ReadUnread, ViewerID: "u1"}, []string{"c08", "c07", "c04"}},
		{"Read", cq{TeamIDs: []string{"t1"}, ReadState: model.ReadRead, ViewerID: "u1"}, []string{"c01"}},
		{"Search", cq{TeamIDs: []string{"t1"}, Search: "đỗ"}, []string{"c07"}},
		{"SearchDigits", cq{TeamIDs: []string{"t1"}, SearchDigits: "849"}, []string{"c08", "c01"}},
		{"AwaitingClaim", cq{TeamIDs: []string{"t2"}, AwaitingClaim: true}, []string{"c05"}},
		{"Page", cq{TeamIDs: []string{"t1"}, Limit: 2}, []string{"c08", "c07"}},
		{"After", cq{TeamIDs: []string{"t1"}, After: &model.Cursor{LastMessageAt: at(6 * time.Minute), ConversationID: "c07"}},
			[]string{"c04", "c01"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.WorkspaceID = ws1
			assert.Equal(t, tc.want, conversationIDs(listConversations(t, s, q)))
		})
	}
	t.Run("CountUnread", func(t *testing.T) {
		assert.Equal(t, 3, countUnread(t, s, cq{WorkspaceID: ws1, ViewerID: "u1", TeamIDs: []string{"t1"}}))
		assert.Equal(t, 1, countUnread(t, s, cq{WorkspaceID: ws1, ViewerID: "u1", TeamIDs: []string{"t3"}}))
		assert.Equal(t, 0, countUnread(t, s, cq{WorkspaceID: ws1, ViewerID: "u1", TeamIDs: []string{"t5"}}))
	})
	t.Run("MembershipChanges", func(t *testing.T) {
		putTeams(team(ws1, "t3", "u2"))
		assert.Empty(t, listConversations(t, s, cq{WorkspaceID: ws1, TeamIDs: []string{"t3"}}))
		putTeams(team(ws1, "t2", "u1", "u3"))
		assert.Equal(t, []string{"c07", "c05", "c03"},
			conversationIDs(listConversations(t, s, cq{WorkspaceID: ws1, TeamIDs: []string{"t2"}})))
	})
}

// testQuerySearchFolded checks that search folds case and Vietnamese accents (đ included) on both
// sides, as model.FoldSearch does: typed with or without accents, in any case, a term finds
// the same rows.
func testQuerySearchFolded(t *testing.T, s store.Store) {
	seedQueryData(t, s)
	extra := queryRow{"c09", "cz1", kindZalo, "k8", model.StatusOpen, "", "", nil, "", false, "Trần Thị Bích", "", 1}
	extra2 := queryRow{"c10", "cz1", kindZalo, "k9", model.StatusOpen, "", "", nil, "", false, "ĐẶNG Đức Dũng", "", 1}
	insertConversations(t, s, extra.conversation(ws1, 9), extra2.conversation(ws1, 10))
	cases := []struct {
		search string
		want   []string
	}{
		{"nguyen van", []string{"c05", "c01"}},
		{"Nguyen Van", []string{"c05", "c01"}},
		{"NGUYỄN VĂN", []string{"c05", "c01"}},
		{"Nguyễn Văn", []string{"c05", "c01"}},
		{"nguyễn văn an", []string{"c05", "c01"}},
		{"Nguye\u0302\u0303n", []string{"c05", "c01"}}, // typed decomposed
		{"bich", []string{"c09"}},
		{"tran thi bich", []string{"c09"}},
		{"TRAN", []string{"c09", "c02"}},
		{"binh", []string{"c02"}},
		{"do", []string{"c07"}},
		{"đo", []string{"c07"}},
		{"dung", []string{"c10"}},
		{"dang duc", []string{"c10"}},
		{"đặng đức dũng", []string{"c10"}},
		{"hoang long", []string{"c06"}},
		{"chau", []string{"c03"}},
		{"tuan", []string{"c08"}},
		{"bích", []string{"c09"}},
		{"bịch", []string{"c09"}}, // another accent on the same letters folds alike
		{"xyz", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.search, func(t *testing.T) {
			got := listConversations(t, s, cq{WorkspaceID: ws1, Search: tc.search})
			assert.Equal(t, tc.want, conversationIDs(got))
		})
	}
	t.Run("AfterRename", func(t *testing.T) {
		update(t, s, func(tx store.Tx) error {
			c, err := tx.GetConversation(ws1, "c09")
			if err != nil {
				return err
			}
			c.ContactName = "Lý Thị Ánh"
			return tx.UpdateConversation(c)
		})
		assert.Empty(t, listConversations(t, s, cq{WorkspaceID: ws1, Search: "bich"}))
		assert.Equal(t, []string{"c09"}, conversationIDs(listConversations(t, s, cq{WorkspaceID: ws1, Search: "ly thi anh"})))
	})
}
