package sqlite

import (
	"github.com/dakenh/dakenh/omnichannel"
)

// The "read" filter (ReadState = ReadRead) of a viewer matches the conversations whose customer
// messages the viewer has all read: inbound_count <= the viewer's read state's inbound_count, or
// inbound_count = 0 when the viewer has no read state. A user has read a few percent of a big
// workspace, so the list is not walked to find them; the page is the union of two ordered range
// reads (migration 4), each stopping at the page size:
//
//   - the viewer's read states in list order (read_states_by_time, whose last_message_at is a copy
//     of the conversation's), each joined to its conversation by key and tested there;
//   - the conversations without customer messages that the viewer has no read state of
//     (conversations_no_inbound, a partial index that holds only them).
//
// The two parts are disjoint, and the outer sort orders at most two pages. INDEXED BY and CROSS
// JOIN fix the plan: the planner's statistics cannot turn it into a walk of the whole list.

// readListSQL is the query of one page of q (q.ReadState = ReadRead) without a search plan.
func readListSQL(q omnichannel.ConversationQuery, plan *listPlan) (string, []any, error) {
	after := q.After
	q.ReadState, q.After = omnichannel.ReadAny, nil
	w, err := compileFilter(q, false, plan)
	if err != nil {
		return "", nil, err
	}
	limit := pageSize(q)

	var args []any
	read := `SELECT ` + conversationColumnsC + ` FROM read_states r INDEXED BY read_states_by_time
		CROSS JOIN conversations c ON c.workspace_id = r.workspace_id AND c.id = r.conversation_id
		WHERE r.workspace_id = ? AND r.user_id = ?`
	args = append(args, q.WorkspaceID, q.ViewerID)
	if after != nil {
		read += ` AND (r.last_message_at, r.conversation_id) < (?, ?)`
		args = append(args, micros(after.LastMessageAt), after.ConversationID)
	}
	read += ` AND c.inbound_count <= r.inbound_count AND ` + w.where() +
		` ORDER BY r.last_message_at DESC, r.conversation_id DESC LIMIT ?`
	args = append(append(args, w.args...), limit)

	none := `SELECT ` + conversationColumnsC + ` FROM conversations c INDEXED BY conversations_no_inbound
		WHERE c.inbound_count = 0 AND ` + w.where() + ` AND NOT EXISTS (SELECT 1 FROM read_states r
			WHERE r.workspace_id = c.workspace_id AND r.user_id = ? AND r.conversation_id = c.id)`
	args = append(append(args, w.args...), q.ViewerID)
	if after != nil {
		none += ` AND (c.last_message_at, c.id) < (?, ?)`
		args = append(args, micros(after.LastMessageAt), after.ConversationID)
	}
	none += ` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?`
	args = append(args, limit)

	query := `SELECT * FROM (SELECT * FROM (` + read + `) UNION ALL SELECT * FROM (` + none + `))
		ORDER BY last_message_at DESC, id DESC LIMIT ?`
	return query, append(args, limit), nil
}
