package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
)

// schemaState returns the recorded migrations and whether the list index of migration 2 exists.
func schemaState(t *testing.T, path string) (versions []int, listIndex bool) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), "SELECT version FROM schema_version ORDER BY version")
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	require.NoError(t, rows.Err())
	var n int
	require.NoError(t, db.QueryRowContext(t.Context(),
		"SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'conversations_list'").Scan(&n))
	return versions, n == 1
}

func allVersions() []int {
	var out []int
	for v := 1; v <= SchemaVersion(); v++ {
		out = append(out, v)
	}
	return out
}

// TestMigrateFromVersion1 opens a file written with schema version 1 (migration 1 only, then a row)
// and checks that Open brings it to the current version and the row survives.
func TestMigrateFromVersion1(t *testing.T) {
	require.GreaterOrEqual(t, SchemaVersion(), 2, "this test needs a migration after the first")
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	conn, err := db.Conn(t.Context())
	require.NoError(t, err)
	require.NoError(t, migrate(t.Context(), conn, 1))
	_, err = conn.ExecContext(t.Context(), `INSERT INTO users
		(workspace_id, id, name, email, avatar_url, role, team_ids, active, created_at)
		VALUES ('ws-1', 'u-1', 'Lan', 'lan@shop.example', '', 'agent', '["team-1"]', 1, 1700000000000000)`)
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	require.NoError(t, db.Close())
	versions, listIndex := schemaState(t, path)
	require.Equal(t, []int{1}, versions)
	require.False(t, listIndex)

	s, err := Open(t.Context(), Config{Path: path})
	require.NoError(t, err)
	var u *omnichannel.User
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) (err error) {
		u, err = tx.GetUser("ws-1", "u-1")
		return err
	}))
	assert.Equal(t, "Lan", u.Name)
	assert.Equal(t, []string{"team-1"}, u.TeamIDs)
	assert.Equal(t, int64(1700000000000000), u.CreatedAt.UnixMicro())
	require.NoError(t, s.Close())

	versions, listIndex = schemaState(t, path)
	assert.Equal(t, allVersions(), versions)
	assert.True(t, listIndex, "migration 2 ran")
}

// TestNewerSchemaRefused: a file migrated by a newer build is not opened.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := Open(t.Context(), Config{Path: path})
	require.NoError(t, err)
	require.NoError(t, s.Update(t.Context(), func(omnichannel.Tx) error { return nil }))
	_, err = s.writer.conn.ExecContext(t.Context(),
		"INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future', 0)", SchemaVersion()+1)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = Open(t.Context(), Config{Path: path})
	require.ErrorContains(t, err, "newer than this build")
}

// TestMigrationsRaceGoroutines opens a new file from several goroutines at once: every Open
// succeeds and each migration is applied once.
func TestMigrationsRaceGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.db")
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), Config{Path: path})
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "open %d", i)
		require.NoError(t, stores[i].Update(t.Context(), func(tx omnichannel.Tx) error {
			return tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: fmt.Sprintf("u-%d", i)})
		}))
	}
	for _, s := range stores {
		require.NoError(t, s.Close())
	}
	versions, listIndex := schemaState(t, path)
	assert.Equal(t, allVersions(), versions)
	assert.True(t, listIndex)
}
