package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrations are the schema versions, applied in order: NNNN_name.sql, one transaction for all
// pending ones (a migration's Go step, goSteps, runs right after its SQL). Never edit a released
// file; add the next version instead.
//
//go:embed migrations/*.sql
var migrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations ordered by version.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration file %q is not named NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(migrations, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	return out, nil
}

// migrationLockKey is the advisory lock that serializes migrations of one schema.
func migrationLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("dakenh/store/postgres/migrate/" + schema))
	return int64(h.Sum64())
}

// Migrate creates the schema and applies the pending migrations in one transaction, holding a
// transaction-scoped advisory lock so that processes migrating the schema together take turns:
// the first applies, the others find nothing left to do. Open calls it unless
// Config.SkipMigrations is set. A schema newer than this build is refused.
func (s *Store) Migrate(ctx context.Context) error {
	all, err := loadMigrations()
	if err != nil {
		return err
	}
	conn, err := s.pool.acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: connecting: %w", err)
	}
	defer s.pool.release(conn)
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return migrateTx(ctx, tx, all, s.cfg.Schema, 0) })
}

// migrateTx applies, in tx, the migrations of all after the schema's current version, up to
// version upTo (all of them when upTo ≤ 0).
func migrateTx(ctx context.Context, tx pgx.Tx, all []migration, schemaName string, upTo int) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey(schemaName)); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	schema := pgx.Identifier{schemaName}.Sanitize()
	if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		return fmt.Errorf("postgres: creating schema: %w", err)
	}
	if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+schema); err != nil {
		return fmt.Errorf("postgres: search_path: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: creating schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("postgres: reading schema version: %w", err)
	}
	if latest := all[len(all)-1].version; current > latest {
		return fmt.Errorf("postgres: schema %s is at version %d, newer than this code's %d", schemaName, current, latest)
	}
	for _, m := range all {
		if m.version <= current || upTo > 0 && m.version > upTo {
			continue
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.name, err)
		}
		if step := goSteps[m.name]; step != nil {
			if err := step(ctx, tx); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.name, err)
			}
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
			return fmt.Errorf("postgres: recording migration %s: %w", m.name, err)
		}
	}
	return nil
}
