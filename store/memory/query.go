package memory

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/omnichannel"
)

// Page sizes of ListConversations.
const (
	// DefaultPageSize is used when ConversationQuery.Limit ≤ 0.
	DefaultPageSize = 50
	// MaxPageSize caps ConversationQuery.Limit.
	MaxPageSize = 500
)

// ListConversations returns one page of q's filter, newest LastMessageAt first, ties by id
// descending, starting strictly after q.After.
func (t *txn) ListConversations(q omnichannel.ConversationQuery) ([]*omnichannel.Conversation, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	f, err := t.newFilter(q)
	if err != nil {
		return nil, err
	}
	var rows []*omnichannel.Conversation
	for _, c := range f.w.conversations {
		if q.After != nil && !before(c, q.After) {
			continue
		}
		if f.match(c) && f.readMatch(c, q.ReadState) {
			rows = append(rows, c)
		}
	}
	slices.SortFunc(rows, func(a, b *omnichannel.Conversation) int {
		if c := b.LastMessageAt.Compare(a.LastMessageAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	if len(rows) > limit {
		rows = rows[:limit]
	}
	return cloneAll(rows, (*omnichannel.Conversation).Clone), nil
}

// CountUnread counts the conversations of q's filter that q.ViewerID has not read; q.ReadState and the
// paging fields are ignored.
func (t *txn) CountUnread(q omnichannel.ConversationQuery) (int, error) {
	if err := t.readable(); err != nil {
		return 0, err
	}
	q.ReadState, q.After, q.Limit = omnichannel.ReadAny, nil, 0
	f, err := t.newFilter(q)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range f.w.conversations {
		if f.match(c) && f.unread(c) {
			n++
		}
	}
	return n, nil
}

// before reports whether c sorts after the cursor in the list order (newest first, then id
// descending), that is, whether it belongs to a page that continues after cur.
func before(c *omnichannel.Conversation, cur *omnichannel.Cursor) bool {
	if c.LastMessageAt.Equal(cur.LastMessageAt) {
		return c.ID < cur.ConversationID
	}
	return c.LastMessageAt.Before(cur.LastMessageAt)
}

// filter is a ConversationQuery compiled for one workspace.
type filter struct {
	q      omnichannel.ConversationQuery
	w      *workspace
	search string
	// members are the members of q's teams: their conversations without a team match the filter.
	members map[string]bool
}

func (t *txn) newFilter(q omnichannel.ConversationQuery) (*filter, error) {
	switch q.ReadState {
	case omnichannel.ReadAny, omnichannel.ReadUnread, omnichannel.ReadRead:
	default:
		return nil, fmt.Errorf("memory: unknown read filter %q: %w", q.ReadState, omnichannel.ErrInvalid)
	}
	f := &filter{q: q, w: t.ws(q.WorkspaceID), search: omnichannel.FoldSearch(q.Search), members: map[string]bool{}}
	if len(q.TeamIDs) > 0 {
		for _, m := range model.TeamMembers(slices.Collect(maps.Values(f.w.teams)), q.TeamIDs) {
			f.members[m] = true
		}
	}
	return f, nil
}

// matchTeam applies the team filter: a conversation of one of the teams, or one without a team
// whose assignee is a member of one of them.
func (f *filter) matchTeam(c *omnichannel.Conversation) bool {
	return slices.Contains(f.q.TeamIDs, c.TeamID) || c.TeamID == "" && f.members[c.AssigneeID]
}

// match applies every field of the query except ReadState and paging.
func (f *filter) match(c *omnichannel.Conversation) bool {
	q := f.q
	switch {
	case len(q.ChannelKinds) > 0 && !slices.Contains(q.ChannelKinds, c.ChannelKind),
		len(q.Statuses) > 0 && !slices.Contains(q.Statuses, c.Status),
		len(q.AssigneeIDs) > 0 && !matchAssignee(q.AssigneeIDs, c.AssigneeID),
		len(q.TeamIDs) > 0 && !f.matchTeam(c),
		len(q.CategoryIDs) > 0 && !slices.ContainsFunc(c.CategoryPath, func(id string) bool {
			return slices.Contains(q.CategoryIDs, id)
		}),
		len(q.ClassificationIDs) > 0 && !slices.Contains(q.ClassificationIDs, c.ClassificationID),
		len(q.ConnectionIDs) > 0 && !slices.Contains(q.ConnectionIDs, c.ConnectionID),
		len(q.ContactIDs) > 0 && !slices.Contains(q.ContactIDs, c.ContactID),
		q.AwaitingClaim && !c.AwaitingClaim:
		return false
	}
	if q.Search == "" && q.SearchDigits == "" {
		return true
	}
	return (q.Search != "" && strings.Contains(omnichannel.FoldSearch(c.ContactName), f.search)) ||
		(q.SearchDigits != "" && strings.Contains(strings.TrimPrefix(c.ContactPhone, "+"), q.SearchDigits))
}

func matchAssignee(ids []string, assignee string) bool {
	if assignee == "" {
		return slices.Contains(ids, omnichannel.Unassigned)
	}
	return slices.Contains(ids, assignee)
}

func (f *filter) readMatch(c *omnichannel.Conversation, rf omnichannel.ReadFilter) bool {
	switch rf {
	case omnichannel.ReadUnread:
		return f.unread(c)
	case omnichannel.ReadRead:
		return !f.unread(c)
	}
	return true
}

// unread reports whether the viewer has not read every inbound message of c.
func (f *filter) unread(c *omnichannel.Conversation) bool {
	var read int64
	if r, ok := f.w.readStates[pair{f.q.ViewerID, c.ID}]; ok {
		read = r.InboundCount
	}
	return c.InboundCount > read
}
