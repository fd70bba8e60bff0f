package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/store/postgres"
)

// databaseURL returns DAKENH_POSTGRES_URL. Without it the test is skipped locally and fails in CI
// (CI=true), where .ci/postgres.sh must have started a server.
func databaseURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("DAKENH_POSTGRES_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DAKENH_POSTGRES_URL is not set: CI must start PostgreSQL (.ci/postgres.sh)")
		}
		t.Skip("DAKENH_POSTGRES_URL is not set (source .ci/postgres.sh and run start_postgres)")
	}
	return url
}

// newSchema returns a fresh schema name for one test and drops the schema when the test ends
// (after the stores opened later are closed: cleanups run last-registered first).
func newSchema(t testing.TB) string {
	t.Helper()
	url := databaseURL(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return schema
}

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
