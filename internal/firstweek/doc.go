// Package firstweek holds the end-to-end tests of what a real team meets in its first week with
// the inbox (issue #16): reconnecting an account, a live message racing the history sync, the
// interaction history of a CRM customer with several accounts, information a customer shares
// without writing, templates, team views, unaccented search and richer history entries.
//
// It has no API: everything is in its tests. Each test drives the engine only from outside, as a
// provider and an agent would: signed webhooks from the provider emulators
// (channels/tiktok/tiktoktest, channels/zalooa/zalotest) into the engine's webhook handler, and
// the agent HTTP API (inboxapi) served on loopback. Every test runs on the memory store, on a real
// SQLite file and on PostgreSQL (DAKENH_POSTGRES_URL, started by .ci/postgres.sh; in CI a missing
// server fails the run). Background jobs (history sync, CRM linking, sends) run when a test says
// so, through Engine.RunDue, so every interleaving a test names is the one that happens.
package firstweek
