package postgres

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

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
// descending, starting strictly after q.After. Each filter is an indexed column that keeps the list
// order (see the migrations), so a page is an index range scan; the "read" filter scans the
// viewer's read states in list order (readlist.go). A search is probed in list order
// first and, when the probe does not fill the page, answered from the trigram indexes (search.go).
// In a View, the viewer's read states of the returned rows are fetched along (one query) and
// answer the GetReadState calls that follow.
func (t *txn) ListConversations(q omnichannel.ConversationQuery) ([]*omnichannel.Conversation, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	var out []*omnichannel.Conversation
	members, teamScans, err := t.teamScanMembers(q)
	if err != nil {
		return nil, err
	}
	if searchIndexable(q) {
		out, err = t.searchConversations(q)
	} else {
		var sql string
		var args []any
		build := listSQL
		switch {
		case q.ReadState == omnichannel.ReadRead:
			build = readListSQL // from the viewer's read states (readlist.go)
		case categoryScans(q):
			build = categoryListSQL // by ordered scans per category level (categorylist.go)
		case teamScans:
			// by ordered scans per team and member (teamlist.go)
			build = func(q omnichannel.ConversationQuery) (string, []any, error) { return teamListSQL(q, members) }
		}
		if sql, args, err = build(q); err != nil {
			return nil, err
		}
		// Planned for these values each time: a list query has many shapes and very skewed values
		// (a deep cursor, a rare category), and a cached generic plan of one shape can be a
		// hundred times slower than the plan for the values at hand (BitmapAnd and sort instead of
		// an ordered index walk). Planning costs a fraction of a millisecond.
		out, err = list(t, "list conversations", sql, scanConversation, append([]any{pgx.QueryExecModeExec}, args...)...)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pageLimit is q's page size, capped.
func pageLimit(q omnichannel.ConversationQuery) int {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	return min(limit, MaxPageSize)
}

// listSQL is the query of one page of q.
func listSQL(q omnichannel.ConversationQuery) (string, []any, error) {
	w, err := listFilter(q, true)
	if err != nil {
		return "", nil, err
	}
	sql := `SELECT ` + qualified("c", conversationColumns) + ` FROM conversations c` +
		` WHERE ` + w.where() + ` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ` + w.arg(pageLimit(q))
	return sql, w.args, nil
}

// listFilter is every condition of a page of q: the filter, the read state and the keyset
// position; the search conditions only when withSearch.
func listFilter(q omnichannel.ConversationQuery, withSearch bool) (*filterSQL, error) {
	if !withSearch {
		q.Search, q.SearchDigits = "", ""
	}
	w, err := buildFilter(q)
	if err != nil {
		return nil, err
	}
	switch q.ReadState {
	case omnichannel.ReadUnread:
		w.add("c.inbound_count > " + w.readCount())
	case omnichannel.ReadRead:
		w.add("c.inbound_count <= " + w.readCount())
	}
	if q.After != nil {
		w.add(fmt.Sprintf("(c.last_message_at, c.id) < (%s, %s)", w.arg(q.After.LastMessageAt), w.arg(q.After.ConversationID)))
	}
	return w, nil
}

// CountUnread counts the conversations of q's filter that q.ViewerID has not read; q.ReadState and
// the paging fields are ignored. The inbox badge — a viewer over a set of connections (or all) and
// no other filter — is read from the maintained counters (unread.go); any other filter counts.
func (t *txn) CountUnread(q omnichannel.ConversationQuery) (int, error) {
	if err := t.readable(); err != nil {
		return 0, err
	}
	q.ReadState, q.After, q.Limit = omnichannel.ReadAny, nil, 0
	if countable(q) {
		return t.countUnreadFromCounters(q)
	}
	w, err := buildFilter(q)
	if err != nil {
		return 0, err
	}
	w.add("c.inbound_count > " + w.readCount())
	var n int
	err = t.tx.QueryRow(t.ctx, `SELECT count(*) FROM conversations c WHERE `+w.where(), w.args...).Scan(&n)
	if err != nil {
		return 0, t.fail("count unread", err)
	}
	return n, nil
}

// filterSQL collects the conditions and arguments of a conversation query.
type filterSQL struct {
	conds  []string
	args   []any
	viewer string
}

func (f *filterSQL) arg(v any) string {
	f.args = append(f.args, v)
	return fmt.Sprintf("$%d", len(f.args))
}

func (f *filterSQL) add(cond string) { f.conds = append(f.conds, cond) }

func (f *filterSQL) where() string { return strings.Join(f.conds, " AND ") }

// readCount is how many inbound messages of c the viewer has read: a lookup of the read_states
// primary key per conversation (a correlated subquery, so that the planner keeps walking the list
// index in order and stops at the page size, whatever its statistics say about read_states).
func (f *filterSQL) readCount() string {
	return `coalesce((SELECT r.inbound_count FROM read_states r WHERE r.workspace_id = c.workspace_id
		AND r.conversation_id = c.id AND r.user_id = ` + f.arg(f.viewer) + `), 0)`
}

// buildFilter turns every field of q but ReadState and paging into conditions on c.
func buildFilter(q omnichannel.ConversationQuery) (*filterSQL, error) {
	switch q.ReadState {
	case omnichannel.ReadAny, omnichannel.ReadUnread, omnichannel.ReadRead:
	default:
		return nil, fmt.Errorf("postgres: unknown read filter %q: %w", q.ReadState, omnichannel.ErrInvalid)
	}
	f := &filterSQL{}
	ws := f.arg(q.WorkspaceID)
	f.add("c.workspace_id = " + ws)
	f.viewer = q.ViewerID
	in := func(col string, values []string) {
		if len(values) == 1 {
			f.add(col + " = " + f.arg(values[0]))
		} else if len(values) > 1 {
			f.add(col + " = ANY(" + f.arg(values) + ")")
		}
	}
	in("c.channel_kind", textArray(q.ChannelKinds))
	in("c.status", textArray(q.Statuses))
	if len(q.AssigneeIDs) > 0 {
		ids := slices.Clone(q.AssigneeIDs)
		for i, id := range ids {
			if id == omnichannel.Unassigned {
				ids[i] = "" // stored as the empty string
			}
		}
		in("c.assignee_id", ids)
	}
	if len(q.TeamIDs) > 0 && !slices.Contains(q.TeamIDs, "") {
		// A team's conversations, and its members' without a team (teamlist.go).
		teams := f.arg(q.TeamIDs)
		f.add("(c.team_id = ANY(" + teams + ") OR (c.team_id = '' AND c.assignee_id IN (" + teamMembersSQL(ws, teams) + ")))")
	} else {
		in("c.team_id", q.TeamIDs) // the conversations without a team include every member's
	}
	if len(q.CategoryIDs) > 0 {
		f.add("c.category_path && " + f.arg(q.CategoryIDs) + "::text[]")
	}
	in("c.classification_id", q.ClassificationIDs)
	in("c.connection_id", q.ConnectionIDs)
	in("c.contact_id", q.ContactIDs)
	if q.AwaitingClaim {
		f.add("c.awaiting_claim")
	}
	if cond := f.searchCondition("c", q); cond != "" {
		f.add(cond)
	}
	return f, nil
}
