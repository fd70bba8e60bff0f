package sqlite

import (
	"github.com/dakenh/dakenh/omnichannel"
)

// Users, teams, rules, templates, categories and classifications: Put inserts or replaces by id,
// Get returns ErrNotFound when absent, List orders by id, Delete returns ErrNotFound when absent.
// List-valued fields are JSON columns; nothing filters on them.

// put runs an upsert whose arguments may need encoding first.
func (t *txn) put(what, query string, args func() ([]any, error)) error {
	if err := t.writing(); err != nil {
		return err
	}
	a, err := args()
	if err != nil {
		return err
	}
	if _, err := t.q.exec(query, a...); err != nil {
		return writeError("put "+what, err)
	}
	return nil
}

const userColumns = `workspace_id, id, name, email, avatar_url, role, team_ids, active, created_at`

func scanUser(sc scanner) (*omnichannel.User, error) {
	var u omnichannel.User
	var teams string
	var created int64
	if err := sc.Scan(&u.WorkspaceID, &u.ID, &u.Name, &u.Email, &u.AvatarURL, &u.Role, &teams, &u.Active, &created); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMicros(created)
	return &u, fromJSON(teams, &u.TeamIDs)
}

func (t *txn) PutUser(u *omnichannel.User) error {
	return t.put("user", `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, email = excluded.email,
			avatar_url = excluded.avatar_url, role = excluded.role, team_ids = excluded.team_ids,
			active = excluded.active, created_at = excluded.created_at`, func() ([]any, error) {
		teams, err := jsonText(u.TeamIDs)
		return []any{u.WorkspaceID, u.ID, u.Name, u.Email, u.AvatarURL, string(u.Role), teams, boolInt(u.Active),
			micros(u.CreatedAt)}, err
	})
}

func (t *txn) GetUser(workspaceID, id string) (*omnichannel.User, error) {
	return getOne(t, scanUser, "user", id, `SELECT `+userColumns+` FROM users WHERE workspace_id = ? AND id = ?`,
		workspaceID, id)
}

func (t *txn) ListUsers(workspaceID string) ([]*omnichannel.User, error) {
	return getAll(t, scanUser, "users", `SELECT `+userColumns+` FROM users WHERE workspace_id = ? ORDER BY id`,
		workspaceID)
}

const teamColumns = `workspace_id, id, name, member_ids, method`

func scanTeam(sc scanner) (*omnichannel.Team, error) {
	var tm omnichannel.Team
	var members string
	if err := sc.Scan(&tm.WorkspaceID, &tm.ID, &tm.Name, &members, &tm.Method); err != nil {
		return nil, err
	}
	return &tm, fromJSON(members, &tm.MemberIDs)
}

