-- 0003: what a workspace of a million conversations needs (issue #7): maintained counters for the
-- unread badge and the connection filter, and a trigram index for the free-text search. Triggers
-- keep both up to date, whatever writes the rows (the Tx methods, BulkLoad, raw SQL); the rows that
-- exist when the migration runs are counted and indexed here.

-- Per (workspace, connection): the conversations, and those with at least one inbound message.
CREATE TABLE conversation_counts (
    workspace_id  TEXT    NOT NULL,
    connection_id TEXT    NOT NULL,
    total         INTEGER NOT NULL,
    with_inbound  INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, connection_id)
) WITHOUT ROWID;

-- Per (workspace, user, connection): the conversations with inbound messages whose read state for
-- the user is up to date (read_states.inbound_count >= conversations.inbound_count). The user's
-- unread conversations of a connection are with_inbound - up_to_date.
CREATE TABLE read_counts (
    workspace_id  TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    connection_id TEXT    NOT NULL,
    up_to_date    INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, user_id, connection_id)
) WITHOUT ROWID;

-- The read states of a conversation, for the triggers when its inbound count changes.
CREATE INDEX read_states_conversation ON read_states (workspace_id, conversation_id, inbound_count);

INSERT INTO conversation_counts (workspace_id, connection_id, total, with_inbound)
SELECT workspace_id, connection_id, COUNT(*), SUM(inbound_count > 0) FROM conversations
GROUP BY workspace_id, connection_id;

INSERT INTO read_counts (workspace_id, user_id, connection_id, up_to_date)
SELECT r.workspace_id, r.user_id, c.connection_id, COUNT(*)
FROM read_states r JOIN conversations c ON c.workspace_id = r.workspace_id AND c.id = r.conversation_id
WHERE c.inbound_count > 0 AND r.inbound_count >= c.inbound_count
GROUP BY r.workspace_id, r.user_id, c.connection_id;

-- A conversation counts in conversation_counts, and for each user whose read state is up to date
-- in read_counts. The counter rows are upserted with a delta (INSERT … SELECT needs its WHERE for
-- the upsert clause to parse).
CREATE TRIGGER conversations_count_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversation_counts (workspace_id, connection_id, total, with_inbound)
    SELECT new.workspace_id, new.connection_id, 1, new.inbound_count > 0 WHERE true
    ON CONFLICT (workspace_id, connection_id) DO UPDATE
        SET total = total + excluded.total, with_inbound = with_inbound + excluded.with_inbound;
    INSERT INTO read_counts (workspace_id, user_id, connection_id, up_to_date)
    SELECT r.workspace_id, r.user_id, new.connection_id, 1 FROM read_states r
    WHERE r.workspace_id = new.workspace_id AND r.conversation_id = new.id
        AND new.inbound_count > 0 AND r.inbound_count >= new.inbound_count
    ON CONFLICT (workspace_id, user_id, connection_id) DO UPDATE SET up_to_date = up_to_date + excluded.up_to_date;
END;

CREATE TRIGGER conversations_count_delete AFTER DELETE ON conversations BEGIN
    UPDATE conversation_counts SET total = total - 1, with_inbound = with_inbound - (old.inbound_count > 0)
    WHERE workspace_id = old.workspace_id AND connection_id = old.connection_id;
    INSERT INTO read_counts (workspace_id, user_id, connection_id, up_to_date)
    SELECT r.workspace_id, r.user_id, old.connection_id, -1 FROM read_states r
    WHERE r.workspace_id = old.workspace_id AND r.conversation_id = old.id
        AND old.inbound_count > 0 AND r.inbound_count >= old.inbound_count
    ON CONFLICT (workspace_id, user_id, connection_id) DO UPDATE SET up_to_date = up_to_date + excluded.up_to_date;
END;

-- Every UpdateConversation sets every column: the WHEN clauses keep the common update (neither the
-- inbound count nor the connection changed) free. A new inbound message on a conversation costs one
-- lookup of its read states and touches only the counter rows of the users who had read it all.
CREATE TRIGGER conversations_count_inbound AFTER UPDATE OF inbound_count ON conversations
WHEN old.inbound_count IS NOT new.inbound_count AND old.connection_id IS new.connection_id
    AND old.workspace_id IS new.workspace_id AND old.id IS new.id
BEGIN
    UPDATE conversation_counts SET with_inbound = with_inbound + (new.inbound_count > 0) - (old.inbound_count > 0)
    WHERE workspace_id = new.workspace_id AND connection_id = new.connection_id
        AND (new.inbound_count > 0) <> (old.inbound_count > 0);
    INSERT INTO read_counts (workspace_id, user_id, connection_id, up_to_date)
    SELECT workspace_id, user_id, new.connection_id, delta FROM (
        SELECT r.workspace_id, r.user_id, (new.inbound_count > 0 AND r.inbound_count >= new.inbound_count)
            - (old.inbound_count > 0 AND r.inbound_count >= old.inbound_count) AS delta
        FROM read_states r WHERE r.workspace_id = new.workspace_id AND r.conversation_id = new.id)
    WHERE delta <> 0
    ON CONFLICT (workspace_id, user_id, connection_id) DO UPDATE SET up_to_date = up_to_date + excluded.up_to_date;
END;

