// Package pgtest gives tests a PostgreSQL server to work on: the URL of the server CI starts
// (.ci/postgres.sh exports DAKENH_POSTGRES_URL) and fresh schemas dropped when a test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// URL returns DAKENH_POSTGRES_URL. Without it the test is skipped locally and fails in CI
// (CI=true), where .ci/postgres.sh must have started a server.
func URL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("DAKENH_POSTGRES_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("DAKENH_POSTGRES_URL is not set: CI must start PostgreSQL (.ci/postgres.sh)")
		}
		tb.Skip("DAKENH_POSTGRES_URL is not set (source .ci/postgres.sh and run start_postgres)")
	}
	return url
}

// NewSchema returns a fresh schema name ("test_" and 16 hex digits) on the server of URL and drops
// the schema when the test ends, after the stores opened later are closed (cleanups run
// last-registered first).
func NewSchema(tb testing.TB) string {
	tb.Helper()
	url := URL(tb)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return schema
}
