package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/dakenh/dakenh/store"
)

// Migrate applies to the database file of cfg the embedded migrations it lacks (creating the file
// when missing) and returns. It is what Open does when Config.SkipMigrations is false; hosts that
// open with SkipMigrations run it from a deploy step. Concurrent calls, and Opens, on one file
// are serialized by SQLite's write lock: the first applies, the others find nothing to do. A file
// whose schema is newer than this build is refused. cfg is validated like Open's; SkipMigrations
// is ignored.
func Migrate(ctx context.Context, cfg Config) error {
	cfg.SkipMigrations = false
	s, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	return s.Close()
}

// MigrationStatus reports the schema version of the database file of cfg against this build's
// migrations, without changing anything. A missing file is at version 0 with every migration
// pending. cfg is validated like Open's.
func MigrationStatus(ctx context.Context, cfg Config) (store.MigrationState, error) {
	if err := cfg.validate(); err != nil {
		return store.MigrationState{}, err
	}
	if _, err := os.Stat(cfg.Path); errors.Is(err, fs.ErrNotExist) {
		return migrationState(0), nil
	}
	db, err := sql.Open("sqlite", cfg.withDefaults().dsn(true))
	if err != nil {
		return store.MigrationState{}, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	defer db.Close()
	current, err := schemaVersionOf(ctx, db)
	if err != nil {
		return store.MigrationState{}, err
	}
	return migrationState(current), nil
}

// MigrationStatus reports the schema version of the store's database against this build's
// migrations, read on a connection of the read pool.
func (s *Store) MigrationStatus(ctx context.Context) (store.MigrationState, error) {
	r, err := s.takeReader(ctx)
	if err != nil {
		return store.MigrationState{}, err
	}
	defer s.giveReader(r)
	current, err := schemaVersionOf(ctx, r.conn)
	if err != nil {
		return store.MigrationState{}, err
	}
	return migrationState(current), nil
}

// MigrationsPending returns how many migrations this build would apply to the store's database:
// 0 once it is current (always, for a store opened without SkipMigrations, unless another
// process's older build shares the file). It implements store.MigrationsReporter.
func (s *Store) MigrationsPending(ctx context.Context) (int, error) {
	st, err := s.MigrationStatus(ctx)
	return len(st.Pending), err
}

// queryRower is what schemaVersionOf reads through (*sql.DB, *sql.Conn).
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// schemaVersionOf returns the newest applied migration of the database, 0 when it has none.
func schemaVersionOf(ctx context.Context, q queryRower) (int, error) {
	var tables int
	if err := q.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").Scan(&tables); err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if tables == 0 {
		return 0, nil
	}
	var current int
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&current); err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	return current, nil
}

// migrationState is the state of a database at version current against this build.
func migrationState(current int) store.MigrationState {
	st := store.MigrationState{Current: current, Latest: SchemaVersion()}
	for v := current + 1; v <= st.Latest; v++ {
		st.Pending = append(st.Pending, v)
	}
	return st
}

// checkSchemaCurrent is Open's check with SkipMigrations: the schema must be exactly this build's.
func checkSchemaCurrent(ctx context.Context, conn *sql.Conn, path string) error {
	current, err := schemaVersionOf(ctx, conn)
	if err != nil {
		return err
	}
	st := migrationState(current)
	switch {
	case current > st.Latest:
		return fmt.Errorf("sqlite: database schema version %d is newer than this build's %d", current, st.Latest)
	case len(st.Pending) > 0:
		return fmt.Errorf("sqlite: %s is at schema version %d, this build needs %d (run sqlite.Migrate): %w",
			path, current, st.Latest, store.ErrMigrationsPending)
	}
	return nil
}
