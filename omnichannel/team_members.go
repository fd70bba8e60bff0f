package omnichannel

import "slices"

// TeamMembers returns the members (Team.MemberIDs) of the teams among teams whose id is in
// teamIDs, sorted, each once, without empty ids. A store uses it for the team filter of
// ConversationQuery.TeamIDs, which also matches the conversations without a team of these users.
func TeamMembers(teams []*Team, teamIDs []string) []string {
	var members []string
	for _, t := range teams {
		if slices.Contains(teamIDs, t.ID) {
			members = append(members, t.MemberIDs...)
		}
	}
	members = slices.DeleteFunc(members, func(id string) bool { return id == "" })
	slices.Sort(members)
	return slices.Compact(members)
}
