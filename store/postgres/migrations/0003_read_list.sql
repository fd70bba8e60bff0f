-- dakenh store/postgres, version 3: the "read" and category filters of the conversation list (issue #7).
--
-- A user has read a few percent of a big workspace, so walking the list in order to find the read
-- conversations reads thousands of rows per page. Each read state now carries a copy of its
-- conversation's sort key (last_message_at), and a user's read states are indexed in list order:
-- a page of read conversations is a range scan of that index, each row joined to its conversation
-- by key (query.go). The conversations without customer messages come from
-- conversations_no_inbound (version 2). Triggers keep the copy equal to the conversation's value
-- for every write, COPY included; the read states that exist now are filled in here.

ALTER TABLE read_states ADD COLUMN last_message_at timestamptz;

UPDATE read_states r SET last_message_at = c.last_message_at
FROM conversations c
WHERE c.workspace_id = r.workspace_id AND c.id = r.conversation_id;

-- Every read state has a conversation (foreign key), so every row has its copy now.
ALTER TABLE read_states ALTER COLUMN last_message_at SET NOT NULL;

-- A user's read states in list order (last_message_at DESC, conversation id DESC).
CREATE INDEX read_states_by_time ON read_states (workspace_id, user_id, last_message_at DESC, conversation_id DESC);
-- The lookup of one read state by its whole key (the unread test of every listed row) goes to
-- read_states_user, not to the list index above, which would scan the user's read states: without
-- statistics (a fresh table) the planner sees a tie, which it settles for the index created last.
DROP INDEX read_states_user;
CREATE INDEX read_states_user ON read_states (workspace_id, user_id, conversation_id);

-- A new read state (or one moved to another conversation) takes its conversation's time, whatever
-- the statement says: the writers need not know the column.
CREATE FUNCTION read_state_time() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    SELECT c.last_message_at INTO NEW.last_message_at FROM conversations c
    WHERE c.workspace_id = NEW.workspace_id AND c.id = NEW.conversation_id;
    IF NEW.last_message_at IS NULL THEN
        NEW.last_message_at := 'epoch'; -- no conversation: the foreign key refuses the row
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER read_state_time_inserted BEFORE INSERT ON read_states FOR EACH ROW
    EXECUTE FUNCTION read_state_time();
CREATE TRIGGER read_state_time_moved BEFORE UPDATE ON read_states FOR EACH ROW
    WHEN (OLD.workspace_id IS DISTINCT FROM NEW.workspace_id OR OLD.conversation_id IS DISTINCT FROM NEW.conversation_id)
    EXECUTE FUNCTION read_state_time();

-- A conversation's new activity moves its read states in the list order (row level: an update
-- that keeps the time skips the trigger). The read states are found by the primary key's prefix
-- (workspace_id, conversation_id).
CREATE FUNCTION conversation_time_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE read_states SET last_message_at = NEW.last_message_at
    WHERE workspace_id = NEW.workspace_id AND conversation_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER conversation_time_updated AFTER UPDATE ON conversations FOR EACH ROW
    WHEN (OLD.last_message_at IS DISTINCT FROM NEW.last_message_at)
    EXECUTE FUNCTION conversation_time_changed();

-- The category filter (query: categorylist.go). Each of the three levels of the path gets an
-- ordered index of the list, on the rows that have that level, so that a page of one category is an
-- ordered range scan per level instead of a walk of the list that tests every row.
CREATE INDEX conversations_category1 ON conversations (workspace_id, (category_path[1]), last_message_at DESC, id DESC)
    WHERE category_path[1] IS NOT NULL;
CREATE INDEX conversations_category2 ON conversations (workspace_id, (category_path[2]), last_message_at DESC, id DESC)
    WHERE category_path[2] IS NOT NULL;
CREATE INDEX conversations_category3 ON conversations (workspace_id, (category_path[3]), last_message_at DESC, id DESC)
    WHERE category_path[3] IS NOT NULL;
