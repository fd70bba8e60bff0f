package store

import (
	"context"
	"errors"
)

// ErrMigrationsPending is wrapped by the error a SQL store's Open returns when it was told not to
// migrate (Config.SkipMigrations) and the database schema is older than the store's code. Run the
// store's Migrate function, then open again.
var ErrMigrationsPending = errors.New("store: schema migrations pending")

// MigrationState is the schema version of a SQL store's database as its code sees it.
type MigrationState struct {
	// Current is the newest migration applied to the database; 0 for a database never migrated.
	Current int
	// Latest is the newest migration this build of the store knows.
	Latest int
	// Pending lists the versions this build would apply, in order; empty when Current ≥ Latest.
	Pending []int
}

// MigrationsReporter is an optional Store capability: MigrationsPending returns how many
// migrations this build of the store would apply to its database (0 when the schema is current).
// Readiness checks use it. store/sqlite and store/postgres implement it.
type MigrationsReporter interface {
	MigrationsPending(ctx context.Context) (int, error)
}
