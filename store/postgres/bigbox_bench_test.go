package postgres_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/internal/bigbox"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
	"github.com/dakenh/dakenh/store/storebench"
)

// bigInboxSchemaEnv names a schema to seed once and keep across runs (default: a new schema,
// dropped at the end). A schema holding the workspace's last conversation is not seeded again.
const bigInboxSchemaEnv = "DAKENH_BIGBOX_SCHEMA"

// BenchmarkBigInbox runs storebench.BenchmarkBigInbox over a schema seeded through BulkLoad (COPY)
// and analyzed. Run the full size with, for example:
//
//	DAKENH_BIGBOX_CONVERSATIONS=1000000 DAKENH_BIGBOX_SCHEMA=bigbox_1m \
//	  go test -run '^$' -bench BigInbox -benchtime 200x -timeout 3h ./store/postgres/
func BenchmarkBigInbox(b *testing.B) {
	spec, depth := storebench.BigInboxSpec(b)
	storebench.BenchmarkBigInbox(b, openBigInbox(b, spec), spec, depth)
}

// openBigInbox opens the benchmark's schema and seeds spec's workspace unless it is there.
func openBigInbox(b *testing.B, spec bigbox.Spec) *postgres.Store {
	b.Helper()
	schema := os.Getenv(bigInboxSchemaEnv)
	if schema == "" {
		schema = newSchema(b)
	}
	st := openStore(b, schema, func(c *postgres.Config) { c.MaxConns = 4 })
	if !storebench.SeedBigInbox(b, st, spec) {
		return st
	}
	ctx := context.Background()
	start := time.Now()
	conn, err := pgx.Connect(ctx, databaseURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+pgx.Identifier{schema}.Sanitize()+".conversations"); err != nil {
		b.Fatal(err)
	}
	for _, table := range []string{"messages", "read_states", "identities", "contacts", "unread_counters"} {
		if _, err := conn.Exec(ctx, "ANALYZE "+pgx.Identifier{schema, table}.Sanitize()); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("vacuum analyze: %v", time.Since(start).Round(time.Millisecond))
	return st
}

// bigInboxEngine is an Engine over st for the claims benchmark and tests.
func bigInboxEngine(tb testing.TB, st omnichannel.Store) *omnichannel.Engine {
	return storebench.NewBenchEngine(tb, st)
}
