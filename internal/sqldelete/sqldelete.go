// Package sqldelete holds the deletions of the store.DeleteTx contract once for both SQL stores
// (store/sqlite, store/postgres): the order of the statements (children before parents, so that
// foreign keys hold and the counter triggers see each row go), the tables of a workspace and the
// blob keys of the removed messages. A store supplies its Dialect and runs the statements in its
// transaction.
package sqldelete

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/dakenh/dakenh/model"
)

// DB runs the statements in the store's transaction.
type DB interface {
	// Exec runs a write and returns the rows it affected.
	Exec(query string, args ...any) (int64, error)
	// Strings runs a query of one text column and returns its values.
	Strings(query string, args ...any) ([]string, error)
}

// Dialect is what differs between the SQL stores. Queries are written with "?" placeholders and
// passed through Rebind.
type Dialect struct {
	// Rebind turns the "?" placeholders of query into the store's.
	Rebind func(query string) string
	// JSONText returns the expression of the text value of key in the JSON object column col.
	JSONText func(col, key string) string
	// AttachmentsText is the expression of messages.attachments as JSON text.
	AttachmentsText string
	// OAuthWorkspace is the expression of oauth_states' workspace id.
	OAuthWorkspace string
	// AfterColon returns the expression of the part of the text column col after its first ':'.
	AfterColon func(col string) string
	// Derived lists the tables the store derives from the rows (counters) that have a
	// workspace_id column, removed with the workspace.
	Derived []string
}

// Deleter runs the deletions of one transaction.
type Deleter struct {
	DB      DB
	Dialect Dialect
}

func (d Deleter) exec(query string, args ...any) (int64, error) {
	return d.DB.Exec(d.Dialect.Rebind(query), args...)
}

func (d Deleter) strings(query string, args ...any) ([]string, error) {
	return d.DB.Strings(d.Dialect.Rebind(query), args...)
}

// exists reports whether query returns a row.
func (d Deleter) exists(query string, args ...any) (bool, error) {
	rows, err := d.strings(query, args...)
	return len(rows) > 0, err
}

