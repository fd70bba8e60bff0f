package sqlite

import "github.com/dakenh/dakenh/omnichannel"

// Workspace records (store.WorkspaceTx) and the deletes of users and teams.

const workspaceColumns = `id, name, status, created_at, updated_at`

func scanWorkspace(sc scanner) (*omnichannel.Workspace, error) {
	var w omnichannel.Workspace
	var created, updated int64
	if err := sc.Scan(&w.ID, &w.Name, &w.Status, &created, &updated); err != nil {
		return nil, err
	}
	w.CreatedAt, w.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &w, nil
}

// PutWorkspace inserts or replaces the workspace record by id.
func (t *txn) PutWorkspace(w *omnichannel.Workspace) error {
	return t.put("workspace", `INSERT INTO workspaces (`+workspaceColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status,
			created_at = excluded.created_at, updated_at = excluded.updated_at`, func() ([]any, error) {
		return []any{w.ID, w.Name, string(w.Status), micros(w.CreatedAt), micros(w.UpdatedAt)}, nil
	})
}

// GetWorkspace returns the workspace record; ErrNotFound when absent.
func (t *txn) GetWorkspace(id string) (*omnichannel.Workspace, error) {
	return getOne(t, scanWorkspace, "workspace", id, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = ?`, id)
}

// ListWorkspaces returns every workspace record ordered by id.
func (t *txn) ListWorkspaces() ([]*omnichannel.Workspace, error) {
	return getAll(t, scanWorkspace, "workspaces", `SELECT `+workspaceColumns+` FROM workspaces ORDER BY id`)
}

// DeleteUser removes the user; ErrNotFound when absent.
func (t *txn) DeleteUser(workspaceID, id string) error {
	return deleteOne(t, "user", id, `DELETE FROM users WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// DeleteTeam removes the team; ErrNotFound when absent.
func (t *txn) DeleteTeam(workspaceID, id string) error {
	return deleteOne(t, "team", id, `DELETE FROM teams WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}
