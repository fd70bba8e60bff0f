// Package reliability holds the crash and provider-fault suites of dakenh (issue #8, items 1
// and 2). It has no API: everything is in its tests, which CI runs with the rest of the tree.
//
// The crash test (crash_test.go) builds examples/inbox once, runs it on SQLite and on PostgreSQL
// against the Zalo OA and TikTok emulators running in the test process (so what reached the
// "provider" survives), drives signed webhooks and agent sends at it, SIGKILLs it at random moments
// at least 20 times per store, restarts it on the same database, and then proves that every
// acknowledged webhook is stored exactly once, every accepted send reached the emulator exactly once
// or failed with a reason, threads are gapless in seq order and unread counters equal a recount.
//
// The fault suite (faults_test.go) runs the engine in process with the real adapters against the
// emulators' switchable faults (5xx, timeouts, 429 / Zalo -32 / TikTok 40100 throttling, access
// tokens expiring mid-run, refresh tokens reused or revoked, repeated and reordered webhook
// deliveries) and checks that nothing is lost or doubled and that retries are bounded and back off.
//
// Each suite logs one summary line (t.Logf) with its figures; the README quotes them.
package reliability
