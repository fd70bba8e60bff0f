package sqlite

import (
	"fmt"

	"github.com/dakenh/dakenh/omnichannel"
)

const connectionColumns = `workspace_id, id, kind, external_id, display_name, avatar_url, status, status_reason,
	owner_id, permission, rule_id, credentials, settings, created_at, updated_at, version`

// scanConnection reads a connection row, opening its credentials with t's keyring.
func (t *txn) scanConnection(sc scanner) (*omnichannel.Connection, error) {
	var c omnichannel.Connection
	var creds, settings string
	var created, updated int64
	if err := sc.Scan(&c.WorkspaceID, &c.ID, &c.Kind, &c.ExternalID, &c.DisplayName, &c.AvatarURL, &c.Status,
		&c.StatusReason, &c.OwnerID, &c.Permission, &c.RuleID, &creds, &settings, &created, &updated, &c.Version); err != nil {
		return nil, err
	}
	if err := openCredentials(t.keys, c.ID, creds, &c.Credentials); err != nil {
		return nil, err
	}
	if err := fromJSON(settings, &c.Settings); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// connectionArgs are c's values in connectionColumns order, its credentials sealed with t's keyring.
func (t *txn) connectionArgs(c *omnichannel.Connection) ([]any, error) {
	creds, err := sealCredentials(t.keys, c.ID, c.Credentials)
	if err != nil {
		return nil, err
	}
	settings, err := jsonText(c.Settings)
	if err != nil {
		return nil, err
	}
	return []any{c.WorkspaceID, c.ID, string(c.Kind), c.ExternalID, c.DisplayName, c.AvatarURL, string(c.Status),
		c.StatusReason, c.OwnerID, string(c.Permission), c.RuleID, creds, settings,
		micros(c.CreatedAt), micros(c.UpdatedAt), c.Version}, nil
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
	res, err := t.q.exec(`INSERT INTO connections (`+connectionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, external_id = excluded.external_id,
			display_name = excluded.display_name, avatar_url = excluded.avatar_url, status = excluded.status,
			status_reason = excluded.status_reason, owner_id = excluded.owner_id,
			permission = excluded.permission, rule_id = excluded.rule_id, credentials = excluded.credentials,
			settings = excluded.settings, created_at = excluded.created_at, updated_at = excluded.updated_at,
			version = excluded.version
		WHERE connections.workspace_id = excluded.workspace_id`, args...)
	if err != nil {
		return writeError("put connection", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return duplicate("connection", fmt.Sprintf("id %q belongs to another workspace", c.ID))
	}
	return nil
}

func (t *txn) GetConnection(workspaceID, id string) (*omnichannel.Connection, error) {
	return getOne(t, t.scanConnection, "connection", id,
		`SELECT `+connectionColumns+` FROM connections WHERE id = ? AND workspace_id = ?`, id, workspaceID)
}

func (t *txn) FindConnectionByID(id string) (*omnichannel.Connection, error) {
	return getOne(t, t.scanConnection, "connection", id,
		`SELECT `+connectionColumns+` FROM connections WHERE id = ?`, id)
}

// FindConnectionByExternalID returns the non-disconnected connection of kind with the provider
// account id; should several match, the newest by CreatedAt (then the greatest id) wins.
func (t *txn) FindConnectionByExternalID(kind omnichannel.Kind, externalID string) (*omnichannel.Connection, error) {
	return getOne(t, t.scanConnection, "connection", string(kind)+"/"+externalID,
		`SELECT `+connectionColumns+` FROM connections
		WHERE kind = ? AND external_id = ? AND status <> ?
		ORDER BY created_at DESC, id DESC LIMIT 1`,
		string(kind), externalID, string(omnichannel.ConnectionDisconnected))
}

// ListConnections returns the workspace's connections ordered by id.
func (t *txn) ListConnections(workspaceID string) ([]*omnichannel.Connection, error) {
	return getAll(t, t.scanConnection, "connections",
		`SELECT `+connectionColumns+` FROM connections WHERE workspace_id = ? ORDER BY id`, workspaceID)
}

// UpdateConnection replaces c when the stored Version equals c.Version and increments Version in
// the store and in c.
func (t *txn) UpdateConnection(c *omnichannel.Connection) error {
	if err := t.writing(); err != nil {
		return err
	}
	args, err := t.connectionArgs(c)
	if err != nil {
		return err
	}
	// args[2:15] are the columns after the keys, before version.
	res, err := t.q.exec(`UPDATE connections SET kind = ?, external_id = ?, display_name = ?, avatar_url = ?,
			status = ?, status_reason = ?, owner_id = ?, permission = ?, rule_id = ?, credentials = ?,
			settings = ?, created_at = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND workspace_id = ? AND version = ?`,
		append(args[2:15], c.ID, c.WorkspaceID, c.Version)...)
	if err != nil {
		return writeError("update connection", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := t.GetConnection(c.WorkspaceID, c.ID); err != nil {
			return err
		}
		return conflict("connection", c.ID, c.Version)
	}
	c.Version++
	return nil
}
