// Package postgres is the multi-instance omnichannel.Store over PostgreSQL (pgx v5): several engine
// processes share one database and behave as one engine.
//
// # Sharing one database
//
// Every process opens the same URL and Schema and runs its own Engine and Engine.Run:
//
//	store, err := postgres.Open(ctx, postgres.Config{URL: os.Getenv("DATABASE_URL")})
//	...
//	engine, err := omnichannel.New(omnichannel.Config{Store: store, ...})
//	go engine.Run(ctx)
//
// What keeps them consistent lives in the database, not in a process:
//
//   - Schema: Open creates the schema (default "dakenh") and applies the embedded, versioned
//     migrations in one transaction under pg_advisory_xact_lock, so processes starting together
//     take turns and the later ones find nothing to do.
//   - Conversations and connections are compare-and-set on Version (UPDATE … WHERE version = $n):
//     of two processes claiming one conversation, exactly one wins.
//   - Webhook retries and duplicates: unique indexes with INSERT … ON CONFLICT DO NOTHING, so the
//     same provider message delivered to two processes at once is stored once.
//   - Round-robin: Tx.NextRotation is one upsert on a counter row, committed on its own (outside
//     the caller's transaction, so transactions opening conversations under one rule do not queue
//     on the row until they commit): positions are distinct and increasing whichever process opens
//     the conversation, and the spread stays even; a transaction that rolls back skips its turn.
//   - The outbox: Tx.ClaimJobs selects due jobs FOR UPDATE SKIP LOCKED and stamps them with a
//     lease, so each send is handed to one worker of one process.
//   - Token refresh: leases (Tx.AcquireLease) are rows updated by a conditional upsert; one process
//     refreshes a connection's tokens while the others wait and re-read.
//   - Events: Store implements omnichannel.EventRelay, which an Engine uses unless its
//     Config.Relay says otherwise. After each commit the engine relays the
//     events' ids: one row in the events table and a NOTIFY carrying its id. Engine.Run listens on a
//     dedicated connection, reads the new rows, re-reads the records and publishes them to its own
//     subscribers, so an agent connected to any process sees everything. The events table is also
//     polled (Config.EventPollInterval), which covers a lost listener connection and
//     notifications that commit out of order; rows expire after Config.EventRetention.
//
// Update runs in READ COMMITTED, View in a read-only REPEATABLE READ snapshot. Statements that may
// hit a unique index inside a longer transaction (PutIdentity, UpdateMessage, moving a conversation
// to another thread) run in a savepoint, so a Tx stays usable after ErrDuplicate as the Store
// contract requires. Deadlocks (40P01) and serialization failures (40001) roll the transaction back
// and run fn again, up to Config.MaxRetries times.
//
// Provider tokens are secrets: with Config.Keyring (the same keys in every process) they and the
// PKCE verifiers of pending connect flows are stored AES-256-GCM encrypted, bound to their row;
// Store.ResealCredentials moves every row to the current key after a rotation. Without it they are
// plain JSON.
//
// The conversation list is keyset-paged on (last_message_at DESC, id DESC), with an index per
// common filter of the inbox (status, assignee, team, connection, channel, classification, contact,
// awaiting claim) that keeps that order, a GIN index on the category path and an ordered index per
// category level, and read states looked up by primary key; a page is an index range scan that
// stops at the page size. The read filter scans the viewer's read states in list order (each carries
// a copy of its conversation's last_message_at, kept by triggers; readlist.go), a category
// filter alone merges one ordered scan per level (categorylist.go), and a team filter merges one
// ordered scan per team and per member, for the members' conversations without a team
// (teamlist.go). The customer search compares the names' search form, contact_name_folded
// (omnichannel.FoldSearch: case and accents folded), with pg_trgm indexes for rare terms.
//
// Tests of this package need a server: they read DAKENH_POSTGRES_URL (see .ci/postgres.sh), use a
// schema of their own each, and are skipped without it, except under CI=true where they fail.
package postgres
