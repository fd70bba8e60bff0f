// Package store is the contract between the omnichannel engine and the databases that keep its
// data, in the manner of database/sql/driver: a store implements Store (transactions) and Tx (the
// reads and writes the engine needs, grouped in role interfaces such as ConversationTx or
// RoutingTx), and store/storetest checks an implementation against this contract. The domain types
// the contract speaks of live in package model, a leaf package, so a store imports model and store
// and never the engine.
//
// Beyond Tx a store may offer optional capabilities, each checked by storetest on every store that
// has it:
//   - GroupCommitter: the webhook ingest's updates applied in groups (store/postgres folds them into
//     multi-row statements);
//   - BulkLoader: importing records without the engine's rules (seeding, migrations);
//   - EventRelay: events carried between engine processes that share the database
//     (store/postgres: LISTEN/NOTIFY). The engine takes its relay from omnichannel.Config.Relay and
//     falls back to the store's own.
//
// Reads of several things at once go through one mechanism, BatchReader: the engine describes each
// lookup as a Read (UserRead, ConversationContextRead, CustomerThreadRead, ReadPositionsRead, …)
// and a store answers the kinds it knows in one round trip, or all of them one after the other with
// ReadSequentially. A wrapper around a Tx forwards ReadBatch like any other method, so batching
// survives tracing or caching wrappers.
//
// Implementations: store/memory (tests and demos), store/sqlite (one file, group commit) and
// store/postgres (several engine processes on one database).
package store
