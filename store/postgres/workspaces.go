package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
)

// Workspace records (store.WorkspaceTx) and the deletes of users and teams.

const workspaceColumns = `id, name, status, created_at, updated_at`

func scanWorkspace(r pgx.Row) (*omnichannel.Workspace, error) {
	var w omnichannel.Workspace
	if err := r.Scan(&w.ID, &w.Name, &w.Status, &w.CreatedAt, &w.UpdatedAt); err != nil {
		return nil, err
	}
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	return &w, nil
}

// PutWorkspace inserts or replaces the workspace record by id.
func (t *txn) PutWorkspace(w *omnichannel.Workspace) error {
	if err := t.writing(); err != nil {
		return err
	}
	_, err := t.exec("put workspace", `INSERT INTO workspaces (`+workspaceColumns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, status = EXCLUDED.status,
			created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at`,
		w.ID, w.Name, string(w.Status), w.CreatedAt, w.UpdatedAt)
	return err
}

// GetWorkspace returns the workspace record; ErrNotFound when absent.
func (t *txn) GetWorkspace(id string) (*omnichannel.Workspace, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "get workspace", "workspace", id, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = $1`,
		scanWorkspace, id)
}

// ListWorkspaces returns every workspace record ordered by id.
func (t *txn) ListWorkspaces() ([]*omnichannel.Workspace, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return list(t, "list workspaces", `SELECT `+workspaceColumns+` FROM workspaces ORDER BY id`, scanWorkspace)
}

// DeleteUser removes the user; ErrNotFound when absent.
func (t *txn) DeleteUser(workspaceID, id string) error {
	return deleteDoc(t, "users", "user", workspaceID, id)
}

// DeleteTeam removes the team; ErrNotFound when absent.
func (t *txn) DeleteTeam(workspaceID, id string) error {
	return deleteDoc(t, "teams", "team", workspaceID, id)
}