-- A conversation moved to another connection (or key): the old row leaves its counters, the new
-- one joins its own.
CREATE TRIGGER conversations_count_move AFTER UPDATE OF workspace_id, id, connection_id ON conversations
WHEN old.connection_id IS NOT new.connection_id OR old.workspace_id IS NOT new.workspace_id OR old.id IS NOT new.id
BEGIN
    UPDATE conversation_counts SET total = total - 1, with_inbound = with_inbound - (old.inbound_count > 0)
    WHERE workspace_id = old.workspace_id AND connection_id = old.connection_id;
    INSERT INTO conversation_counts (workspace_id, connection_id, total, with_inbound)
    SELECT new.workspace_id, new.connection_id, 1, new.inbound_count > 0 WHERE true
    ON CONFLICT (workspace_id, connection_id) DO UPDATE
        SET total = total + excluded.total, with_inbound = with_inbound + excluded.with_inbound;
    INSERT INTO read_counts (workspace_id, user_id, connection_id, up_to_date)
    SELECT r.workspace_id, r.user_id, old.connection_id, -1 FROM read_states r
    WHERE r.workspace_id = old.workspace_id AND r.conversation_id = old.id
        AND old.inbound_count > 0 AND r.inbound_count >= old.inbound_count
    ON CONFLICT (workspace_id, user_id, connection_id) DO UPDATE SET up_to_date = up_to_date + excluded.up_to_date;
    INSERT INTO read_counts (workspace_id, user_id, connection_id, up_to_date)
    SELECT r.workspace_id, r.user_id, new.connection_id, 1 FROM read_states r
    WHERE r.workspace_id = new.workspace_id AND r.conversation_id = new.id
        AND new.inbound_count > 0 AND r.inbound_count >= new.inbound_count
    ON CONFLICT (workspace_id, user_id, connection_id) DO UPDATE SET up_to_date = up_to_date + excluded.up_to_date;
END;

CREATE TRIGGER read_states_count_insert AFTER INSERT ON read_states BEGIN
    INSERT INTO read_counts (workspace_id, user_id, connection_id, up_to_date)
    SELECT new.workspace_id, new.user_id, c.connection_id, 1 FROM conversations c
    WHERE c.workspace_id = new.workspace_id AND c.id = new.conversation_id
        AND c.inbound_count > 0 AND new.inbound_count >= c.inbound_count
    ON CONFLICT (workspace_id, user_id, connection_id) DO UPDATE SET up_to_date = up_to_date + excluded.up_to_date;
END;

CREATE TRIGGER read_states_count_delete AFTER DELETE ON read_states BEGIN
    INSERT INTO read_counts (workspace_id, user_id, connection_id, up_to_date)
    SELECT old.workspace_id, old.user_id, c.connection_id, -1 FROM conversations c
    WHERE c.workspace_id = old.workspace_id AND c.id = old.conversation_id
        AND c.inbound_count > 0 AND old.inbound_count >= c.inbound_count
    ON CONFLICT (workspace_id, user_id, connection_id) DO UPDATE SET up_to_date = up_to_date + excluded.up_to_date;
END;

CREATE TRIGGER read_states_count_update AFTER UPDATE ON read_states
WHEN old.inbound_count IS NOT new.inbound_count OR old.user_id IS NOT new.user_id
    OR old.conversation_id IS NOT new.conversation_id OR old.workspace_id IS NOT new.workspace_id
BEGIN
    INSERT INTO read_counts (workspace_id, user_id, connection_id, up_to_date)
    SELECT old.workspace_id, old.user_id, c.connection_id, -1 FROM conversations c
    WHERE c.workspace_id = old.workspace_id AND c.id = old.conversation_id
        AND c.inbound_count > 0 AND old.inbound_count >= c.inbound_count
    ON CONFLICT (workspace_id, user_id, connection_id) DO UPDATE SET up_to_date = up_to_date + excluded.up_to_date;
    INSERT INTO read_counts (workspace_id, user_id, connection_id, up_to_date)
    SELECT new.workspace_id, new.user_id, c.connection_id, 1 FROM conversations c
    WHERE c.workspace_id = new.workspace_id AND c.id = new.conversation_id
        AND c.inbound_count > 0 AND new.inbound_count >= c.inbound_count
    ON CONFLICT (workspace_id, user_id, connection_id) DO UPDATE SET up_to_date = up_to_date + excluded.up_to_date;
END;

-- The free-text search: a trigram index over the folded name and the phone digits, the columns
-- ListConversations searches with instr(). Trigrams match any substring of three characters or
-- more; the columns are folded already, so the index compares them as they are. It indexes the
-- conversations table by rowid and stores no copy of the text.
CREATE VIRTUAL TABLE conversations_search USING fts5 (
    contact_name_fold, contact_phone_digits,
    content = 'conversations', content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 1', columnsize = 0
);

INSERT INTO conversations_search (conversations_search) VALUES ('rebuild');

CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_search (rowid, contact_name_fold, contact_phone_digits)
    VALUES (new.rowid, new.contact_name_fold, new.contact_phone_digits);
END;

CREATE TRIGGER conversations_search_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO conversations_search (conversations_search, rowid, contact_name_fold, contact_phone_digits)
    VALUES ('delete', old.rowid, old.contact_name_fold, old.contact_phone_digits);
END;

CREATE TRIGGER conversations_search_update AFTER UPDATE OF contact_name_fold, contact_phone_digits ON conversations
WHEN old.contact_name_fold IS NOT new.contact_name_fold OR old.contact_phone_digits IS NOT new.contact_phone_digits
BEGIN
    INSERT INTO conversations_search (conversations_search, rowid, contact_name_fold, contact_phone_digits)
    VALUES ('delete', old.rowid, old.contact_name_fold, old.contact_phone_digits);
    INSERT INTO conversations_search (rowid, contact_name_fold, contact_phone_digits)
    VALUES (new.rowid, new.contact_name_fold, new.contact_phone_digits);
END;
