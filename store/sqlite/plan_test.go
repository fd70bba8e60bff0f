package sqlite

import (
	"fmt"
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
		plan   *listPlan
	}{
		{"NoFilter", cq{}, "INDEX conversations_list", true, nil},
		{"NoFilter/NextPage", cq{After: cursor}, "INDEX conversations_list", true, nil},
		{"Status", cq{Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen}}, "INDEX conversations_by_status", true, nil},
		{"Status/NextPage", cq{Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen}, After: cursor}, "INDEX conversations_by_status", true, nil},
		{"Channel", cq{ChannelKinds: []omnichannel.Kind{"zalooa"}}, "INDEX conversations_by_channel", true, nil},
		{"Assignee", cq{AssigneeIDs: []string{"u-1"}}, "INDEX conversations_by_assignee", true, nil},
		{"Assignee/NextPage", cq{AssigneeIDs: []string{"u-1"}, After: cursor}, "INDEX conversations_by_assignee", true, nil},
		{"Unassigned", cq{AssigneeIDs: []string{omnichannel.Unassigned}}, "INDEX conversations_by_assignee", true, nil},
		{"Team", cq{TeamIDs: []string{"t-1"}}, "INDEX conversations_by_team", true, nil},
		// Any of three levels: an index of the list in order, the levels tested on each row (or, with
		// statistics, a multi-index OR over the three category indexes and a sort).
		{"Category", cq{CategoryIDs: []string{"cat-1"}}, "INDEX conversations_", false, nil},
		{"Classification", cq{ClassificationIDs: []string{"cls-1"}}, "INDEX conversations_by_classification", true, nil},
		{"Connection", cq{ConnectionIDs: []string{"conn-1"}}, "INDEX conversations_by_connection", true, nil},
		// A contact's few conversations, sorted (the index has no sort key: migration 5).
		{"Contact", cq{ContactIDs: []string{"ct-1"}}, "INDEX conversations_by_contact", false, nil},
		{"AwaitingClaim", cq{AwaitingClaim: true}, "INDEX conversations_awaiting_claim", true, nil},
		{"UnreadForUser", cq{ViewerID: "u-1", ReadState: omnichannel.ReadUnread}, "INDEX conversations_list", true, nil},
		{"UnreadForUser/NextPage", cq{ViewerID: "u-1", ReadState: omnichannel.ReadUnread, After: cursor}, "INDEX conversations_list", true, nil},
		{"Search", cq{Search: "an", SearchDigits: "8491"}, "INDEX conversations_list", true, nil},
		// Category ids found at one level of the path: that level's index, in order.
		{"Category/OneLevel", cq{CategoryIDs: []string{"cat-1-2"}}, "INDEX conversations_by_category2", true,
			&listPlan{categoryLevels: []int{2}}},
		{"Category/OneLevel/NextPage", cq{CategoryIDs: []string{"cat-1"}, After: cursor}, "INDEX conversations_by_category1", true,
			&listPlan{categoryLevels: []int{1}}},
		{"Category/OneLevelWithStatus", cq{CategoryIDs: []string{"cat-1-2-0"},
			Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen}}, "INDEX conversations_by_", true,
			&listPlan{categoryLevels: []int{3}}},
		// A rare search term: the rowids the probe found in the trigram index, then their rows.
		{"Search/Index", cq{Search: "nguyễn văn an", SearchDigits: "8491234"}, "SCAN hits VIRTUAL TABLE", false,
			&listPlan{search: &searchIndex{match: `contact_name_fold : "nguyễn văn an" OR contact_phone_digits : "8491234"`, hits: "[1,5,9]"}}},
		{"Search/Index/Unread", cq{Search: "nguyễn văn an", ViewerID: "u-1", ReadState: omnichannel.ReadUnread},
			"SCAN hits VIRTUAL TABLE", false,
			&listPlan{search: &searchIndex{match: `contact_name_fold : "nguyễn văn an"`, hits: "[1,5,9]"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.WorkspaceID = "ws-1"
			query, args, err := listSQL(q, tc.plan)
			require.NoError(t, err)
			plan := queryPlan(t, s, query, args)
			text := strings.Join(plan, "\n")
			assert.Contains(t, text, tc.index, "plan:\n%s", text)
			if tc.plan != nil && tc.plan.search != nil {
				assert.Regexp(t, `(?m)^SCAN hits VIRTUAL TABLE`, text, "the probe's rowids drive:\n%s", text)
				assert.Contains(t, text, "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)", "rows by rowid:\n%s", text)
			}
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
		query, args, err := countUnreadSQL(cq{WorkspaceID: "ws-1", ViewerID: "u-1"}, nil)
		require.NoError(t, err)
		text := strings.Join(queryPlan(t, s, query, args), "\n")
		assert.Contains(t, text, "COVERING INDEX conversations_list", "counted from the index alone:\n%s", text)
	})
	t.Run("CountUnread/Counters", func(t *testing.T) {
		for _, conns := range [][]string{nil, {"conn-1", "conn-2"}} {
			query, args := countersSQL(cq{WorkspaceID: "ws-1", ViewerID: "u-1", ConnectionIDs: conns})
			text := strings.Join(queryPlan(t, s, query, args), "\n")
			assert.Contains(t, text, "SEARCH conversation_counts USING PRIMARY KEY (workspace_id=?", text)
			assert.Contains(t, text, "SEARCH read_counts USING PRIMARY KEY (workspace_id=? AND user_id=?", text)
		}
	})
	t.Run("Probe/Category", func(t *testing.T) {
		query, args := categoryProbeSQL(cq{WorkspaceID: "ws-1", CategoryIDs: []string{"a", "b"}})
		text := strings.Join(queryPlan(t, s, query, args), "\n")
		for level := 1; level <= MaxCategoryDepth; level++ {
			assert.Contains(t, text, fmt.Sprintf("COVERING INDEX conversations_by_category%d (workspace_id=? AND category%d=?)", level, level), text)
		}
	})
	t.Run("Probe/Search", func(t *testing.T) {
		text := strings.Join(queryPlan(t, s, searchProbeSQL, []any{`contact_name_fold : "abc"`, 10}), "\n")
		assert.Contains(t, text, "conversations_search VIRTUAL TABLE INDEX", text)
	})
	t.Run("Messages", func(t *testing.T) {
		text := strings.Join(queryPlan(t, s, `SELECT `+messageColumns+` FROM messages
			WHERE workspace_id = ? AND conversation_id = ? ORDER BY seq DESC, id DESC LIMIT ?`, []any{"ws-1", "c", 50}), "\n")
		assert.Contains(t, text, "INDEX messages_thread", text)
	})
}

