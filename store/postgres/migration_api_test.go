package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/store"
	"github.com/dakenh/dakenh/store/postgres"
)

// TestMigrationStatusBeforeAndAfterMigrate reads the status of a schema that does not exist, then
// migrates it and reads it again, through the package functions and the Store's methods.
func TestMigrationStatusBeforeAndAfterMigrate(t *testing.T) {
	ctx := context.Background()
	cfg := postgres.Config{URL: databaseURL(t), Schema: newSchema(t), MaxConns: 2}
	before, err := postgres.MigrationStatus(ctx, cfg)
	require.NoError(t, err)
	assert.Zero(t, before.Current, "a schema never migrated is at version 0")
	require.Positive(t, before.Latest)
	require.NotEmpty(t, before.Pending)
	assert.Equal(t, before.Latest, before.Pending[len(before.Pending)-1], "the latest version is pending")

	require.NoError(t, postgres.Migrate(ctx, cfg))
	after, err := postgres.MigrationStatus(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, store.MigrationState{Current: before.Latest, Latest: before.Latest}, after)

	s := openStore(t, cfg.Schema, func(c *postgres.Config) { c.SkipMigrations = true })
	n, err := s.MigrationsPending(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	var _ store.MigrationsReporter = s
}

// TestSkipMigrationsRefusesAnOldSchema opens a schema migrated to version 1 with SkipMigrations:
// Open fails with ErrMigrationsPending and leaves the schema as it was; after Migrate it opens.
func TestSkipMigrationsRefusesAnOldSchema(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	require.NoError(t, postgres.MigrateUpTo(ctx, databaseURL(t), schema, "0002_bigbox.sql")) // version 1 only
	cfg := postgres.Config{URL: databaseURL(t), Schema: schema, MaxConns: 2, SkipMigrations: true}
	_, err := postgres.Open(ctx, cfg)
	require.ErrorIs(t, err, store.ErrMigrationsPending)
	st, err := postgres.MigrationStatus(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Current, "Open with SkipMigrations changed nothing")
	assert.Equal(t, 2, st.Pending[0], "versions after 1 are pending")

	_, err = postgres.Open(ctx, postgres.Config{URL: databaseURL(t), Schema: newSchema(t), MaxConns: 2, SkipMigrations: true})
	require.ErrorIs(t, err, store.ErrMigrationsPending, "a schema that does not exist is behind too")

	require.NoError(t, postgres.Migrate(ctx, cfg))
	s, err := postgres.Open(ctx, cfg)
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

// TestMigrateConcurrently runs Migrate on one new schema from several goroutines, each with its
// own connections, as several processes would: all succeed and each migration is applied once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	cfg := postgres.Config{URL: databaseURL(t), Schema: newSchema(t), MaxConns: 1}
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = postgres.Migrate(ctx, cfg) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "Migrate %d", i)
	}
	conn, err := pgx.Connect(ctx, databaseURL(t))
	require.NoError(t, err)
	defer conn.Close(ctx)
	var applied, distinct int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*), count(DISTINCT version) FROM "+
		cfg.Schema+".schema_migrations").Scan(&applied, &distinct))
	st, err := postgres.MigrationStatus(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, distinct, applied, "each migration recorded once")
	assert.Empty(t, st.Pending)
	assert.Equal(t, st.Latest, st.Current)
}
