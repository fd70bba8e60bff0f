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
// # Durability
//
// Config.Synchronous defaults to FULL: the WAL is fsynced at every commit, so an acknowledged Update
// (and so an acknowledged webhook) survives the process being killed and a power loss. NORMAL is
// offered for speed: in WAL mode it still survives the process being killed (the commit is in the
// WAL file, in the operating system's cache, before Update returns) but not a power loss or a
// kernel crash, which may lose the last commits (never corrupt the file). The package's tests kill a
// writing child process with SIGKILL and check every acknowledged message is in the reopened file
// and that PRAGMA integrity_check passes.
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
// The conversation list (SPEC A1, A3) is served by indexes that lead with the workspace, then the
// filtered column (status, channel, assignee, team, each category level, classification, connection,
// contact, awaiting claim), and end with the sort key (last_message_at DESC, id DESC), so a page is
// an ordered index range read continued by keyset, never an OFFSET. The read-state filter probes the
// viewer's read_states row by primary key. The customer search (a case-insensitive substring of the
// name, or digits of the phone) cannot use a B-tree lookup; it walks the list index in order, which
// carries a lower-cased name and the phone's digits so the test needs no table read, and stops at the
// page's last match. EXPLAIN QUERY PLAN checks of these plans are in the package's tests.
//
// Several Stores over one file (several processes) share the data, but this package does not
// implement omnichannel.EventRelay: an Engine's subscribers see the events of its own process only.
// Run one process per database file when live events matter, or use store/postgres.
//
// Connection credentials are stored as they are given (JSON); encrypt the file system, or wrap the
// Store, where tokens must be encrypted at rest.
package sqlite
