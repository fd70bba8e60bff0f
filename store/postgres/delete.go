package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/internal/sqldelete"
)

// postgresDeletes is the PostgreSQL dialect of the deletions (internal/sqldelete).
var postgresDeletes = sqldelete.Dialect{
	Rebind:          sqldelete.RebindDollar,
	JSONText:        func(col, key string) string { return col + "->>'" + key + "'" },
	AttachmentsText: "attachments::text",
	OAuthWorkspace:  "doc->>'WorkspaceID'",
	AfterColon:      func(col string) string { return "substr(" + col + ", strpos(" + col + ", ':') + 1)" },
	Derived:         []string{"unread_counters"},
}

// deleter runs the deletions in t.
func (t *txn) deleter() sqldelete.Deleter {
	return sqldelete.Deleter{DB: deleteDB{t}, Dialect: postgresDeletes}
}

// deleteDB is sqldelete.DB over a txn.
type deleteDB struct{ t *txn }

func (d deleteDB) Exec(query string, args ...any) (int64, error) {
	tag, err := d.t.exec("delete", query, args...)
	return tag.RowsAffected(), err
}

func (d deleteDB) Strings(query string, args ...any) ([]string, error) {
	rows, err := d.t.tx.Query(d.t.ctx, query, args...)
	if err != nil {
		return nil, d.t.fail("delete", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, d.t.fail("delete", err)
	}
	return out, nil
}

// DeleteConversation removes the conversation, its messages, read states and jobs, and returns the
// messages' blob keys; ErrNotFound when absent. The counter triggers keep the counts exact.
func (t *txn) DeleteConversation(workspaceID, id string) ([]string, error) {
	if err := t.writing(); err != nil {
		return nil, err
	}
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
	return t.deleter().Workspace(workspaceID, limit)
}
