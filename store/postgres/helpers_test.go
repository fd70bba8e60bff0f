package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dakenh/dakenh/internal/pgtest"
	"github.com/dakenh/dakenh/store/postgres"
)

// databaseURL returns DAKENH_POSTGRES_URL (pgtest.URL: skipped locally without it, a failure in CI).
func databaseURL(t testing.TB) string { return pgtest.URL(t) }

// newSchema returns a fresh schema for one test, dropped when the test ends (pgtest.NewSchema).
func newSchema(t testing.TB) string { return pgtest.NewSchema(t) }

// openStore opens a Store over schema and closes it when the test ends.
func openStore(t testing.TB, schema string, tweak ...func(*postgres.Config)) *postgres.Store {
	t.Helper()
	cfg := postgres.Config{URL: databaseURL(t), Schema: schema, MaxConns: 6, EventPollInterval: 200 * time.Millisecond}
	for _, f := range tweak {
		f(&cfg)
	}
	s, err := postgres.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
