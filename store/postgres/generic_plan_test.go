package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/store/postgres"
)

// TestMessageLookupsUseIndexesInGenericPlans: pgx prepares statements and PostgreSQL gives a
// prepared statement a generic plan after a few runs; the message lookups of every webhook must
// still read the partial unique indexes then, not scan the messages table (they did, and it cut
// PostgreSQL ingest by two thirds).
func TestMessageLookupsUseIndexesInGenericPlans(t *testing.T) {
	schema := newSchema(t)
	s := openStore(t, schema)
	defer s.Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, databaseURL(t))
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "SET search_path TO "+schema+"; SET plan_cache_mode = force_generic_plan")
	require.NoError(t, err)
	for name, query := range postgres.MessageLookupSQL {
		t.Run(name, func(t *testing.T) {
			stmt := "lookup_" + strings.ReplaceAll(name, " ", "_")
			_, err := conn.Exec(ctx, "PREPARE "+stmt+" AS "+query)
			require.NoError(t, err)
			rows, err := conn.Query(ctx, "EXPLAIN EXECUTE "+stmt+"('ws', 'c', 'x')")
			require.NoError(t, err)
			var plan []string
			for rows.Next() {
				var line string
				require.NoError(t, rows.Scan(&line))
				plan = append(plan, line)
			}
			require.NoError(t, rows.Err())
			text := strings.Join(plan, "\n")
			assert.NotContains(t, text, "Seq Scan", text)
			assert.Contains(t, text, "Index", text)
		})
	}
}
