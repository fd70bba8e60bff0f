package sqlite

import (
	"fmt"

	"github.com/dakenh/dakenh/internal/sqldelete"
)

// sqliteDeletes is the SQLite dialect of the deletions (internal/sqldelete).
var sqliteDeletes = sqldelete.Dialect{
	Rebind:          func(q string) string { return q },
	JSONText:        func(col, key string) string { return "json_extract(" + col + ", '$." + key + "')" },
	AttachmentsText: "attachments",
	OAuthWorkspace:  "workspace_id",
	AfterColon:      func(col string) string { return "substr(" + col + ", instr(" + col + ", ':') + 1)" },
	Derived:         []string{"conversation_counts", "read_counts"},
}

// deleter runs the deletions on t's connection.
func (t *txn) deleter() sqldelete.Deleter {
	return sqldelete.Deleter{DB: deleteDB{t}, Dialect: sqliteDeletes}
}

// deleteDB is sqldelete.DB over a txn.
type deleteDB struct{ t *txn }

func (d deleteDB) Exec(query string, args ...any) (int64, error) {
	res, err := d.t.q.exec(query, args...)
	if err != nil {
		return 0, writeError("delete", err)
	}
	return res.RowsAffected()
}

func (d deleteDB) Strings(query string, args ...any) ([]string, error) {
	rows, err := d.t.q.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: delete: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("sqlite: delete: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteConversation removes the conversation, its messages, read states and jobs, and returns the
// messages' blob keys; ErrNotFound when absent. The counter triggers keep the counts exact.
func (t *txn) DeleteConversation(workspaceID, id string) ([]string, error) {
	if err := t.writing(); err != nil {
		return nil, err
	}
	defer t.forgetConversations()
	keys, found, err := t.deleter().Conversation(workspaceID, id)
	if err == nil && !found {
		err = notFound("conversation", id)
	}
	return keys, err
}

// DeleteContact removes the contact, its identities, their conversations and the jobs about them;
// ErrNotFound when the contact is absent.
func (t *txn) DeleteContact(workspaceID, id string) ([]string, error) {
	if err := t.writing(); err != nil {
		return nil, err
	}
	defer t.forgetConversations()
	keys, found, err := t.deleter().Contact(workspaceID, id)
	if err == nil && !found {
		err = notFound("contact", id)
	}
	return keys, err
}

// DeleteWorkspaceData removes up to limit conversations of the workspace, then the rest of it.
func (t *txn) DeleteWorkspaceData(workspaceID string, limit int) ([]string, bool, error) {
	if err := t.writing(); err != nil {
		return nil, false, err
	}
	defer t.forgetConversations()
	return t.deleter().Workspace(workspaceID, limit)
}
