package postgres_test

import (
	"testing"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
	"github.com/dakenh/dakenh/store/storebench"
)

// BenchmarkStore runs the store benchmarks over DAKENH_POSTGRES_URL, each store in a fresh schema,
// with the default Config (and the server's own durability settings: .ci/postgres.sh keeps fsync on).
//
//	go test -run '^$' -bench . ./store/postgres/
func BenchmarkStore(b *testing.B) {
	storebench.Benchmark(b, func(tb testing.TB) omnichannel.Store {
		return openStore(tb, newSchema(tb))
	})
}

// BenchmarkIngest runs storebench's ingest benchmarks alone (saturated, and at 1,000 webhooks/s)
// over DAKENH_POSTGRES_URL, each store in a fresh schema with the default Config:
//
//	go test -run '^$' -bench 'BenchmarkIngest' ./store/postgres/
func BenchmarkIngest(b *testing.B) {
	storebench.BenchmarkIngest(b, func(tb testing.TB) omnichannel.Store {
		s := openStore(tb, newSchema(tb), func(c *postgres.Config) { c.MaxConns = postgres.DefaultMaxConns })
		// How the webhooks' transactions were grouped (UpdateGrouped), once the benchmark is done.
		tb.Cleanup(func() { tb.Logf("grouped updates: %+v", s.GroupStats()) })
		return s
	})
}
