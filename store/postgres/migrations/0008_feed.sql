-- 0008: the durable event feed (store.FeedTx, store.FeedSequencer). A change's transaction inserts
-- its events without a position (id, from a sequence, only keeps a transaction's entries in their
-- order); positions are assigned afterwards to committed rows by the sequencer (feed.go), one at a
-- time under an advisory lock, continuing from feed_head. A sequence alone would not do: a
-- transaction holding id 5 may commit after one holding id 6 was read, and a reader past 6 would
-- never see 5.
CREATE TABLE feed_entries (
	id              bigserial PRIMARY KEY,
	position        bigint,
	workspace_id    text NOT NULL,
	kind            text NOT NULL,
	conversation_id text NOT NULL DEFAULT '',
	message_id      text NOT NULL DEFAULT '',
	connection_id   text NOT NULL DEFAULT '',
	user_id         text NOT NULL DEFAULT '',
	at              timestamptz NOT NULL,
	data            text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX feed_entries_workspace ON feed_entries (workspace_id, position) WHERE position IS NOT NULL;
CREATE INDEX feed_entries_unsequenced ON feed_entries (id) WHERE position IS NULL;
CREATE INDEX feed_entries_conversation ON feed_entries (workspace_id, conversation_id) WHERE conversation_id <> '';

-- feed_head is the last position handed out (one row).
CREATE TABLE feed_head (
	one      boolean PRIMARY KEY DEFAULT true CHECK (one),
	position bigint NOT NULL
);
INSERT INTO feed_head (one, position) VALUES (true, 0);
