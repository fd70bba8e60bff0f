package memory_test

import (
	"testing"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/memory"
	"github.com/dakenh/dakenh/store/storebench"
)

// BenchmarkStore runs the store benchmarks over the in-memory reference store, as the baseline of
// the SQL stores.
func BenchmarkStore(b *testing.B) {
	storebench.Benchmark(b, func(tb testing.TB) omnichannel.Store {
		s := memory.New()
		tb.Cleanup(func() { s.Close() })
		return s
	})
}

// BenchmarkIngest runs storebench's ingest benchmarks alone (saturated, and at 1,000 webhooks/s).
func BenchmarkIngest(b *testing.B) {
	storebench.BenchmarkIngest(b, func(tb testing.TB) omnichannel.Store {
		s := memory.New()
		tb.Cleanup(func() { s.Close() })
		return s
	})
}