func (t *txn) PutTeam(tm *omnichannel.Team) error {
	return t.put("team", `INSERT INTO teams (`+teamColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, member_ids = excluded.member_ids,
			method = excluded.method`, func() ([]any, error) {
		members, err := jsonText(tm.MemberIDs)
		return []any{tm.WorkspaceID, tm.ID, tm.Name, members, string(tm.Method)}, err
	})
}

func (t *txn) GetTeam(workspaceID, id string) (*omnichannel.Team, error) {
	return getOne(t, scanTeam, "team", id, `SELECT `+teamColumns+` FROM teams WHERE workspace_id = ? AND id = ?`,
		workspaceID, id)
}

func (t *txn) ListTeams(workspaceID string) ([]*omnichannel.Team, error) {
	return getAll(t, scanTeam, "teams", `SELECT `+teamColumns+` FROM teams WHERE workspace_id = ? ORDER BY id`,
		workspaceID)
}

const ruleColumns = `workspace_id, id, name, source_ids, user_ids, method, old_policy, created_at, updated_at`

func scanRule(sc scanner) (*omnichannel.Rule, error) {
	var r omnichannel.Rule
	var sources, users string
	var created, updated int64
	if err := sc.Scan(&r.WorkspaceID, &r.ID, &r.Name, &sources, &users, &r.Method, &r.OldPolicy, &created, &updated); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := fromJSON(sources, &r.SourceIDs); err != nil {
		return nil, err
	}
	return &r, fromJSON(users, &r.UserIDs)
}

func (t *txn) PutRule(r *omnichannel.Rule) error {
	return t.put("rule", `INSERT INTO rules (`+ruleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, source_ids = excluded.source_ids,
			user_ids = excluded.user_ids, method = excluded.method, old_policy = excluded.old_policy,
			created_at = excluded.created_at, updated_at = excluded.updated_at`, func() ([]any, error) {
		sources, err := jsonText(r.SourceIDs)
		if err != nil {
			return nil, err
		}
		users, err := jsonText(r.UserIDs)
		return []any{r.WorkspaceID, r.ID, r.Name, sources, users, string(r.Method), string(r.OldPolicy),
			micros(r.CreatedAt), micros(r.UpdatedAt)}, err
	})
}

func (t *txn) GetRule(workspaceID, id string) (*omnichannel.Rule, error) {
	return getOne(t, scanRule, "rule", id, `SELECT `+ruleColumns+` FROM rules WHERE workspace_id = ? AND id = ?`,
		workspaceID, id)
}

func (t *txn) ListRules(workspaceID string) ([]*omnichannel.Rule, error) {
	return getAll(t, scanRule, "rules", `SELECT `+ruleColumns+` FROM rules WHERE workspace_id = ? ORDER BY id`,
		workspaceID)
}

func (t *txn) DeleteRule(workspaceID, id string) error {
	return deleteOne(t, "rule", id, `DELETE FROM rules WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

const templateColumns = `workspace_id, id, name, body, channel_kinds`

func scanTemplate(sc scanner) (*omnichannel.Template, error) {
	var tp omnichannel.Template
	var kinds string
	if err := sc.Scan(&tp.WorkspaceID, &tp.ID, &tp.Name, &tp.Body, &kinds); err != nil {
		return nil, err
	}
	return &tp, fromJSON(kinds, &tp.ChannelKinds)
}

func (t *txn) PutTemplate(tp *omnichannel.Template) error {
	return t.put("template", `INSERT INTO templates (`+templateColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, body = excluded.body,
			channel_kinds = excluded.channel_kinds`, func() ([]any, error) {
		kinds, err := jsonText(tp.ChannelKinds)
		return []any{tp.WorkspaceID, tp.ID, tp.Name, tp.Body, kinds}, err
	})
}

func (t *txn) GetTemplate(workspaceID, id string) (*omnichannel.Template, error) {
	return getOne(t, scanTemplate, "template", id,
		`SELECT `+templateColumns+` FROM templates WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

func (t *txn) ListTemplates(workspaceID string) ([]*omnichannel.Template, error) {
	return getAll(t, scanTemplate, "templates",
		`SELECT `+templateColumns+` FROM templates WHERE workspace_id = ? ORDER BY id`, workspaceID)
}

func (t *txn) DeleteTemplate(workspaceID, id string) error {
	return deleteOne(t, "template", id, `DELETE FROM templates WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

const categoryColumns = `workspace_id, id, parent_id, name, active, position`

func scanCategory(sc scanner) (*omnichannel.Category, error) {
	var c omnichannel.Category
	return &c, sc.Scan(&c.WorkspaceID, &c.ID, &c.ParentID, &c.Name, &c.Active, &c.Position)
}

func (t *txn) PutCategory(c *omnichannel.Category) error {
	return t.put("category", `INSERT INTO categories (`+categoryColumns+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name,
			active = excluded.active, position = excluded.position`, func() ([]any, error) {
		return []any{c.WorkspaceID, c.ID, c.ParentID, c.Name, boolInt(c.Active), c.Position}, nil
	})
}

func (t *txn) GetCategory(workspaceID, id string) (*omnichannel.Category, error) {
	return getOne(t, scanCategory, "category", id,
		`SELECT `+categoryColumns+` FROM categories WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

func (t *txn) ListCategories(workspaceID string) ([]*omnichannel.Category, error) {
	return getAll(t, scanCategory, "categories",
		`SELECT `+categoryColumns+` FROM categories WHERE workspace_id = ? ORDER BY id`, workspaceID)
}

const classificationColumns = `workspace_id, id, name, active, position`

func scanClassification(sc scanner) (*omnichannel.Classification, error) {
	var c omnichannel.Classification
	return &c, sc.Scan(&c.WorkspaceID, &c.ID, &c.Name, &c.Active, &c.Position)
}

func (t *txn) PutClassification(c *omnichannel.Classification) error {
	return t.put("classification", `INSERT INTO classifications (`+classificationColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, active = excluded.active,
			position = excluded.position`, func() ([]any, error) {
		return []any{c.WorkspaceID, c.ID, c.Name, boolInt(c.Active), c.Position}, nil
	})
}

func (t *txn) GetClassification(workspaceID, id string) (*omnichannel.Classification, error) {
	return getOne(t, scanClassification, "classification", id,
		`SELECT `+classificationColumns+` FROM classifications WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

func (t *txn) ListClassifications(workspaceID string) ([]*omnichannel.Classification, error) {
	return getAll(t, scanClassification, "classifications",
		`SELECT `+classificationColumns+` FROM classifications WHERE workspace_id = ? ORDER BY id`, workspaceID)
}

// NextRotation returns the rotation's counter (0 on first use) and increments it, in one statement.
// In a grouped update the writer takes it at once, outside the update (grouping.nextRotation).
func (t *txn) NextRotation(workspaceID, key string) (int64, error) {
	if err := t.writingRecorded(); err != nil {
		return 0, err
	}
	if t.group != nil {
		return t.group.nextRotation(t, workspaceID, key)
	}
	var n int64
	if err := t.q.queryRow(`INSERT INTO rotations (workspace_id, key, next) VALUES (?, ?, 1)
		ON CONFLICT (workspace_id, key) DO UPDATE SET next = next + 1
		RETURNING next - 1`, workspaceID, key).Scan(&n); err != nil {
		return 0, writeError("next rotation", err)
	}
	return n, nil
}
