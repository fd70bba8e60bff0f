// Package sqlite is the embedded default omnichannel.Store: everything in one SQLite file, through
// the pure-Go driver modernc.org/sqlite (no cgo).
//
//	store, err := sqlite.Open(ctx, sqlite.Config{Path: "/var/lib/mycrm/dakenh.db"})
//	...
//	engine, err := omnichannel.New(omnichannel.Config{Store: store, ...})
//
// # Connections and transactions
//
// The file is in WAL mode. One writer connection does every write; a pool of read connections
// (Config.ReadConns) serves View, each View in one read transaction, so all its reads see one
// consistent snapshot while writes go on. Writes start with BEGIN IMMEDIATE, so a write never has to
// upgrade a read lock and fail; when several processes open the same file (several Stores, as in
// storetest.RunShared), they queue on SQLite's write lock for up to Config.BusyTimeout. Foreign keys
// are on: an identity needs its contact and connection, a conversation its connection, contact and
// identity, a message and a read state their conversation (ErrNotFound otherwise).
//
// # Group commit
//
// Update does not take a connection of its own. It queues its function for the writer goroutine,
// which runs queued functions one after the other inside one SQLite transaction, each inside its
// own SAVEPOINT, and commits them together: one commit (one fsync) for many Updates, which is what
// keeps a durable webhook ingest fast under concurrency. A function that returns an error (or panics)
// is rolled back to its savepoint alone and its caller alone gets the error; the others of the batch
// commit. Every caller returns only after the COMMIT that holds its writes succeeded; when that
// COMMIT fails, every caller of the batch gets the error and none of the batch is kept. A batch takes
// at most Config.MaxBatchSize functions and stops taking more after Config.MaxBatchDuration; a
// batch forms from the calls that queued while the previous one ran and committed, so a lone Update
// is never delayed waiting for company. The function runs on the caller's goroutine (the writer hands
// it the transaction and waits), so panics and t.FailNow behave as usual.
//
// The webhook ingest goes through UpdateGrouped (omnichannel.GroupCommitter), which keeps the writer
// for writes only (group_commit.go): the function runs on a read connection, in parallel with the
// writer, and its writes (of contacts, identities, conversations, messages and jobs) are recorded,
// statement and arguments computed on the caller's goroutine; the writer runs them in its batch
// without handing the transaction to anyone, under one savepoint per segment of requests (none in a
// batch's first segment) instead of one per function. The recorded writes are guarded (unique
// keys, the conversation's version), so one computed from a read that another update overtook
// fails, changes nothing, and its function runs again once that update is committed. A grouped
// update that reads what its own writes change, or writes anything else, runs again as an Update.
//
// The writer connection keeps its savepoint and statement journals in memory (PRAGMA temp_store =
// MEMORY; by default SQLite spills a journal past 64 KiB to a temporary file, which an ingest that
// re-keys a conversation's list indexes exceeds, so every Update created, wrote and deleted a file)
// and has a 64 MiB page cache; its transaction-control statements are prepared once.
//
// UpdateConversation names only the columns that changed since the conversation was read or written
// in the same Update (conversation_update.go): SQLite re-keys every index, checks every foreign key
// and runs every UPDATE OF trigger of the columns an UPDATE names, changed or not, and the engine
// saves a conversation whole after each message, which changes only its summary columns.
//
// # Durability
//
// An Update returns nil only after the COMMIT holding its writes succeeded, so an acknowledged
// webhook is in the WAL file before the provider gets 200. Config.Synchronous decides what that
// survives:
//
//   - FULL (the default): the WAL is fsynced after every commit, before its callers are answered.
//     An acknowledged webhook survives the process being killed (SIGKILL, OOM kill, panic) and also
//     a power loss or kernel crash. The writer itself commits without the fsync and goes on with
//     the next batch while the store's WAL syncer fsyncs the file (walsync.go): one fsync for the
//     batches committed meanwhile, and the writer keeps its batch open for more requests while an
//     fsync runs.
//   - NORMAL: no fsync at commit (only at checkpoints). In WAL mode an acknowledged webhook still
//     survives the process being killed (the commit is in the operating system's cache of the WAL
//     file before Update returns), but a power loss or kernel crash may lose the last commits; the
//     file is never corrupted.
//
// FULL is the default because a CRM must not lose a customer's message it told the provider it
// had: a lost acknowledged webhook is never redelivered. What it costs is the fsync: the
// storetest ingest benchmark (64 concurrent webhooks, 2 cores shared with other work) measured
// FULL at 1,874–2,838 messages/s and NORMAL at 2,431–2,960 in two rounds of one run (the CPU per
// message is the same: the fsync is waiting, not work), and at 1,000 webhooks/s offered a p50 time
// to the answer of 1.6–6.8 ms for FULL against 1.0–1.8 ms for NORMAL on that machine's virtual
// disk. Choose NORMAL when the machine's power and kernel are trusted (a UPS, a host whose crash
// does not lose the page cache) and latency matters more.
// The package's tests kill a writing child process with SIGKILL and check that every acknowledged
// message is in the reopened file and that PRAGMA integrity_check passes.
//
// Checkpoints (copying the WAL back into the database file) run on a connection of their own every
// 100 ms, not in the committing writer, so that no acknowledgement waits for one; they do not
// change what a commit survives.
//
// # Schema
//
// The schema is created and upgraded by numbered migrations embedded in the binary
// (migrations/NNNN_name.sql), applied by Open inside one BEGIN IMMEDIATE transaction and recorded in
// the schema_version table; two processes opening a new file at once are safe, and a file written by
// a newer build is refused. Filterable fields are real columns; lists, maps and nested values that
// nothing filters on (attachments, credentials, settings, activity, the category path as given) are
// JSON text. Times are INTEGER microseconds since the Unix epoch in UTC.
//
// The conversation list is served by indexes that lead with the workspace, then the
// filtered column (status, channel, assignee, team, each category level, classification, connection,
// awaiting claim), and end with the sort key (last_message_at DESC, id DESC), so a page is an
// ordered index range read continued by keyset, never an OFFSET. Every new message re-keys its
// conversation in each of them, so the indexes of the sparse columns (team, category levels,
// classification) are partial, on the non-empty values only (the list query states the implied
// non-empty test), and a contact's few conversations are found by (workspace, contact) and sorted
// (migration 5). The unread filter probes the
// viewer's read_states row by primary key; the read filter reads the viewer's read states in list
// order (read_states_by_time: each read state carries a copy of its conversation's last_message_at,
// kept by triggers) and joins each to its conversation by key. Two probes rewrite a query before it runs, without
// changing its result: a connection filter naming every connection the workspace's conversations
// use (an agent's scope) is dropped, and a category filter tests only the levels of the path where
// its ids occur, so that level's index is read in order. A team filter reads the teams' members
// first and merges ordered reads of each team and of each member's conversations without a team
// (teamfilter.go).
//
// The customer search (a substring of the name, case and accents folded by omnichannel.FoldSearch,
// or digits of the phone) has a trigram index (FTS5, conversations_search) over the folded name
// (contact_name_fold) and the phone's digits. A
// term of three characters or more is first counted in it (by the trigrams that tile it), up to
// SearchProbeLimit matches: a rare
// term (a full name, a phone number) reads its few rows through the index and sorts them; a common
// one ("Nguyễn") walks the list index in order, which carries the same two columns so the test needs
// no table read, and stops at the page's last match. Shorter terms always walk.
//
// The unread badge (CountUnread filtered by connections at most) is answered from counters kept by
// triggers: conversations with inbound messages per connection, and per user those read up to date.
// Triggers keep the counters and the search index right whatever writes the rows, BulkLoad
// included. EXPLAIN QUERY PLAN checks of these plans are in the package's tests.
//
// Several Stores over one file (several processes) share the data, but this package does not
// implement omnichannel.EventRelay: without omnichannel.Config.Relay an Engine's subscribers see
// the events of its own process only. Run one process per database file when live events matter,
// give the engines a relay of their own (Config.Relay), or use store/postgres.
//
// Provider secrets are encrypted at rest when Config.Keyring is set (AES-256-GCM, key rotation with
// Store.ResealCredentials); without it, connection credentials are stored as plain JSON.
package sqlite
