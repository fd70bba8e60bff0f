package sqlite

import (
	"fmt"
	"slices"

	"github.com/dakenh/dakenh/omnichannel"
)

// The counters of migration 3, kept by triggers: conversation_counts holds per (workspace,
// connection) the conversations and those with inbound messages; read_counts per (workspace, user,
// connection) the conversations with inbound messages the user has read up to date.

// dropCoveringConnections removes q's connection filter when it names every connection that the
// workspace's conversations use: the filter then keeps every row, and without it the query can
// read the list index of another filter in order (an agent's query names all the connections the
// agent may see, which is usually all of them).
func (t *txn) dropCoveringConnections(q *omnichannel.ConversationQuery) error {
	if len(q.ConnectionIDs) == 0 {
		return nil
	}
	rows, err := t.q.query(`SELECT connection_id FROM conversation_counts WHERE workspace_id = ? AND total > 0`,
		q.WorkspaceID)
	if err != nil {
		return fmt.Errorf("sqlite: read conversation counts: %w", err)
	}
	defer rows.Close()
	covered := true
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("sqlite: read conversation counts: %w", err)
		}
		if !slices.Contains(q.ConnectionIDs, id) {
			covered = false
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: read conversation counts: %w", err)
	}
	if covered {
		q.ConnectionIDs = nil
	}
	return nil
}

// countUnreadFromCounters is CountUnread of a query that filters on connections at most: for every
// connection, the conversations with inbound messages less those the viewer has read up to date.
func (t *txn) countUnreadFromCounters(q omnichannel.ConversationQuery) (int, error) {
	query, args := countersSQL(q)
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

// countersSQL is the query of countUnreadFromCounters: two primary-key ranges of a few rows.
func countersSQL(q omnichannel.ConversationQuery) (string, []any) {
	inbound := `SELECT COALESCE(SUM(with_inbound), 0) FROM conversation_counts WHERE workspace_id = ?`
	read := `SELECT COALESCE(SUM(up_to_date), 0) FROM read_counts WHERE workspace_id = ? AND user_id = ?`
	args := []any{q.WorkspaceID}
	readArgs := []any{q.WorkspaceID, q.ViewerID}
	if len(q.ConnectionIDs) > 0 {
		in := ` AND connection_id IN (` + placeholders(len(q.ConnectionIDs)) + `)`
		inbound += in
		read += in
		args = append(args, anys(q.ConnectionIDs)...)
		readArgs = append(readArgs, anys(q.ConnectionIDs)...)
	}
	return `SELECT (` + inbound + `) - (` + read + `)`, append(args, readArgs...)
}
