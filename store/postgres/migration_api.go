package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/store"
)

// Migrate connects with cfg (URL or the host's Pool), creates or migrates the schema and
// disconnects: what Open does unless Config.SkipMigrations is set, for hosts that migrate from a
// deploy step. Concurrent calls and Opens on one schema are safe (an advisory lock serializes
// them; the first applies, the others find nothing to do). cfg is validated like Open's.
func Migrate(ctx context.Context, cfg Config) error {
	s, err := open(cfg)
	if err != nil {
		return err
	}
	defer s.pool.close()
	return s.Migrate(ctx)
}

// MigrationStatus connects with cfg and reports the schema's version against this build's
// migrations, without changing anything. A schema that does not exist is at version 0. cfg is
// validated like Open's.
func MigrationStatus(ctx context.Context, cfg Config) (store.MigrationState, error) {
	s, err := open(cfg)
	if err != nil {
		return store.MigrationState{}, err
	}
	defer s.pool.close()
	return s.MigrationStatus(ctx)
}

// MigrationStatus reports the version of the store's schema against this build's migrations.
func (s *Store) MigrationStatus(ctx context.Context) (store.MigrationState, error) {
	all, err := loadMigrations()
	if err != nil {
		return store.MigrationState{}, err
	}
	conn, err := s.pool.acquire(ctx)
	if err != nil {
		return store.MigrationState{}, fmt.Errorf("postgres: connecting: %w", err)
	}
	defer s.pool.release(conn)
	table := pgx.Identifier{s.cfg.Schema, "schema_migrations"}.Sanitize()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil {
		return store.MigrationState{}, fmt.Errorf("postgres: reading schema version: %w", err)
	}
	current := 0
	if exists {
		if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+table).Scan(&current); err != nil {
			return store.MigrationState{}, fmt.Errorf("postgres: reading schema version: %w", err)
		}
	}
	st := store.MigrationState{Current: current, Latest: all[len(all)-1].version}
	for _, m := range all {
		if m.version > current {
			st.Pending = append(st.Pending, m.version)
		}
	}
	return st, nil
}

// MigrationsPending returns how many migrations this build would apply to the store's schema: 0
// once it is current. It implements store.MigrationsReporter.
func (s *Store) MigrationsPending(ctx context.Context) (int, error) {
	st, err := s.MigrationStatus(ctx)
	return len(st.Pending), err
}

// checkSchemaCurrent is Open's check with SkipMigrations: the schema must be exactly this build's.
func (s *Store) checkSchemaCurrent(ctx context.Context) error {
	st, err := s.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	switch {
	case st.Current > st.Latest:
		return fmt.Errorf("postgres: schema %s is at version %d, newer than this code's %d", s.cfg.Schema, st.Current, st.Latest)
	case len(st.Pending) > 0:
		return fmt.Errorf("postgres: schema %s is at version %d, this build needs %d (run postgres.Migrate): %w",
			s.cfg.Schema, st.Current, st.Latest, store.ErrMigrationsPending)
	}
	return nil
}
