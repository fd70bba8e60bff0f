package sqlite

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// queryPlan returns the EXPLAIN QUERY PLAN lines of query.
func queryPlan(t *testing.T, s *Store, query string, args []any) []string {
	t.Helper()
	rows, err := s.writer.conn.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	return plan
}

// TestListQueriesUseIndexes checks with EXPLAIN QUERY PLAN that the list query of every common filter
// reads conversations through one of the list indexes (never a full scan of the table), and that a
// filter on one value reads its index in list order (no sort), first page and later pages alike.
func TestListQueriesUseIndexes(t *testing.T) {
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "db")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })

	type cq = omnichannel.ConversationQuery
	cursor := &omnichannel.Cursor{ConversationID: "c-9"}
	cases := []struct {
		name   string
		q      cq
		index  string
		sorted bool // read in index order, no temporary B-tree for ORDER BY
	}{
		{"NoFilter", cq{}, "conversations_list", true},
		{"NoFilter/NextPage", cq{After: cursor}, "conversations_list", true},
		{"Status", cq{Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen}}, "conversations_by_status", true},
		{"Status/NextPage", cq{Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen}, After: cursor}, "conversations_by_status", true},
		{"Channel", cq{ChannelKinds: []omnichannel.Kind{"zalooa"}}, "conversations_by_channel", true},
		{"Assignee", cq{AssigneeIDs: []string{"u-1"}}, "conversations_by_assignee", true},
		{"Assignee/NextPage", cq{AssigneeIDs: []string{"u-1"}, After: cursor}, "conversations_by_assignee", true},
		{"Unassigned", cq{AssigneeIDs: []string{omnichannel.Unassigned}}, "conversations_by_assignee", true},
		{"Team", cq{TeamIDs: []string{"t-1"}}, "conversations_by_team", true},
		// Any of three levels: an index of the list in order, the levels tested on each row (or, with
		// statistics, a multi-index OR over the three category indexes and a sort).
		{"Category", cq{CategoryIDs: []string{"cat-1"}}, "conversations_", false},
		{"Classification", cq{ClassificationIDs: []string{"cls-1"}}, "conversations_by_classification", true},
		{"Connection", cq{ConnectionIDs: []string{"conn-1"}}, "conversations_by_connection", true},
		{"Contact", cq{ContactIDs: []string{"ct-1"}}, "conversations_by_contact", true},
		{"AwaitingClaim", cq{AwaitingClaim: true}, "conversations_awaiting_claim", true},
		{"UnreadForUser", cq{ViewerID: "u-1", ReadState: omnichannel.ReadUnread}, "conversations_list", true},
		{"UnreadForUser/NextPage", cq{ViewerID: "u-1", ReadState: omnichannel.ReadUnread, After: cursor}, "conversations_list", true},
		{"Search", cq{Search: "an", SearchDigits: "8491"}, "conversations_list", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.WorkspaceID = "ws-1"
			query, args, err := listSQL(q)
			require.NoError(t, err)
			plan := queryPlan(t, s, query, args)
			text := strings.Join(plan, "\n")
			assert.Contains(t, text, "INDEX "+tc.index, "plan:\n%s", text)
			for _, line := range plan {
				assert.NotRegexp(t, `^SCAN c\b`, line, "a full scan of conversations:\n%s", text)
			}
			if tc.sorted {
				assert.NotContains(t, text, "TEMP B-TREE", "the page needs a sort:\n%s", text)
			}
			if q.ReadState != omnichannel.ReadAny {
				assert.Contains(t, text, "SEARCH r USING PRIMARY KEY", "the read state is found by its key:\n%s", text)
			}
		})
	}
	t.Run("CountUnread", func(t *testing.T) {
		query, args, err := countUnreadSQL(cq{WorkspaceID: "ws-1", ViewerID: "u-1"})
		require.NoError(t, err)
		text := strings.Join(queryPlan(t, s, query, args), "\n")
		assert.Contains(t, text, "COVERING INDEX conversations_list", "counted from the index alone:\n%s", text)
	})
	t.Run("Messages", func(t *testing.T) {
		text := strings.Join(queryPlan(t, s, `SELECT `+messageColumns+` FROM messages
			WHERE workspace_id = ? AND conversation_id = ? ORDER BY seq DESC, id DESC LIMIT ?`, []any{"ws-1", "c", 50}), "\n")
		assert.Contains(t, text, "INDEX messages_thread", text)
	})
}
