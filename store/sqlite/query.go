package sqlite

import (
	"fmt"
	"slices"
	"strings"

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
// descending, starting strictly after q.After (keyset paging on the list indexes).
func (t *txn) ListConversations(q omnichannel.ConversationQuery) ([]*omnichannel.Conversation, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	query, args, err := listSQL(q)
	if err != nil {
		return nil, err
	}
	rows, err := t.q.queryDynamic(query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list conversations: %w", err)
	}
	return collect(rows, scanConversation, "conversations")
}

// CountUnread counts the conversations of q's filter that q.ViewerID has not read; q.ReadState and the
// paging fields are ignored.
func (t *txn) CountUnread(q omnichannel.ConversationQuery) (int, error) {
	if err := t.readable(); err != nil {
		return 0, err
	}
	query, args, err := countUnreadSQL(q)
	if err != nil {
		return 0, err
	}
	rows, err := t.q.queryDynamic(query, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count unread: %w", err)
	}
	defer rows.Close()
	n := 0
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("sqlite: count unread: %w", err)
		}
	}
	return n, rows.Err()
}

// listSQL is the query of one page of q.
func listSQL(q omnichannel.ConversationQuery) (string, []any, error) {
	w, err := compileFilter(q, true)
	if err != nil {
		return "", nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	return `SELECT ` + conversationColumnsC + ` FROM conversations c` + w.join + ` WHERE ` + w.where() +
		` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?`, append(w.args, limit), nil
}

// countUnreadSQL is the query of CountUnread(q).
func countUnreadSQL(q omnichannel.ConversationQuery) (string, []any, error) {
	q.ReadState, q.After, q.Limit = omnichannel.ReadUnread, nil, 0
	w, err := compileFilter(q, false)
	if err != nil {
		return "", nil, err
	}
	return `SELECT COUNT(*) FROM conversations c` + w.join + ` WHERE ` + w.where(), w.args, nil
}

// filterSQL is a ConversationQuery compiled to SQL over conversations c (and read_states r).
type filterSQL struct {
	join  string
	conds []string
	args  []any
}

func (f *filterSQL) where() string { return strings.Join(f.conds, " AND ") }

func (f *filterSQL) add(cond string, args ...any) {
	f.conds = append(f.conds, cond)
	f.args = append(f.args, args...)
}

// in adds "column IN (…)" for a non-empty list.
func (f *filterSQL) in(column string, values []any) {
	if len(values) > 0 {
		f.add(column+" IN ("+placeholders(len(values))+")", values...)
	}
}

// compileFilter turns q into SQL. Every condition leads with the workspace, so every query uses an
// index that starts with workspace_id; the argument order follows the conditions.
func compileFilter(q omnichannel.ConversationQuery, paging bool) (*filterSQL, error) {
	switch q.ReadState {
	case omnichannel.ReadAny, omnichannel.ReadUnread, omnichannel.ReadRead:
	default:
		return nil, fmt.Errorf("sqlite: unknown read filter %q: %w", q.ReadState, omnichannel.ErrInvalid)
	}
	f := &filterSQL{}
	if q.ReadState != omnichannel.ReadAny {
		// The viewer's read state, by its primary key, for each candidate row.
		f.join = ` LEFT JOIN read_states r ON r.workspace_id = c.workspace_id AND r.user_id = ? AND r.conversation_id = c.id`
		f.args = append(f.args, q.ViewerID)
	}
	f.add("c.workspace_id = ?", q.WorkspaceID)
	f.in("c.channel_kind", anys(q.ChannelKinds))
	f.in("c.status", anys(q.Statuses))
	if len(q.AssigneeIDs) > 0 {
		// Unassigned stands for the empty assignee (a user id cannot be "-").
		ids := make([]any, len(q.AssigneeIDs))
		for i, id := range q.AssigneeIDs {
			if id == omnichannel.Unassigned {
				id = ""
			}
			ids[i] = id
		}
		f.in("c.assignee_id", ids)
	}
	f.in("c.team_id", anys(q.TeamIDs))
	if len(q.CategoryIDs) > 0 {
		ids := anys(q.CategoryIDs)
		marks := placeholders(len(ids))
		f.add("(c.category1 IN ("+marks+") OR c.category2 IN ("+marks+") OR c.category3 IN ("+marks+"))",
			slices.Concat(ids, ids, ids)...)
	}
	f.in("c.classification_id", anys(q.ClassificationIDs))
	f.in("c.connection_id", anys(q.ConnectionIDs))
	f.in("c.contact_id", anys(q.ContactIDs))
	if q.AwaitingClaim {
		f.add("c.awaiting_claim = 1")
	}
	switch {
	case q.Search != "" && q.SearchDigits != "":
		f.add("(instr(c.contact_name_fold, ?) > 0 OR instr(c.contact_phone_digits, ?) > 0)",
			strings.ToLower(q.Search), q.SearchDigits)
	case q.Search != "":
		f.add("instr(c.contact_name_fold, ?) > 0", strings.ToLower(q.Search))
	case q.SearchDigits != "":
		f.add("instr(c.contact_phone_digits, ?) > 0", q.SearchDigits)
	}
	switch q.ReadState {
	case omnichannel.ReadUnread:
		f.add("c.inbound_count > COALESCE(r.inbound_count, 0)")
	case omnichannel.ReadRead:
		f.add("c.inbound_count <= COALESCE(r.inbound_count, 0)")
	}
	if paging && q.After != nil {
		f.add("(c.last_message_at, c.id) < (?, ?)", micros(q.After.LastMessageAt), q.After.ConversationID)
	}
	return f, nil
}
