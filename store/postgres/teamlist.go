package postgres

import (
	"slices"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
)

// The team filter matches a conversation of one of the teams (team_id) and a conversation without
// a team whose assignee is a member of one of them (omnichannel.ConversationQuery.TeamIDs): a
// round-robin rule assigns a user and leaves the team empty. As a condition on the rows
// (buildFilter: the members read from the teams' documents by a subquery), that OR can only be
// answered in list order by walking the list, or by fetching every match and sorting. A page of a
// team filter is instead the merge of ordered range scans that each stop at the page size, as for
// the category filter: one per team (conversations_team) and one per member, for that member's
// conversations without a team (conversations_assignee). The members are
// read first (ListTeams: the workspace's few teams, one round trip). The scans are disjoint (a row
// has one team or none, and one assignee), so the merge needs no DISTINCT. The count of
// CountUnread, the "read" list and a search test the condition on their rows.

// maxTeamScans bounds the ordered scans of one team page (teams and members); a filter that would
// need more tests the condition on the list's rows.
const maxTeamScans = 64

// teamMembersSQL is the subquery of the members of the teams teams (an argument reference) of the
// workspace ws (an argument reference), without empty ids.
func teamMembersSQL(ws, teams string) string {
	return `SELECT m.id FROM teams t CROSS JOIN LATERAL jsonb_array_elements_text(CASE jsonb_typeof(t.doc->'MemberIDs')
		WHEN 'array' THEN t.doc->'MemberIDs' ELSE '[]'::jsonb END) AS m(id)
		WHERE t.workspace_id = ` + ws + ` AND t.id = ANY(` + teams + `) AND m.id <> ''`
}

// teamScanMembers reports whether a page of q is read as the merge of ordered scans (see above),
// and returns the members whose scans it merges with the teams'. It is not when q has no team
// filter, asks for the conversations without a team (which include every member's: the filter is
// then team_id alone), is read by another plan (the "read" list, a search, the category scans),
// or would need too many scans.
func (t *txn) teamScanMembers(q omnichannel.ConversationQuery) (members []string, ok bool, err error) {
	if len(q.TeamIDs) == 0 || slices.Contains(q.TeamIDs, "") || q.ReadState == omnichannel.ReadRead ||
		searchIndexable(q) || categoryScans(q) {
		return nil, false, nil
	}
	teams, err := t.ListTeams(q.WorkspaceID)
	if err != nil {
		return nil, false, err
	}
	members = model.TeamMembers(teams, q.TeamIDs)
	return members, len(q.TeamIDs)+len(members) <= maxTeamScans, nil
}

// teamListSQL is the query of one page of q as the merge of one ordered scan per team and one per
// member of members (teams without members: one per team).
func teamListSQL(q omnichannel.ConversationQuery, members []string) (string, []any, error) {
	teams := slices.Compact(slices.Sorted(slices.Values(q.TeamIDs)))
	q.TeamIDs = nil
	return mergedScansSQL(q, false, func(w *filterSQL) []string {
		var conds []string
		for _, team := range teams {
			conds = append(conds, "c.team_id = "+w.arg(team))
		}
		for _, m := range members {
			conds = append(conds, "c.team_id = '' AND c.assignee_id = "+w.arg(m))
		}
		return conds
	})
}
