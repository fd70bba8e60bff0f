package memory

import "github.com/dakenh/dakenh/omnichannel"

// Users, teams, rules, templates, categories and classifications: Put inserts or replaces by id,
// Get returns ErrNotFound when absent, List orders by id, Delete returns ErrNotFound when absent.

func (t *txn) PutUser(u *omnichannel.User) error {
	if err := t.writing(); err != nil {
		return err
	}
	set(t, t.wsw(u.WorkspaceID).users, u.ID, cloneUser(u))
	return nil
}

func (t *txn) GetUser(workspaceID, id string) (*omnichannel.User, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.ws(workspaceID).users, "user", id, cloneUser)
}

func (t *txn) ListUsers(workspaceID string) ([]*omnichannel.User, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return listRows(t.ws(workspaceID).users, cloneUser), nil
}

func (t *txn) PutTeam(tm *omnichannel.Team) error {
	if err := t.writing(); err != nil {
		return err
	}
	set(t, t.wsw(tm.WorkspaceID).teams, tm.ID, cloneTeam(tm))
	return nil
}

func (t *txn) GetTeam(workspaceID, id string) (*omnichannel.Team, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.ws(workspaceID).teams, "team", id, cloneTeam)
}

func (t *txn) ListTeams(workspaceID string) ([]*omnichannel.Team, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return listRows(t.ws(workspaceID).teams, cloneTeam), nil
}

func (t *txn) PutRule(r *omnichannel.Rule) error {
	if err := t.writing(); err != nil {
		return err
	}
	set(t, t.wsw(r.WorkspaceID).rules, r.ID, cloneRule(r))
	return nil
}

func (t *txn) GetRule(workspaceID, id string) (*omnichannel.Rule, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.ws(workspaceID).rules, "rule", id, cloneRule)
}

func (t *txn) ListRules(workspaceID string) ([]*omnichannel.Rule, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return listRows(t.ws(workspaceID).rules, cloneRule), nil
}

func (t *txn) DeleteRule(workspaceID, id string) error {
	if err := t.writing(); err != nil {
		return err
	}
	w := t.ws(workspaceID)
	if _, ok := w.rules[id]; !ok {
		return notFound("rule", id)
	}
	del(t, w.rules, id)
	return nil
}

func (t *txn) PutTemplate(tp *omnichannel.Template) error {
	if err := t.writing(); err != nil {
		return err
	}
	set(t, t.wsw(tp.WorkspaceID).templates, tp.ID, cloneTemplate(tp))
	return nil
}

func (t *txn) GetTemplate(workspaceID, id string) (*omnichannel.Template, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.ws(workspaceID).templates, "template", id, cloneTemplate)
}

func (t *txn) ListTemplates(workspaceID string) ([]*omnichannel.Template, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return listRows(t.ws(workspaceID).templates, cloneTemplate), nil
}

func (t *txn) DeleteTemplate(workspaceID, id string) error {
	if err := t.writing(); err != nil {
		return err
	}
	w := t.ws(workspaceID)
	if _, ok := w.templates[id]; !ok {
		return notFound("template", id)
	}
	del(t, w.templates, id)
	return nil
}

func (t *txn) PutCategory(c *omnichannel.Category) error {
	if err := t.writing(); err != nil {
		return err
	}
	set(t, t.wsw(c.WorkspaceID).categories, c.ID, cloneCategory(c))
	return nil
}

func (t *txn) GetCategory(workspaceID, id string) (*omnichannel.Category, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.ws(workspaceID).categories, "category", id, cloneCategory)
}

func (t *txn) ListCategories(workspaceID string) ([]*omnichannel.Category, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return listRows(t.ws(workspaceID).categories, cloneCategory), nil
}

func (t *txn) PutClassification(c *omnichannel.Classification) error {
	if err := t.writing(); err != nil {
		return err
	}
	set(t, t.wsw(c.WorkspaceID).classifications, c.ID, cloneClassification(c))
	return nil
}

func (t *txn) GetClassification(workspaceID, id string) (*omnichannel.Classification, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.ws(workspaceID).classifications, "classification", id, cloneClassification)
}

func (t *txn) ListClassifications(workspaceID string) ([]*omnichannel.Classification, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return listRows(t.ws(workspaceID).classifications, cloneClassification), nil
}

// NextRotation returns the rotation's counter (0 on first use) and increments it.
func (t *txn) NextRotation(workspaceID, key string) (int64, error) {
	if err := t.writing(); err != nil {
		return 0, err
	}
	w := t.wsw(workspaceID)
	n := w.rotations[key]
	set(t, w.rotations, key, n+1)
	return n, nil
}
