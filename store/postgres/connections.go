package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

const connectionColumns = `workspace_id, id, kind, external_id, display_name, avatar_url, status, status_reason,
	owner_id, permission, rule_id, credentials, settings, created_at, updated_at, version`

// scanConnection reads a connection row, opening its credentials with t's sealer.
func (t *txn) scanConnection(r pgx.Row) (*omnichannel.Connection, error) {
	var c omnichannel.Connection
	var creds, settings []byte
	err := r.Scan(&c.WorkspaceID, &c.ID, &c.Kind, &c.ExternalID, &c.DisplayName, &c.AvatarURL, &c.Status,
		&c.StatusReason, &c.OwnerID, &c.Permission, &c.RuleID, &creds, &settings, &c.CreatedAt, &c.UpdatedAt, &c.Version)
	if err != nil {
		return nil, err
	}
	if err := t.sealer.open(c.ID, creds, &c.Credentials); err != nil {
		return nil, err
	}
	if err := fromJSON(settings, &c.Settings); err != nil {
		return nil, err
	}
	return &c, nil
}

// connectionArgs are c's values in connectionColumns order, its credentials sealed by t's sealer.
func (t *txn) connectionArgs(c *omnichannel.Connection) ([]any, error) {
	creds, err := t.sealer.seal(c.ID, c.Credentials)
	if err != nil {
		return nil, err
	}
	settings, err := jsonArg(c.Settings)
	if err != nil {
		return nil, err
	}
	return []any{c.WorkspaceID, c.ID, c.Kind, c.ExternalID, c.DisplayName, c.AvatarURL, c.Status, c.StatusReason,
		c.OwnerID, c.Permission, c.RuleID, creds, settings, c.CreatedAt, c.UpdatedAt, c.Version}, nil
}

// PutConnection inserts or replaces the connection with c.ID. Connection ids are global: an id that
// belongs to another workspace is refused with ErrDuplicate.
func (t *txn) PutConnection(c *omnichannel.Connection) error {
	if err := t.writing(); err != nil {
		return err
	}
	args, err := t.connectionArgs(c)
	if err != nil {
		return err
	}
	tag, err := t.exec("put connection", `INSERT INTO connections (`+connectionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, external_id = EXCLUDED.external_id,
			display_name = EXCLUDED.display_name, avatar_url = EXCLUDED.avatar_url, status = EXCLUDED.status,
			status_reason = EXCLUDED.status_reason, owner_id = EXCLUDED.owner_id, permission = EXCLUDED.permission,
			rule_id = EXCLUDED.rule_id, credentials = EXCLUDED.credentials, settings = EXCLUDED.settings,
			created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version
		WHERE connections.workspace_id = EXCLUDED.workspace_id`, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return duplicate("connection", fmt.Sprintf("id %q belongs to another workspace", c.ID))
	}
	return nil
}

func (t *txn) GetConnection(workspaceID, id string) (*omnichannel.Connection, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "get connection", "connection", id,
		`SELECT `+connectionColumns+` FROM connections WHERE id = $1 AND workspace_id = $2`, t.scanConnection, id, workspaceID)
}

func (t *txn) FindConnectionByID(id string) (*omnichannel.Connection, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "find connection", "connection", id,
		`SELECT `+connectionColumns+` FROM connections WHERE id = $1`, t.scanConnection, id)
}

// FindConnectionByExternalID returns the non-disconnected connection of kind with the provider
// account id; should several match, the newest by CreatedAt (then the greatest id) wins.
func (t *txn) FindConnectionByExternalID(kind omnichannel.Kind, externalID string) (*omnichannel.Connection, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "find connection", "connection", string(kind)+"/"+externalID,
		`SELECT `+connectionColumns+` FROM connections
		WHERE kind = $1 AND external_id = $2 AND status <> 'disconnected'
		ORDER BY created_at DESC, id DESC LIMIT 1`, t.scanConnection, kind, externalID)
}

// ListConnections returns the workspace's connections ordered by id.
func (t *txn) ListConnections(workspaceID string) ([]*omnichannel.Connection, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return list(t, "list connections",
		`SELECT `+connectionColumns+` FROM connections WHERE workspace_id = $1 ORDER BY id`, t.scanConnection, workspaceID)
}

// UpdateConnection replaces the connection when its stored Version equals c.Version and increments
// Version in the store and in c; ErrNotFound when absent from c's workspace, ErrConflict on a
// version mismatch.
func (t *txn) UpdateConnection(c *omnichannel.Connection) error {
	if err := t.writing(); err != nil {
		return err
	}
	args, err := t.connectionArgs(c)
	if err != nil {
		return err
	}
	tag, err := t.exec("update connection", `UPDATE connections SET kind = $3, external_id = $4, display_name = $5,
		avatar_url = $6, status = $7, status_reason = $8, owner_id = $9, permission = $10, rule_id = $11,
		credentials = $12, settings = $13, created_at = $14, updated_at = $15, version = version + 1
		WHERE workspace_id = $1 AND id = $2 AND version = $16`, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		c.Version++
		return nil
	}
	var stored int64
	err = t.tx.QueryRow(t.ctx, `SELECT version FROM connections WHERE workspace_id = $1 AND id = $2`,
		c.WorkspaceID, c.ID).Scan(&stored)
	switch {
	case err == pgx.ErrNoRows:
		return notFound("connection", c.ID)
	case err != nil:
		return t.fail("update connection", err)
	}
	return conflict("connection", c.ID, c.Version, stored)
}
