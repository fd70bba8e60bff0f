package sqlite

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// TestReadListUsesReadStates checks the plan of the "read" filter (readlist.go): the viewer's read
// states are read in list order from read_states_by_time (no sort of them), each conversation is
// found by its key, and the conversations without customer messages come from their partial index;
// only the two parts' pages are sorted for their merge. Never a scan of conversations.
func TestReadListUsesReadStates(t *testing.T) {
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "db")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })

	type cq = omnichannel.ConversationQuery
	cursor := &omnichannel.Cursor{ConversationID: "c-9"}
	for name, q := range map[string]cq{
		"Read":          {},
		"Read/NextPage": {After: cursor},
		"Read/OpenTeam": {Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen}, TeamIDs: []string{"t-1"}},
		"Read/Category": {CategoryIDs: []string{"cat-1"}, After: cursor},
	} {
		t.Run(name, func(t *testing.T) {
			q.WorkspaceID, q.ViewerID, q.ReadState = "ws-1", "u-1", omnichannel.ReadRead
			query, args, err := readListSQL(q, &listPlan{})
			require.NoError(t, err)
			plan := queryPlan(t, s, query, args)
			text := strings.Join(plan, "\n")
			if q.After != nil {
				assert.Contains(t, text, "SEARCH r USING INDEX read_states_by_time (workspace_id=? AND user_id=? AND (last_message_at,conversation_id)<(?,?))", text)
			} else {
				assert.Contains(t, text, "SEARCH r USING INDEX read_states_by_time (workspace_id=? AND user_id=?)", text)
			}
			assert.Contains(t, text, "SEARCH c USING INDEX sqlite_autoindex_conversations_1 (workspace_id=? AND id=?)", text)
			assert.Contains(t, text, "SEARCH c USING INDEX conversations_no_inbound (workspace_id=?", text)
			assert.Contains(t, text, "SEARCH r USING PRIMARY KEY (workspace_id=? AND user_id=? AND conversation_id=?)", text)
			for i, line := range plan {
				assert.NotRegexp(t, `^SCAN (c|r)\b`, line, "a full scan:\n%s", text)
				if strings.Contains(line, "TEMP B-TREE") {
					// Only the two parts' results (a page each) are sorted, for the merge.
					assert.Regexp(t, `^SCAN \(subquery-\d+\)$`, plan[i-1], "a sort of more than a page:\n%s", text)
				}
			}
		})
	}
}
