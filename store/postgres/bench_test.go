package postgres_test

import (
	"testing"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/storetest"
)

// BenchmarkStore runs the store benchmarks over DAKENH_POSTGRES_URL, each store in a fresh schema,
// with the default Config (and the server's own durability settings: .ci/postgres.sh keeps fsync on).
//
//	go test -run '^$' -bench . ./store/postgres/
func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(tb testing.TB) omnichannel.Store {
		return openStore(tb, newSchema(tb))
	})
}
