package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dakenh/dakenh/store/sqlite"
	"github.com/dakenh/dakenh/store/storebench"
)

// bigInboxDBEnv names a database file to seed once and reuse across runs (default: a new file in a
// temporary directory). A file holding the workspace's last conversation is not seeded again.
const bigInboxDBEnv = "DAKENH_BIGBOX_DB"

// BenchmarkBigInbox runs storebench.BenchmarkBigInbox over a SQLite file seeded through BulkLoad.
// Run the full size with, for example:
//
//	DAKENH_BIGBOX_CONVERSATIONS=1000000 DAKENH_BIGBOX_DB=/var/tmp/big.db \
//	  go test -run '^$' -bench BigInbox -benchtime 200x -timeout 2h ./store/sqlite/
func BenchmarkBigInbox(b *testing.B) {
	spec, depth := storebench.BigInboxSpec(b)
	path := os.Getenv(bigInboxDBEnv)
	if path == "" {
		path = filepath.Join(b.TempDir(), "big.db")
	}
	start := time.Now()
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: path, Synchronous: sqlite.SyncNormal})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	b.Logf("open (migrations included) %s: %v", path, time.Since(start).Round(time.Millisecond))
	storebench.SeedBigInbox(b, st, spec)
	storebench.BenchmarkBigInbox(b, st, spec, depth)
}