// blobKeys returns the blob keys of the attachments of the messages that where selects.
func (d Deleter) blobKeys(where string, args ...any) ([]string, error) {
	docs, err := d.strings(`SELECT `+d.Dialect.AttachmentsText+` FROM messages WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, doc := range docs {
		var atts []model.Attachment
		if err := json.Unmarshal([]byte(doc), &atts); err != nil {
			return nil, fmt.Errorf("decoding attachments: %w", err)
		}
		for _, a := range atts {
			if a.BlobKey != "" {
				keys = append(keys, a.BlobKey)
			}
		}
	}
	return keys, nil
}

// Conversation removes conversation id and what hangs off it; found is false (and nothing
// changed) when it does not exist.
func (d Deleter) Conversation(workspaceID, id string) (keys []string, found bool, err error) {
	found, err = d.exists(`SELECT id FROM conversations WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil || !found {
		return nil, false, err
	}
	keys, err = d.conversation(workspaceID, id)
	return keys, true, err
}

// conversation removes conversation id, its messages, read states and jobs.
func (d Deleter) conversation(workspaceID, id string) ([]string, error) {
	keys, err := d.blobKeys(`workspace_id = ? AND conversation_id = ?`, workspaceID, id)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{
		`DELETE FROM messages WHERE workspace_id = ? AND conversation_id = ?`,
		`DELETE FROM read_states WHERE workspace_id = ? AND conversation_id = ?`,
		`DELETE FROM jobs WHERE workspace_id = ? AND conversation_id = ?`,
		`DELETE FROM conversations WHERE workspace_id = ? AND id = ?`,
	} {
		if _, err := d.exec(q, workspaceID, id); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// conversations removes the conversations ids.
func (d Deleter) conversations(workspaceID string, ids []string) ([]string, error) {
	var keys []string
	for _, id := range ids {
		k, err := d.conversation(workspaceID, id)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k...)
	}
	slices.Sort(keys)
	return keys, nil
}

// Contact removes contact id, its identities, their conversations and the jobs about them; found
// is false (and nothing changed) when the contact does not exist.
func (d Deleter) Contact(workspaceID, id string) (keys []string, found bool, err error) {
	found, err = d.exists(`SELECT id FROM contacts WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil || !found {
		return nil, false, err
	}
	const identities = `SELECT id FROM identities WHERE workspace_id = ? AND contact_id = ?`
	convs, err := d.strings(`SELECT id FROM conversations WHERE workspace_id = ? AND (contact_id = ? OR identity_id IN (`+
		identities+`)) ORDER BY id`, workspaceID, id, workspaceID, id)
	if err != nil {
		return nil, true, err
	}
	if keys, err = d.conversations(workspaceID, convs); err != nil {
		return nil, true, err
	}
	dl := d.Dialect
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM jobs WHERE workspace_id = ? AND (` + dl.JSONText("payload", "contact") + ` = ? OR ` +
			dl.JSONText("payload", "identity") + ` IN (` + identities + `))`, []any{workspaceID, id, workspaceID, id}},
		{`DELETE FROM identities WHERE workspace_id = ? AND contact_id = ?`, []any{workspaceID, id}},
		{`DELETE FROM contacts WHERE workspace_id = ? AND id = ?`, []any{workspaceID, id}},
	} {
		if _, err := d.exec(q.sql, q.args...); err != nil {
			return nil, true, err
		}
	}
	return keys, true, nil
}

// Workspace removes up to limit conversations of the workspace and, once none is left, the rest
// of it (store.DeleteTx.DeleteWorkspaceData).
func (d Deleter) Workspace(workspaceID string, limit int) (keys []string, done bool, err error) {
	limit = max(limit, 1)
	ids, err := d.strings(fmt.Sprintf(`SELECT id FROM conversations WHERE workspace_id = ? ORDER BY id LIMIT %d`, limit+1), workspaceID)
	if err != nil {
		return nil, false, err
	}
	if keys, err = d.conversations(workspaceID, ids[:min(len(ids), limit)]); err != nil || len(ids) > limit {
		return keys, false, err
	}
	// Rows no conversation holds any more (none are written so; a resumed delete finds them gone).
	rest, err := d.blobKeys(`workspace_id = ?`, workspaceID)
	if err != nil {
		return nil, false, err
	}
	keys = append(keys, rest...)
	dl := d.Dialect
	tables := []string{"messages", "read_states", "jobs", "identities", "contacts", "users", "teams", "rules",
		"templates", "categories", "classifications", "rotations", "feed_entries", "webhook_deliveries",
		"webhook_endpoints"}
	stmts := make([]string, 0, len(tables)+len(dl.Derived)+3)
	for _, t := range append(tables, dl.Derived...) {
		stmts = append(stmts, `DELETE FROM `+t+` WHERE workspace_id = ?`)
	}
	stmts = append(stmts,
		`DELETE FROM oauth_states WHERE `+dl.OAuthWorkspace+` = ?`,
		`DELETE FROM leases WHERE `+dl.AfterColon("key")+` IN (SELECT id FROM connections WHERE workspace_id = ?)`,
		// The outgoing webhooks' delivery leases ("webhook:<workspace>/<endpoint>").
		`DELETE FROM leases WHERE substr(key, 1, length(CAST(? AS TEXT)) + 9) = 'webhook:' || CAST(? AS TEXT) || '/'`,
		`DELETE FROM connections WHERE workspace_id = ?`,
		`DELETE FROM workspaces WHERE id = ?`)
	for _, q := range stmts {
		args := make([]any, strings.Count(q, "?")) // each placeholder is the workspace id
		for i := range args {
			args[i] = workspaceID
		}
		if _, err := d.exec(q, args...); err != nil {
			return nil, false, err
		}
	}
	slices.Sort(keys)
	return keys, true, nil
}

// RebindDollar turns "?" placeholders into PostgreSQL's $1, $2, … (the queries of this package
// have no "?" elsewhere).
func RebindDollar(query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
