// Package storebench holds the benchmarks of omnichannel.Store implementations, apart from the
// conformance suite (store/storetest, which depends on the contract alone): Benchmark and
// BenchmarkIngest drive a real Engine with the real Zalo OA adapter over its emulator and the
// standard router, and BenchmarkBigInbox measures the queries of a seeded 1,000,000-conversation
// workspace (internal/bigbox). A store's own tests call them:
//
//	func BenchmarkStore(b *testing.B) {
//		storebench.Benchmark(b, func(tb testing.TB) omnichannel.Store { return open(tb) })
//	}
package storebench
