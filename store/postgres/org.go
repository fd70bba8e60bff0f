package postgres

import "github.com/dakenh/dakenh/omnichannel"

// Users, teams, rules, templates, categories and classifications: Put inserts or replaces by id,
// Get returns ErrNotFound when absent, List orders by id, Delete returns ErrNotFound when absent.

func (t *txn) PutUser(u *omnichannel.User) error { return putDoc(t, "users", u.WorkspaceID, u.ID, u) }

func (t *txn) GetUser(workspaceID, id string) (*omnichannel.User, error) {
	return getDoc[omnichannel.User](t, "users", "user", workspaceID, id)
}

func (t *txn) ListUsers(workspaceID string) ([]*omnichannel.User, error) {
	return listDocs[omnichannel.User](t, "users", workspaceID)
}

func (t *txn) PutTeam(tm *omnichannel.Team) error {
	return putDoc(t, "teams", tm.WorkspaceID, tm.ID, tm)
}

func (t *txn) GetTeam(workspaceID, id string) (*omnichannel.Team, error) {
	return getDoc[omnichannel.Team](t, "teams", "team", workspaceID, id)
}

func (t *txn) ListTeams(workspaceID string) ([]*omnichannel.Team, error) {
	return listDocs[omnichannel.Team](t, "teams", workspaceID)
}

func (t *txn) PutRule(r *omnichannel.Rule) error { return putDoc(t, "rules", r.WorkspaceID, r.ID, r) }

func (t *txn) GetRule(workspaceID, id string) (*omnichannel.Rule, error) {
	return getDoc[omnichannel.Rule](t, "rules", "rule", workspaceID, id)
}

func (t *txn) ListRules(workspaceID string) ([]*omnichannel.Rule, error) {
	return listDocs[omnichannel.Rule](t, "rules", workspaceID)
}

func (t *txn) DeleteRule(workspaceID, id string) error {
	return deleteDoc(t, "rules", "rule", workspaceID, id)
}

func (t *txn) PutTemplate(tp *omnichannel.Template) error {
	return putDoc(t, "templates", tp.WorkspaceID, tp.ID, tp)
}

func (t *txn) GetTemplate(workspaceID, id string) (*omnichannel.Template, error) {
	return getDoc[omnichannel.Template](t, "templates", "template", workspaceID, id)
}

func (t *txn) ListTemplates(workspaceID string) ([]*omnichannel.Template, error) {
	return listDocs[omnichannel.Template](t, "templates", workspaceID)
}

func (t *txn) DeleteTemplate(workspaceID, id string) error {
	return deleteDoc(t, "templates", "template", workspaceID, id)
}

func (t *txn) PutCategory(c *omnichannel.Category) error {
	return putDoc(t, "categories", c.WorkspaceID, c.ID, c)
}

func (t *txn) GetCategory(workspaceID, id string) (*omnichannel.Category, error) {
	return getDoc[omnichannel.Category](t, "categories", "category", workspaceID, id)
}

func (t *txn) ListCategories(workspaceID string) ([]*omnichannel.Category, error) {
	return listDocs[omnichannel.Category](t, "categories", workspaceID)
}

func (t *txn) PutClassification(c *omnichannel.Classification) error {
	return putDoc(t, "classifications", c.WorkspaceID, c.ID, c)
}

func (t *txn) GetClassification(workspaceID, id string) (*omnichannel.Classification, error) {
	return getDoc[omnichannel.Classification](t, "classifications", "classification", workspaceID, id)
}

func (t *txn) ListClassifications(workspaceID string) ([]*omnichannel.Classification, error) {
	return listDocs[omnichannel.Classification](t, "classifications", workspaceID)
}

// NextRotation returns the rotation's counter (0 on first use) and increments it, in one atomic
// upsert of its own outside the transaction (rotation.go): concurrent callers, in this process or
// others, get distinct increasing values without holding the row until they commit; a rollback of
// the calling transaction does not give its position back.
func (t *txn) NextRotation(workspaceID, key string) (int64, error) {
	// The position is taken outside the transaction: a grouped update stays grouped.
	if err := t.writingRecorded(); err != nil {
		return 0, err
	}
	return t.store.nextRotation(t.ctx, workspaceID, key)
}
