package sqlite

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// TestTeamListPlan checks with EXPLAIN QUERY PLAN that a team page whose team has members is the
// merge of ordered reads: the team's rows in conversations_by_team and each member's in
// conversations_by_assignee, each in list order, merged as they come with no sort.
func TestTeamListPlan(t *testing.T) {
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "db")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	type cq = omnichannel.ConversationQuery
	plan := &listPlan{teamMembers: []string{"u-1", "u-2", "u-3"}}
	for name, q := range map[string]cq{
		"First":  {TeamIDs: []string{"t-1"}},
		"Next":   {TeamIDs: []string{"t-1"}, After: &omnichannel.Cursor{ConversationID: "c-9"}},
		"Two":    {TeamIDs: []string{"t-1", "t-2"}},
		"Unread": {TeamIDs: []string{"t-1"}, ViewerID: "u-1", ReadState: omnichannel.ReadUnread},
	} {
		t.Run(name, func(t *testing.T) {
			q.WorkspaceID = "ws-1"
			require.True(t, teamScans(q, plan))
			query, args, err := teamListSQL(q, plan)
			require.NoError(t, err)
			text := strings.Join(queryPlan(t, s, query, args), "\n")
			assert.Equal(t, len(q.TeamIDs), strings.Count(text, "INDEX conversations_by_team (workspace_id=? AND team_id=?"), text)
			assert.Equal(t, 3, strings.Count(text, "INDEX conversations_by_assignee (workspace_id=? AND assignee_id=?"), text)
			// SQLite merges the reads as they come (MERGE (UNION ALL)), in list order: no sort.
			assert.Contains(t, text, "MERGE (UNION ALL)", text)
			assert.NotContains(t, text, "TEMP B-TREE", "a read is sorted:\n%s", text)
			assert.NotContains(t, text, "SCAN c", "no walk of the list:\n%s", text)
		})
	}
	t.Run("Count", func(t *testing.T) {
		query, args, err := countUnreadSQL(cq{WorkspaceID: "ws-1", ViewerID: "u-1", TeamIDs: []string{"t-1"}}, plan)
		require.NoError(t, err)
		text := strings.Join(queryPlan(t, s, query, args), "\n")
		assert.NotContains(t, text, "SCAN c", "no walk of the whole list:\n%s", text)
	})
}
