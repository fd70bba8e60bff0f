package model

import (
	"slices"
	"time"
)

// ReadFilter restricts a list by the viewing user's read state.
type ReadFilter string

// Read filters.
const (
	ReadAny    ReadFilter = ""
	ReadUnread ReadFilter = "unread"
	ReadRead   ReadFilter = "read"
)

// Unassigned is the AssigneeIDs value that matches conversations without an owner.
const Unassigned = "-"

// ConversationQuery is the filter and page of a conversation list. Empty fields do not
// filter. Within a field the values are alternatives (OR); fields combine with AND.
type ConversationQuery struct {
	WorkspaceID  string
	ChannelKinds []Kind
	Statuses     []ConversationStatus
	// ReadState is evaluated for ViewerID. Engine.ListConversations and CountUnread set ViewerID
	// to their viewer and refuse (ErrInvalid) another value; stores read it as given.
	ReadState ReadFilter
	ViewerID  string
	// AssigneeIDs may contain Unassigned.
	AssigneeIDs []string
	// TeamIDs match the conversations a team handles: a conversation matches team T when its
	// TeamID is T, or when its TeamID is "" and its assignee is a member of T (T's
	// Team.MemberIDs in the query's workspace, as stored when the query runs; User.TeamIDs is not
	// consulted). A round-robin rule assigns a user and leaves TeamID empty, so a team's list
	// shows what its members got from rules as well as what was handed to the team. A
	// conversation with another team's TeamID does not match T, even when its assignee is a member
	// of T. The value "" matches the conversations whose TeamID is "".
	TeamIDs []string
	// CategoryIDs match a conversation whose category path contains any of them (any level).
	CategoryIDs       []string
	ClassificationIDs []string
	ConnectionIDs     []string
	// ContactIDs restricts to some customers (the interaction history of a contact).
	ContactIDs []string
	// AwaitingClaim, when true, lists only conversations waiting for a claim.
	AwaitingClaim bool
	// Search matches a substring of the contact name, ignoring case and accents: the name matches
	// when FoldSearch(Search) is a substring of FoldSearch(name) (lower case, Vietnamese and other
	// diacritics removed, đ as d), so "nguyen van", "NGUYỄN VĂN" and "Nguyễn Văn" find the same
	// rows and "bich" finds "Trần Thị Bích".
	Search string
	// SearchDigits, when set, also matches conversations whose ContactPhone (without "+") contains
	// it. The engine derives it from the user's search text ("0912 345" → "84912345") and refuses
	// (ErrInvalid) a different value given to ListConversations or CountUnread; stores read it as
	// given.
	SearchDigits string
	// After continues after the last row of the previous page (keyset); nil starts at the newest.
	After *Cursor
	// Limit is the page size (the store may cap it; ≤ 0 means 50).
	Limit int
}

// FiltersOnlyByConnection reports whether q selects its workspace's conversations by nothing but
// ConnectionIDs: no channel, status, assignee, team, category, classification, contact, claim or
// search filter. ViewerID, ReadState and the paging fields (After, Limit) do not narrow the set of
// conversations and are not looked at: a caller that counts unread conversations evaluates them
// itself. Stores answer such a query's unread count from per-connection counters, so this is the
// one place that knows which fields are filters: a new filter field of ConversationQuery must be
// added here (storetest's Query/EveryField fails until it is).
func (q ConversationQuery) FiltersOnlyByConnection() bool {
	return len(q.ChannelKinds) == 0 && len(q.Statuses) == 0 && len(q.AssigneeIDs) == 0 && len(q.TeamIDs) == 0 &&
		len(q.CategoryIDs) == 0 && len(q.ClassificationIDs) == 0 && len(q.ContactIDs) == 0 && !q.AwaitingClaim &&
		q.Search == "" && q.SearchDigits == ""
}

// Cursor is a position in the conversation list: the sort key of the last row seen.
type Cursor struct {
	LastMessageAt  time.Time
	ConversationID string
}

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
