-- 0004: the "read" filter of the conversation list (issue #7). A user has read a few percent of a
-- big workspace, so walking the list in order to find the read conversations reads thousands of
-- rows per page. Instead, each read state carries a copy of its conversation's sort key
-- (last_message_at), and the user's read states are indexed in list order: a page of read
-- conversations is a range read of that index, each row joined to its conversation by key. The
-- conversations without customer messages (read by everyone, with or without a read state) come
-- from a small partial index. Triggers keep the copy equal to the conversation's value whatever
-- writes the rows; the read states that exist when the migration runs are filled in here.

ALTER TABLE read_states ADD COLUMN last_message_at INTEGER NOT NULL DEFAULT 0;

UPDATE read_states SET last_message_at = c.last_message_at
FROM conversations c
WHERE c.workspace_id = read_states.workspace_id AND c.id = read_states.conversation_id;

-- A user's read states in list order (last_message_at DESC, conversation id DESC).
CREATE INDEX read_states_by_time ON read_states
    (workspace_id, user_id, last_message_at DESC, conversation_id DESC);

-- The conversations without customer messages: "read" for every viewer.
CREATE INDEX conversations_no_inbound ON conversations
    (workspace_id, last_message_at DESC, id DESC) WHERE inbound_count = 0;

-- A conversation's new activity moves its read states in the list order. The read states are
-- found by read_states_conversation (migration 3); the common update (the time did not change)
-- skips the trigger.
CREATE TRIGGER conversations_read_states_time AFTER UPDATE OF last_message_at ON conversations
WHEN old.last_message_at IS NOT new.last_message_at
BEGIN
    UPDATE read_states SET last_message_at = new.last_message_at
    WHERE workspace_id = new.workspace_id AND conversation_id = new.id;
END;

-- A read state written without the copy (or with a stale one, or moved to another conversation)
-- gets it from its conversation. The store's own statements write the right value, so for them
-- this is one lookup by key. A missing conversation leaves the row as it is (the foreign key
-- reports it).
CREATE TRIGGER read_states_time_insert AFTER INSERT ON read_states
WHEN new.last_message_at IS NOT COALESCE((SELECT c.last_message_at FROM conversations c
    WHERE c.workspace_id = new.workspace_id AND c.id = new.conversation_id), new.last_message_at)
BEGIN
    UPDATE read_states SET last_message_at = (SELECT c.last_message_at FROM conversations c
        WHERE c.workspace_id = new.workspace_id AND c.id = new.conversation_id)
    WHERE workspace_id = new.workspace_id AND user_id = new.user_id AND conversation_id = new.conversation_id;
END;

CREATE TRIGGER read_states_time_move AFTER UPDATE OF workspace_id, conversation_id ON read_states
WHEN new.last_message_at IS NOT COALESCE((SELECT c.last_message_at FROM conversations c
    WHERE c.workspace_id = new.workspace_id AND c.id = new.conversation_id), new.last_message_at)
BEGIN
    UPDATE read_states SET last_message_at = (SELECT c.last_message_at FROM conversations c
        WHERE c.workspace_id = new.workspace_id AND c.id = new.conversation_id)
    WHERE workspace_id = new.workspace_id AND user_id = new.user_id AND conversation_id = new.conversation_id;
END;
