package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/storetest"
)

// rowsMentioning counts, per table of the database at path, the rows that mention value in any
// column (equal to it, or holding it as a JSON string), among the rows of workspace ws in the
// tables that have a workspace_id column (all of them when ws is "") and among all rows of the
// others. The full-text index's own tables are left to its integrity check.
func rowsMentioning(t *testing.T, db *sql.DB, ws, value string) map[string]int {
	t.Helper()
	ctx := t.Context()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'conversations_search%'`)
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Close())
	out := map[string]int{}
	for _, table := range tables {
		cols, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
		require.NoError(t, err)
		var names []string
		for cols.Next() {
			var name string
			require.NoError(t, cols.Scan(&name))
			names = append(names, name)
		}
		require.NoError(t, cols.Close())
		var match []string
		scoped := false
		for _, c := range names {
			scoped = scoped || c == "workspace_id"
			match = append(match, fmt.Sprintf(`CAST(%[1]s AS TEXT) = ?1 OR CAST(%[1]s AS TEXT) LIKE '%%"' || ?1 || '"%%'`, c))
		}
		where := "(" + strings.Join(match, " OR ") + ")"
		args := []any{value}
		if scoped && ws != "" {
			where += " AND workspace_id = ?2"
			args = append(args, ws)
		}
		var n int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE `+where, args...).Scan(&n), table)
		if n > 0 {
			out[table] = n
		}
	}
	return out
}

// TestDeleteLeavesNoRow deletes a conversation, a contact and then the whole workspace, and reads
// every table of the file for what was deleted; the search index passes its integrity check.
func TestDeleteLeavesNoRow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dakenh.db")
	s := open(t, path)
	d := storetest.SeedDeletionData(t, s)
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	gone := func(values ...string) {
		t.Helper()
		for _, v := range values {
			assert.Empty(t, rowsMentioning(t, db, d.Workspace, v), "rows of %s mentioning %q", d.Workspace, v)
			assert.NotEmpty(t, rowsMentioning(t, db, d.Other, v), "%s's look-alike %q is untouched", d.Other, v)
		}
		_, err := db.ExecContext(t.Context(), `INSERT INTO conversations_search (conversations_search) VALUES ('integrity-check')`)
		require.NoError(t, err, "the search index matches the conversations")
	}
	require.NotEmpty(t, rowsMentioning(t, db, d.Workspace, "c04"), "the scan finds what exists")

	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		_, err := tx.DeleteConversation(d.Workspace, "c04")
		return err
	}))
	gone(append([]string{"c04"}, d.Messages["c04"]...)...)

	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		_, err := tx.DeleteContact(d.Workspace, "k1")
		return err
	}))
	gone(append([]string{"k1", "idn-c01", "idn-c05", "c01", "c05", "crm-k1"}, d.Messages["c01"]...)...)

	for done := false; !done; {
		require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) (err error) {
			_, done, err = tx.DeleteWorkspaceData(d.Workspace, 2)
			return err
		}))
	}
	var left []string
	for _, v := range append([]string{d.Workspace, d.Lease, d.OAuthState}, d.Connections...) {
		if found := rowsMentioning(t, db, "", v); len(found) > 0 {
			left = append(left, fmt.Sprintf("%s: %v", v, found))
		}
	}
	assert.Empty(t, left, "rows mentioning the workspace, its connections, lease or OAuth state")
	assert.NotEmpty(t, rowsMentioning(t, db, "", d.Other), "the other workspace is whole")
	gone()
}