// TestSparseListIndexesArePartial checks that the list indexes of the team, category and
// classification filters hold only rows with a value (migration 5), so that a message to a
// conversation without them re-keys none of those indexes, and that the list query of each of
// those filters still reads its index in order (the implied non-empty test is in the query).
func TestSparseListIndexesArePartial(t *testing.T) {
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "db")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	indexes := map[string]string{
		"conversations_by_team":           "team_id",
		"conversations_by_category1":      "category1",
		"conversations_by_category2":      "category2",
		"conversations_by_category3":      "category3",
		"conversations_by_classification": "classification_id",
	}
	for name, column := range indexes {
		var ddl string
		require.NoError(t, s.writer.conn.QueryRowContext(t.Context(),
			"SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", name).Scan(&ddl))
		assert.True(t, strings.HasSuffix(ddl, "WHERE "+nonEmpty(column)), "%s: %s", name, ddl)
	}
	type cq = omnichannel.ConversationQuery
	for _, q := range []cq{
		{TeamIDs: []string{"t-1"}},
		{ClassificationIDs: []string{"cls-1"}},
		{CategoryIDs: []string{"cat-1"}},
	} {
		q.WorkspaceID = "ws-1"
		query, args, err := listSQL(q, &listPlan{categoryLevels: []int{2}})
		require.NoError(t, err)
		text := strings.Join(queryPlan(t, s, query, args), "\n")
		assert.Regexp(t, `INDEX conversations_by_(team|classification|category2)`, text)
		assert.NotContains(t, text, "TEMP B-TREE", text)
	}
	// An empty value asks for the rows without one: the partial index cannot serve it, and the
	// query does not claim it can.
	query, _, err := listSQL(cq{WorkspaceID: "ws-1", TeamIDs: []string{""}}, nil)
	require.NoError(t, err)
	assert.NotContains(t, query, nonEmpty("c.team_id"))
}
