package sqlite

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// The team filter matches a conversation of one of the teams (team_id) and a conversation without
// a team whose assignee is a member of one of them (omnichannel.ConversationQuery.TeamIDs): a
// round-robin rule assigns a user and leaves the team empty. The members are read first (teams by
// primary key, teamMembers), so the query compares plain columns:
//
//	(team_id IN (teams) AND team_id <> '') OR (team_id = '' AND assignee_id IN (members))
//
// As one condition, that OR can only be answered in list order by walking the whole list (or by
// fetching every match of both indexes and sorting). A page is instead the merge of ordered range
// reads (teamListSQL): each team's rows in conversations_by_team, and each member's rows in
// conversations_by_assignee, tested for an empty team. The reads are the arms of one compound
// SELECT ordered like the list, which SQLite runs as a merge of co-routines, each reading its index
// in order and only as far as the merge asks: a page reads about the page size of rows in all, not
// a page per read (with each read's own LIMIT and a sort, a team of ten members read eleven pages:
// 5.3 ms p50 at 1M conversations through the engine; merged as they come, 1.6 ms). The reads are
// disjoint (a row has one team or none, and one assignee), so the merge needs no DISTINCT. The
// count of CountUnread, the "read" list and a search read by the trigram index test the OR on
// their rows.

// maxTeamScans bounds the ordered reads of one team page (teams and members); a filter that
// would need more is tested with the OR on the list's rows.
const maxTeamScans = 64

// teamArm narrows compileFilter's team filter to one of teamListSQL's ordered reads: the
// conversations of team, or those without a team of member.
type teamArm struct {
	team, member string
}

// teamMembers returns the members of q's teams in q's workspace (omnichannel.TeamMembers); nil
// when q has no team filter or asks for the conversations without a team (which include every
// member's conversations without one).
func (t *txn) teamMembers(q omnichannel.ConversationQuery) ([]string, error) {
	if len(q.TeamIDs) == 0 || slices.Contains(q.TeamIDs, "") {
		return nil, nil
	}
	teams, err := t.ListTeams(q.WorkspaceID)
	if err != nil {
		return nil, err
	}
	return omnichannel.TeamMembers(teams, q.TeamIDs), nil
}

// addTeamFilter adds the team filter of q (ids) to f, as plan reads it: the whole rule, or one arm
// of teamListSQL.
func addTeamFilter(f *filterSQL, ids []string, plan *listPlan) {
	switch {
	case plan.teamArm != nil && plan.teamArm.member != "":
		f.add("c.team_id = '' AND c.assignee_id = ?", plan.teamArm.member)
	case plan.teamArm != nil:
		f.inSparse("c.team_id", []string{plan.teamArm.team})
	case len(plan.teamMembers) == 0:
		f.inSparse("c.team_id", ids)
	default:
		f.add("((c.team_id IN ("+placeholders(len(ids))+") AND "+nonEmpty("c.team_id")+") OR (c.team_id = '' AND c.assignee_id IN ("+
			placeholders(len(plan.teamMembers))+")))", append(anys(ids), anys(plan.teamMembers)...)...)
	}
}

// teamScans reports whether ListConversations reads q's page as teamListSQL's merge.
func teamScans(q omnichannel.ConversationQuery, plan *listPlan) bool {
	return plan.search == nil && len(plan.teamMembers) > 0 && len(q.TeamIDs)+len(plan.teamMembers) <= maxTeamScans
}

// teamListSQL is the query of one page of q whose team filter has members (plan.teamMembers): the
// merge of one ordered read per team and one per member, as one compound SELECT.
func teamListSQL(q omnichannel.ConversationQuery, plan *listPlan) (string, []any, error) {
	var reads []teamArm
	for _, team := range slices.Compact(slices.Sorted(slices.Values(q.TeamIDs))) {
		reads = append(reads, teamArm{team: team})
	}
	for _, member := range plan.teamMembers {
		reads = append(reads, teamArm{member: member})
	}
	arms := make([]string, 0, len(reads))
	var args []any
	for _, read := range reads {
		p := *plan
		p.teamArm = &read
		w, err := compileFilter(q, true, &p)
		if err != nil {
			return "", nil, err
		}
		arms = append(arms, `SELECT `+conversationColumnsC+` FROM `+w.from+` WHERE `+w.where())
		args = append(args, w.args...)
	}
	return strings.Join(arms, " UNION ALL ") + mergeOrder + ` LIMIT ?`, append(args, pageSize(q)), nil
}

// mergeOrder is the list order of teamListSQL's compound, by column position: SQLite matches the
// names of a compound's ORDER BY with its result columns only where no join hides them.
var mergeOrder = fmt.Sprintf(" ORDER BY %d DESC, %d DESC", columnPosition("last_message_at"), columnPosition("id"))

// columnPosition is the position (from 1) of name in conversationColumns.
func columnPosition(name string) int {
	return slices.Index(strings.Split(strings.Join(strings.Fields(conversationColumns), ""), ","), name) + 1
}
