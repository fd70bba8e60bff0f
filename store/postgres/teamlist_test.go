package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

// TestTeamListPlan checks the plan of a team page whose team has members: ordered range scans of
// the team (conversations_team) and of each member (conversations_assignee), merged, with no
// sequential scan and no sort of the matching rows.
func TestTeamListPlan(t *testing.T) {
	schema := newSchema(t)
	s := openStore(t, schema)
	seedList(t, s, schema, 2, 5000)
	require.NoError(t, s.Update(context.Background(), func(tx omnichannel.Tx) error {
		return tx.PutTeam(&omnichannel.Team{WorkspaceID: "ws-1", ID: "t-2", Name: "Hai", MemberIDs: []string{"u-3", "u-7"}})
	}))
	// As a round-robin rule leaves them: most conversations have an assignee and no team.
	conn, err := pgx.Connect(context.Background(), databaseURL(t))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), `UPDATE `+schema+`.conversations SET team_id = '' WHERE substr(id, 3)::int % 3 <> 0`)
	require.NoError(t, err)
	analyze(t, schema)
	cursor := &omnichannel.Cursor{LastMessageAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), ConversationID: "c-01000"}
	for name, q := range map[string]omnichannel.ConversationQuery{
		"First":      {TeamIDs: []string{"t-2"}},
		"Next":       {TeamIDs: []string{"t-2"}, After: cursor},
		"Unread":     {TeamIDs: []string{"t-2"}, ReadState: omnichannel.ReadUnread, ViewerID: "u-3"},
		"OpenUnread": {TeamIDs: []string{"t-2"}, ReadState: omnichannel.ReadUnread, ViewerID: "u-3", Statuses: []omnichannel.ConversationStatus{omnichannel.StatusOpen}},
		"NoMembers":  {TeamIDs: []string{"t-4"}},
	} {
		t.Run(name, func(t *testing.T) {
			q.WorkspaceID = "ws-1"
			plan, err := postgres.ExplainList(context.Background(), s, q)
			require.NoError(t, err)
			assert.NotContains(t, plan, "Seq Scan on conversations", plan)
			assert.Contains(t, plan, "Index Scan using conversations_team on conversations", plan)
			if q.TeamIDs[0] == "t-2" && len(q.Statuses) == 0 {
				assert.Equal(t, 2, strings.Count(plan, "Index Scan using conversations_assignee on conversations"), plan)
			}
			if len(q.Statuses) == 0 {
				assert.NotContains(t, plan, "Sort  (", "each scan reads in list order:\n%s", plan)
			}
		})
	}
	// The count tests the rule on the rows; the members come from the team's document.
	n := 0
	require.NoError(t, s.View(context.Background(), func(tx omnichannel.Tx) (err error) {
		n, err = tx.CountUnread(omnichannel.ConversationQuery{WorkspaceID: "ws-1", ViewerID: "u-9", TeamIDs: []string{"t-2"}})
		return err
	}))
	var want int
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT count(*) FROM `+schema+`.conversations
		WHERE workspace_id = 'ws-1' AND inbound_count > 0 AND (team_id = 't-2' OR (team_id = '' AND assignee_id IN ('u-3', 'u-7')))`).Scan(&want))
	assert.Equal(t, want, n)
}
