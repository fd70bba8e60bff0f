package postgres

import (
	"github.com/dakenh/dakenh/omnichannel"
)

// countable reports whether the unread count of q can be read from the unread_counters table
// (migration 0002): a viewer, and no filter but the workspace and a set of connections.
func countable(q omnichannel.ConversationQuery) bool {
	return q.ViewerID != "" && q.FiltersOnlyByConnection()
}

// countUnreadFromCounters sums the counter slots: conversations with customer messages minus those
// the viewer has read up to date, over q's connections (all when none are given).
func (t *txn) countUnreadFromCounters(q omnichannel.ConversationQuery) (int, error) {
	sql, args, _ := countersSQL(q)
	var n int
	if err := t.tx.QueryRow(t.ctx, sql, args...).Scan(&n); err != nil {
		return 0, t.fail("count unread", err)
	}
	return n, nil
}

// countersSQL is the query of countUnreadFromCounters.
func countersSQL(q omnichannel.ConversationQuery) (string, []any, error) {
	sql := `SELECT coalesce(sum(CASE WHEN user_id = '' THEN n ELSE -n END), 0) FROM unread_counters
		WHERE workspace_id = $1 AND user_id IN ('', $2)`
	args := []any{q.WorkspaceID, q.ViewerID}
	if len(q.ConnectionIDs) > 0 {
		sql += ` AND connection_id = ANY($3)`
		args = append(args, q.ConnectionIDs)
	}
	return sql, args, nil
}
