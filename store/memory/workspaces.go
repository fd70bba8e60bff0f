package memory

import "github.com/dakenh/dakenh/omnichannel"

// Workspace records (store.WorkspaceTx) and the deletes of users and teams.

func cloneWorkspace(w *omnichannel.Workspace) *omnichannel.Workspace {
	n := *w
	return &n
}

// PutWorkspace inserts or replaces the workspace record by id.
func (t *txn) PutWorkspace(w *omnichannel.Workspace) error {
	if err := t.writing(); err != nil {
		return err
	}
	set(t, t.s.d.records, w.ID, cloneWorkspace(w))
	return nil
}

// GetWorkspace returns the workspace record; ErrNotFound when absent.
func (t *txn) GetWorkspace(id string) (*omnichannel.Workspace, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.s.d.records, "workspace", id, cloneWorkspace)
}

// ListWorkspaces returns every workspace record ordered by id.
func (t *txn) ListWorkspaces() ([]*omnichannel.Workspace, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return listRows(t.s.d.records, cloneWorkspace), nil
}

// DeleteUser removes the user; ErrNotFound when absent.
func (t *txn) DeleteUser(workspaceID, id string) error {
	if err := t.writing(); err != nil {
		return err
	}
	w := t.ws(workspaceID)
	if _, ok := w.users[id]; !ok {
		return notFound("user", id)
	}
	del(t, w.users, id)
	return nil
}

// DeleteTeam removes the team; ErrNotFound when absent.
func (t *txn) DeleteTeam(workspaceID, id string) error {
	if err := t.writing(); err != nil {
		return err
	}
	w := t.ws(workspaceID)
	if _, ok := w.teams[id]; !ok {
		return notFound("team", id)
	}
	del(t, w.teams, id)
	return nil
}
