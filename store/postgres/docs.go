package postgres

import (
	"encoding/json"

	"github.com/jackc/pgx/v5"
)

// Rows that are read and written whole (contacts, users, teams, rules, templates, categories,
// classifications) are stored as one JSON document per (workspace_id, id). The table names below
// are constants of this package, never input.

func putDoc(t *txn, table, workspaceID, id string, v any) error {
	if err := t.writing(); err != nil {
		return err
	}
	doc, err := jsonArg(v)
	if err != nil {
		return err
	}
	_, err = t.exec("put "+table, `INSERT INTO `+table+` (workspace_id, id, doc) VALUES ($1, $2, $3)
		ON CONFLICT (workspace_id, id) DO UPDATE SET doc = EXCLUDED.doc`, workspaceID, id, doc)
	return err
}

// scanDoc decodes a doc column into a new T.
func scanDoc[T any](r pgx.Row) (*T, error) {
	var b []byte
	if err := r.Scan(&b); err != nil {
		return nil, err
	}
	return decodeDoc[T](b)
}

// decodeDoc decodes a doc column's value into a new T.
func decodeDoc[T any](b []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	return v, nil
}

func getDoc[T any](t *txn, table, what, workspaceID, id string) (*T, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "get "+what, what, id, `SELECT doc FROM `+table+` WHERE workspace_id = $1 AND id = $2`,
		scanDoc[T], workspaceID, id)
}

// listDocs returns the workspace's rows of table ordered by id.
func listDocs[T any](t *txn, table, workspaceID string) ([]*T, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return list(t, "list "+table, `SELECT doc FROM `+table+` WHERE workspace_id = $1 ORDER BY id`,
		scanDoc[T], workspaceID)
}

// deleteDoc removes a row; ErrNotFound when absent.
func deleteDoc(t *txn, table, what, workspaceID, id string) error {
	if err := t.writing(); err != nil {
		return err
	}
	tag, err := t.exec("delete "+what, `DELETE FROM `+table+` WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound(what, id)
	}
	return nil
}
