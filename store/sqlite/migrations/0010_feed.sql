-- 0010: the durable event feed (store.FeedTx). Each committed change's events are inserted in the
-- change's transaction. SQLite has one writer at a time (in a process and across processes), so
-- the rowid handed out at insert follows the commit order; AUTOINCREMENT keeps it from reusing the
-- position of a pruned or deleted entry. Reads go by workspace and position.
CREATE TABLE feed_entries (
	position        INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace_id    TEXT NOT NULL,
	kind            TEXT NOT NULL,
	conversation_id TEXT NOT NULL DEFAULT '',
	message_id      TEXT NOT NULL DEFAULT '',
	connection_id   TEXT NOT NULL DEFAULT '',
	user_id         TEXT NOT NULL DEFAULT '',
	at              INTEGER NOT NULL,
	data            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX feed_entries_workspace ON feed_entries (workspace_id, position);
CREATE INDEX feed_entries_conversation ON feed_entries (workspace_id, conversation_id) WHERE conversation_id <> '';
