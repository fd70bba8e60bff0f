package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/storetest"
)

// rowsMentioning counts, per table of schema, the rows that mention value in any column (equal to
// it, or holding it as a JSON string), among the rows of workspace ws in the tables that have a
// workspace_id column (all of them when ws is "") and among all rows of the others.
func rowsMentioning(t *testing.T, conn *pgx.Conn, schema, ws, value string) map[string]int {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_schema = $1 AND table_name <> 'schema_migrations'
		GROUP BY table_name`, schema)
	require.NoError(t, err)
	tables := map[string][]string{}
	for rows.Next() {
		var name string
		var cols []string
		require.NoError(t, rows.Scan(&name, &cols))
		tables[name] = cols
	}
	require.NoError(t, rows.Err())
	out := map[string]int{}
	for table, cols := range tables {
		var match []string
		scoped := false
		for _, c := range cols {
			scoped = scoped || c == "workspace_id"
			id := pgx.Identifier{c}.Sanitize()
			match = append(match, fmt.Sprintf(`%[1]s::text = $1 OR %[1]s::text LIKE '%%"' || $1 || '"%%'`, id))
		}
		where := "(" + strings.Join(match, " OR ") + ")"
		args := []any{value}
		if scoped && ws != "" {
			where += " AND workspace_id = $2"
			args = append(args, ws)
		}
		var n int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{schema, table}.Sanitize()+` WHERE `+where,
			args...).Scan(&n), table)
		if n > 0 {
			out[table] = n
		}
	}
	return out
}

// TestDeleteLeavesNoRow deletes a conversation, a contact and then the whole workspace, and reads
// every table of the schema for what was deleted.
func TestDeleteLeavesNoRow(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	s := openStore(t, schema)
	d := storetest.SeedDeletionData(t, s)
	conn, err := pgx.Connect(ctx, databaseURL(t))
	require.NoError(t, err)
	defer conn.Close(ctx)
	gone := func(values ...string) {
		t.Helper()
		for _, v := range values {
			assert.Empty(t, rowsMentioning(t, conn, schema, d.Workspace, v), "rows of %s mentioning %q", d.Workspace, v)
			assert.NotEmpty(t, rowsMentioning(t, conn, schema, d.Other, v), "%s's look-alike %q is untouched", d.Other, v)
		}
	}
	require.NotEmpty(t, rowsMentioning(t, conn, schema, d.Workspace, "c04"), "the scan finds what exists")

	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
		_, err := tx.DeleteConversation(d.Workspace, "c04")
		return err
	}))
	gone(append([]string{"c04"}, d.Messages["c04"]...)...)

	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
		_, err := tx.DeleteContact(d.Workspace, "k1")
		return err
	}))
	gone(append([]string{"k1", "idn-c01", "idn-c05", "c01", "c05", "crm-k1"}, d.Messages["c01"]...)...)

	for done := false; !done; {
		require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) (err error) {
			_, done, err = tx.DeleteWorkspaceData(d.Workspace, 2)
			return err
		}))
	}
	var left []string
	for _, v := range append([]string{d.Workspace, d.Lease, d.OAuthState}, d.Connections...) {
		if found := rowsMentioning(t, conn, schema, "", v); len(found) > 0 {
			left = append(left, fmt.Sprintf("%s: %v", v, found))
		}
	}
	assert.Empty(t, left, "rows mentioning the workspace, its connections, lease or OAuth state")
	assert.NotEmpty(t, rowsMentioning(t, conn, schema, "", d.Other), "the other workspace is whole")
}
