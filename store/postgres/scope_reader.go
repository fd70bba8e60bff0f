package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

var (
	_ omnichannel.ScopeReader       = (*txn)(nil)
	_ omnichannel.UnreadScopeReader = (*txn)(nil)
)

// ReadScope implements omnichannel.ScopeReader: the user and the workspace's connections (without
// their Credentials, which are neither read nor opened) go to the server as one pipelined batch,
// together with the transaction's BEGIN when it is the first read.
func (t *txn) ReadScope(workspaceID, userID string) (*omnichannel.User, []*omnichannel.Connection, error) {
	u, conns, _, err := t.readScope(workspaceID, userID, false)
	return u, conns, err
}

// ReadUnreadScope implements omnichannel.UnreadScopeReader: ReadScope's two reads and the unread
// counters of every connection (summed over their slots, see migration 0002) in one batch.
func (t *txn) ReadUnreadScope(workspaceID, userID string) (*omnichannel.User, []*omnichannel.Connection, map[string]int, error) {
	return t.readScope(workspaceID, userID, true)
}

// readScope sends the scope's reads, and the per-connection unread counts when withCounts.
func (t *txn) readScope(workspaceID, userID string, withCounts bool) (*omnichannel.User, []*omnichannel.Connection, map[string]int, error) {
	if err := t.readable(); err != nil {
		return nil, nil, nil, err
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT doc FROM users WHERE workspace_id = $1 AND id = $2`, workspaceID, userID)
	b.Queue(`SELECT `+claimConnectionColumns+` FROM connections WHERE workspace_id = $1 ORDER BY id`, workspaceID)
	if withCounts {
		b.Queue(`SELECT connection_id, sum(CASE WHEN user_id = '' THEN n ELSE -n END) FROM unread_counters
			WHERE workspace_id = $1 AND user_id IN ('', $2) GROUP BY connection_id`, workspaceID, userID)
	}
	br := t.tx.SendBatch(t.ctx, b)
	u, err := optional(scanDoc[omnichannel.User](br.QueryRow()))
	var conns []*omnichannel.Connection
	var counts map[string]int
	if err == nil {
		conns, err = scanAll(br, scanClaimConnection)
	}
	if err == nil && withCounts {
		counts, err = scanCounts(br)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, nil, t.fail("read scope", err)
	}
	return u, conns, counts, nil
}

// scanAll reads every row of br's next result with scan.
func scanAll[T any](br pgx.BatchResults, scan func(pgx.Row) (*T, error)) ([]*T, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanCounts reads br's next result, (connection id, count) rows, into a map.
func scanCounts(br pgx.BatchResults) (map[string]int, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		counts[id] = n
	}
	return counts, rows.Err()
}
