package storetest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dakenh/dakenh/omnichannel"
)

type cq = omnichannel.ConversationQuery

func queryTests() []test {
	return []test{
		{"Filters", testQueryFilters},
		{"ReturnsFullRows", testQueryFullRows},
	}
}

// testQueryFilters checks every ConversationQuery field alone and some combinations against the
// query data set (see querydata.go).
func testQueryFilters(t *testing.T, s omnichannel.Store) {
	seedQueryData(t, s)
	open, done := omnichannel.StatusOpen, omnichannel.StatusDone
	cases := []struct {
		name string
		q    cq
		want []string
	}{
		{"NoFilter", cq{}, []string{"c08", "c07", "c06", "c05", "c04", "c03", "c02", "c01"}},
		{"ChannelKinds/One", cq{ChannelKinds: []omnichannel.Kind{kindTikTok}}, []string{"c08", "c05", "c03"}},
		{"ChannelKinds/Both", cq{ChannelKinds: []omnichannel.Kind{kindZalo, kindTikTok}}, []string{"c08", "c07", "c06", "c05", "c04", "c03", "c02", "c01"}},
		{"ChannelKinds/Unknown", cq{ChannelKinds: []omnichannel.Kind{"messenger"}}, []string{}},
		{"Statuses/Done", cq{Statuses: []omnichannel.ConversationStatus{done}}, []string{"c06", "c03"}},
		{"Statuses/Open", cq{Statuses: []omnichannel.ConversationStatus{open}}, []string{"c08", "c07", "c05", "c04", "c02", "c01"}},
		{"ReadState/UnreadU1", cq{ReadState: omnichannel.ReadUnread, ViewerID: "u1"}, []string{"c08", "c07", "c04", "c02"}},
		{"ReadState/ReadU1", cq{ReadState: omnichannel.ReadRead, ViewerID: "u1"}, []string{"c06", "c05", "c03", "c01"}},
		{"ReadState/UnreadU2", cq{ReadState: omnichannel.ReadUnread, ViewerID: "u2"}, []string{"c08", "c07", "c05", "c02", "c01"}},
		{"ReadState/UnreadNoReadStates", cq{ReadState: omnichannel.ReadUnread, ViewerID: "u3"}, []string{"c08", "c07", "c05", "c04", "c02", "c01"}},
		{"ReadState/ReadNoReadStates", cq{ReadState: omnichannel.ReadRead, ViewerID: "u3"}, []string{"c06", "c03"}},
		{"ReadState/AnyIgnoresViewer", cq{ReadState: omnichannel.ReadAny, ViewerID: "u1"}, []string{"c08", "c07", "c06", "c05", "c04", "c03", "c02", "c01"}},
		{"AssigneeIDs/One", cq{AssigneeIDs: []string{"u1"}}, []string{"c08", "c01"}},
		{"AssigneeIDs/Unassigned", cq{AssigneeIDs: []string{omnichannel.Unassigned}}, []string{"c06", "c05", "c02"}},
		{"AssigneeIDs/UserOrUnassigned", cq{AssigneeIDs: []string{"u2", omnichannel.Unassigned}}, []string{"c06", "c05", "c04", "c03", "c02"}},
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
		{"Combined/OpenZaloUnassigned", cq{Statuses: []omnichannel.ConversationStatus{open},
			ChannelKinds: []omnichannel.Kind{kindZalo}, AssigneeIDs: []string{omnichannel.Unassigned}}, []string{"c02"}},
		{"Combined/TeamUnread", cq{TeamIDs: []string{"t1"}, ReadState: omnichannel.ReadUnread, ViewerID: "u1"}, []string{"c08", "c04"}},
		{"Combined/CategoryClassOpen", cq{CategoryIDs: []string{"a"}, ClassificationIDs: []string{"cl-sale"},
			Statuses: []omnichannel.ConversationStatus{open}}, []string{"c04", "c01"}},
		{"Combined/ContactChannel", cq{ContactIDs: []string{"k1"}, ChannelKinds: []omnichannel.Kind{kindTikTok}}, []string{"c05"}},
		{"Combined/SearchAwaiting", cq{Search: "nguyễn", AwaitingClaim: true}, []string{"c05"}},
		{"Combined/DigitsAssignee", cq{SearchDigits: "849", AssigneeIDs: []string{"u1"}}, []string{"c08", "c01"}},
		{"Combined/Empty", cq{Statuses: []omnichannel.ConversationStatus{done}, AssigneeIDs: []string{"u1"}}, []string{}},
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
		got = listConversations(t, s, cq{WorkspaceID: ws2, ReadState: omnichannel.ReadRead, ViewerID: "u1"})
		assert.Equal(t, []string{"c02"}, conversationIDs(got), "u1's read state of ws2's c02 counts in ws2")
		assert.Empty(t, listConversations(t, s, cq{WorkspaceID: "ws-none"}))
	})
}

// testQueryFullRows checks that listed rows carry every field, as Get returns them.
func testQueryFullRows(t *testing.T, s omnichannel.Store) {
	c := fullConversation(ws1, "conv-1")
	insertConversations(t, s, c)
	got := listConversations(t, s, cq{WorkspaceID: ws1})
	if assert.Len(t, got, 1) {
		same(t, c, got[0])
	}
}
