package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/store"
)

// TestMigrationStatusBeforeAndAfterMigrate reads the status of a missing file, migrates it, and
// reads it again through the package function and the Store's methods.
func TestMigrationStatusBeforeAndAfterMigrate(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Path: filepath.Join(t.TempDir(), "inbox.db")}
	before, err := MigrationStatus(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, store.MigrationState{Current: 0, Latest: SchemaVersion(), Pending: allVersions()}, before)

	require.NoError(t, Migrate(ctx, cfg))
	after, err := MigrationStatus(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, store.MigrationState{Current: SchemaVersion(), Latest: SchemaVersion()}, after)

	cfg.SkipMigrations = true
	s, err := Open(ctx, cfg)
	require.NoError(t, err)
	defer s.Close()
	n, err := s.MigrationsPending(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	var _ store.MigrationsReporter = s
}

// TestSkipMigrationsRefusesAnOldSchema opens a file at schema version 1 with SkipMigrations: Open
// fails with ErrMigrationsPending and leaves the schema as it was; after Migrate it opens.
func TestSkipMigrationsRefusesAnOldSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	require.NoError(t, migrate(ctx, conn, 1))
	require.NoError(t, conn.Close())
	require.NoError(t, db.Close())

	cfg := Config{Path: path, SkipMigrations: true}
	_, err = Open(ctx, cfg)
	require.ErrorIs(t, err, store.ErrMigrationsPending)
	versions, _ := schemaState(t, path)
	assert.Equal(t, []int{1}, versions, "Open with SkipMigrations changed nothing")

	_, err = Open(ctx, Config{Path: filepath.Join(t.TempDir(), "new.db"), SkipMigrations: true})
	require.ErrorIs(t, err, store.ErrMigrationsPending, "a new file is behind too")

	require.NoError(t, Migrate(ctx, cfg))
	s, err := Open(ctx, cfg)
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

// TestMigrateConcurrently runs Migrate on one new file from several goroutines at once: SQLite's
// write lock serializes them, all succeed and each migration is recorded once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Path: filepath.Join(t.TempDir(), "inbox.db"), ReadConns: 1}
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = Migrate(ctx, cfg) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "Migrate %d", i)
	}
	versions, _ := schemaState(t, cfg.Path)
	assert.Equal(t, allVersions(), versions)
}
