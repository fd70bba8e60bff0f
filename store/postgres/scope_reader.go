package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

var _ omnichannel.ScopeReader = (*txn)(nil)

// ReadScope implements omnichannel.ScopeReader: the user and the workspace's connections (without
// their Credentials, which are neither read nor opened) go to the server as one pipelined batch,
// together with the transaction's BEGIN when it is the first read.
func (t *txn) ReadScope(workspaceID, userID string) (*omnichannel.User, []*omnichannel.Connection, error) {
	if err := t.readable(); err != nil {
		return nil, nil, err
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT doc FROM users WHERE workspace_id = $1 AND id = $2`, workspaceID, userID)
	b.Queue(`SELECT `+claimConnectionColumns+` FROM connections WHERE workspace_id = $1 ORDER BY id`, workspaceID)
	br := t.tx.SendBatch(t.ctx, b)
	u, err := optional(scanDoc[omnichannel.User](br.QueryRow()))
	var conns []*omnichannel.Connection
	if err == nil {
		conns, err = scanAll(br, scanClaimConnection)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, t.fail("read scope", err)
	}
	return u, conns, nil
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
