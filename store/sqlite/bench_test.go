package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/sqlite"
	"github.com/dakenh/dakenh/store/storebench"
)

// BenchmarkStore runs the store benchmarks over a database file with the default Config
// (synchronous FULL: every acknowledged webhook is fsynced).
func BenchmarkStore(b *testing.B) {
	storebench.Benchmark(b, func(tb testing.TB) omnichannel.Store {
		return open(tb, filepath.Join(tb.TempDir(), "bench.db"))
	})
}

// BenchmarkStoreSyncNormal is BenchmarkStore with synchronous NORMAL (no fsync per commit; still
// safe against a killed process), to show what FULL durability costs in Ingest.
func BenchmarkStoreSyncNormal(b *testing.B) {
	storebench.Benchmark(b, func(tb testing.TB) omnichannel.Store {
		s, err := sqlite.Open(tb.Context(), sqlite.Config{Path: filepath.Join(tb.TempDir(), "bench.db"),
			Synchronous: sqlite.SyncNormal})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	})
}

// BenchmarkStoreNoGroupCommit is BenchmarkStore with batches of one Update (MaxBatchSize 1), to show
// what group commit brings to Ingest.
func BenchmarkStoreNoGroupCommit(b *testing.B) {
	storebench.Benchmark(b, func(tb testing.TB) omnichannel.Store {
		s, err := sqlite.Open(tb.Context(), sqlite.Config{Path: filepath.Join(tb.TempDir(), "bench.db"),
			MaxBatchSize: 1})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	})
}

// BenchmarkIngest runs storebench's ingest benchmarks alone over each durability setting, with the
// default group commit:
//
//	go test -run '^$' -bench 'BenchmarkIngest' ./store/sqlite/
func BenchmarkIngest(b *testing.B) {
	for _, sync := range []sqlite.Synchronous{sqlite.SyncFull, sqlite.SyncNormal} {
		b.Run(string(sync), func(b *testing.B) {
			storebench.BenchmarkIngest(b, func(tb testing.TB) omnichannel.Store {
				s, err := sqlite.Open(tb.Context(), sqlite.Config{Path: filepath.Join(tb.TempDir(), "bench.db"),
					Synchronous: sync})
				if err != nil {
					tb.Fatal(err)
				}
				tb.Cleanup(func() { s.Close() })
				return s
			})
		})
	}
}
