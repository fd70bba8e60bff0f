package omnichannel

import "testing"

func TestSumCounts(t *testing.T) {
	counts := map[string]int{"a": 2, "b": 3, "deleted": 5}
	for _, c := range []struct {
		ids  []string
		want int
	}{
		{nil, 10},                    // every connection, deleted ones included
		{[]string{"a"}, 2},           // one
		{[]string{"a", "a", "b"}, 5}, // each once
		{[]string{"nope", "b"}, 3},   // unknown ids count nothing
		{[]string{"nope"}, 0},
	} {
		if got := sumCounts(counts, c.ids); got != c.want {
			t.Errorf("sumCounts(%v) = %d, want %d", c.ids, got, c.want)
		}
	}
}

func TestCountableByConnection(t *testing.T) {
	base := ConversationQuery{WorkspaceID: "w", ConnectionIDs: []string{"c"}}
	if !countableByConnection(base) {
		t.Fatal("a query of connections only is countable")
	}
	unread := base
	unread.ReadState = ReadUnread
	if !countableByConnection(unread) {
		t.Fatal("the unread filter does not change an unread count")
	}
	for name, q := range map[string]ConversationQuery{
		"kind":     {WorkspaceID: "w", ChannelKinds: []Kind{"zalo"}},
		"status":   {WorkspaceID: "w", Statuses: []ConversationStatus{StatusOpen}},
		"assignee": {WorkspaceID: "w", AssigneeIDs: []string{"u"}},
		"team":     {WorkspaceID: "w", TeamIDs: []string{"t"}},
		"category": {WorkspaceID: "w", CategoryIDs: []string{"c"}},
		"class":    {WorkspaceID: "w", ClassificationIDs: []string{"c"}},
		"contact":  {WorkspaceID: "w", ContactIDs: []string{"c"}},
		"awaiting": {WorkspaceID: "w", AwaitingClaim: true},
		"search":   {WorkspaceID: "w", Search: "Lan"},
		"read":     {WorkspaceID: "w", ReadState: ReadRead},
	} {
		if countableByConnection(q) {
			t.Errorf("%s: a filtered query is not a sum of per-connection counts", name)
		}
	}
}
