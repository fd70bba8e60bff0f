package postgres

import (
	"fmt"

	"github.com/dakenh/dakenh/omnichannel"
)

// The "read" filter (ReadState = ReadRead) of a viewer matches the conversations whose customer
// messages the viewer has all read: inbound_count <= the viewer's read state's inbound_count, or
// inbound_count = 0 when the viewer has no read state. A user has read a few percent of a big
// workspace, so the list is not walked to find them; the page is the union of two ordered range
// scans, each stopping at the page size:
//
//   - the viewer's read states in list order (read_states_by_time of migration 0003, whose
//     last_message_at is a copy of the conversation's), each joined to its conversation by key;
//   - the conversations without customer messages that the viewer has no read state of
//     (conversations_no_inbound of migration 0002, a partial index that holds only them).
//
// The two parts are disjoint, and the outer sort orders at most two pages. The plan does not
// depend on the statistics of read_states: the conversation is read in a LATERAL subquery that
// cannot be flattened (OFFSET 0), so the read states are scanned in order with one lookup each,
// and the absence of a read state is a scalar subquery (one lookup by key per row), not a join.

// readListSQL is the query of one page of q (q.ReadState = ReadRead) without an indexed search.
func readListSQL(q omnichannel.ConversationQuery) (string, []any, error) {
	w, err := buildFilter(q)
	if err != nil {
		return "", nil, err
	}
	filter := w.where()
	limit := w.arg(pageLimit(q))
	viewer := w.arg(q.ViewerID)
	var readAfter, noneAfter string
	if q.After != nil {
		at, id := w.arg(q.After.LastMessageAt), w.arg(q.After.ConversationID)
		readAfter = fmt.Sprintf(" AND (r.last_message_at, r.conversation_id) < (%s, %s)", at, id)
		noneAfter = fmt.Sprintf(" AND (c.last_message_at, c.id) < (%s, %s)", at, id)
	}
	cols := qualified("c", conversationColumns)
	read := `SELECT ` + cols + ` FROM read_states r CROSS JOIN LATERAL (SELECT * FROM conversations c
		WHERE c.workspace_id = r.workspace_id AND c.id = r.conversation_id OFFSET 0) c
		WHERE r.workspace_id = ` + w.arg(q.WorkspaceID) + ` AND r.user_id = ` + viewer + readAfter +
		` AND c.inbound_count <= r.inbound_count AND ` + filter +
		` ORDER BY r.last_message_at DESC, r.conversation_id DESC LIMIT ` + limit
	none := `SELECT ` + cols + ` FROM conversations c WHERE c.inbound_count = 0 AND ` + filter + noneAfter +
		` AND (SELECT 1 FROM read_states r WHERE r.workspace_id = c.workspace_id
			AND r.conversation_id = c.id AND r.user_id = ` + viewer + `) IS NULL` +
		` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ` + limit
	sql := `SELECT ` + cols + ` FROM ((` + read + `) UNION ALL (` + none + `)) c` +
		` ORDER BY c.last_message_at DESC, c.id DESC LIMIT ` + limit
	return sql, w.args, nil
}
