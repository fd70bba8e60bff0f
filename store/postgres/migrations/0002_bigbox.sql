-- dakenh store/postgres, version 2: a big inbox (a million conversations) stays fast.
--
-- 1. Unread counters. The inbox badge (Tx.CountUnread for a viewer over a set of connections) reads
--    a few counter rows instead of counting a million conversations:
--      user_id = ''      n = conversations of the connection with inbound_count > 0
--      user_id = <user>  n = those of them the user has read up to date (read_states.inbound_count ≥
--                        the conversation's inbound_count)
--    unread(user, connections) = Σ (n of '' − n of user). Triggers keep them exact for every write,
--    COPY included. Each counter is split over 16 slots (the writing backend's pid mod 16) and summed
--    on read, so that concurrent writers do not queue on one hot row until their commits.
CREATE TABLE unread_counters (
    workspace_id  text NOT NULL,
    user_id       text NOT NULL,
    connection_id text NOT NULL,
    slot          smallint NOT NULL,
    n             bigint NOT NULL,
    PRIMARY KEY (workspace_id, user_id, connection_id, slot)
);

-- The triggers add deltas with this statement shape: the (workspace_id, user_id, connection_id, d)
-- rows of a query, summed per counter, added to the writing backend's slot.
--
-- New conversations (statement level: one pass per INSERT or COPY).
CREATE FUNCTION unread_conversations_inserted() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO unread_counters AS u (workspace_id, user_id, connection_id, slot, n)
    SELECT x.workspace_id, x.user_id, x.connection_id, (pg_backend_pid() % 16)::smallint, count(*)
    FROM (
        SELECT n.workspace_id, '' AS user_id, n.connection_id FROM new_rows n WHERE n.inbound_count > 0
        UNION ALL
        SELECT n.workspace_id, r.user_id, n.connection_id FROM new_rows n
        JOIN read_states r ON r.workspace_id = n.workspace_id AND r.conversation_id = n.id
        WHERE n.inbound_count > 0 AND r.inbound_count >= n.inbound_count
    ) x
    GROUP BY 1, 2, 3
    ON CONFLICT (workspace_id, user_id, connection_id, slot) DO UPDATE SET n = u.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE TRIGGER unread_conversations_inserted AFTER INSERT ON conversations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION unread_conversations_inserted();

-- A conversation whose inbound count or connection changed (row level: most updates change
-- neither and skip the trigger), or that was deleted. The read states are the current ones: a
-- concurrent read-state writer waits for this row (FOR SHARE below), so each change is counted
-- against the other's committed value.
CREATE FUNCTION unread_conversation_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO unread_counters AS u (workspace_id, user_id, connection_id, slot, n)
    SELECT x.workspace_id, x.user_id, x.connection_id, (pg_backend_pid() % 16)::smallint, sum(x.d)
    FROM (
        SELECT OLD.workspace_id, '' AS user_id, OLD.connection_id, -1 AS d WHERE OLD.inbound_count > 0
        UNION ALL
        SELECT OLD.workspace_id, r.user_id, OLD.connection_id, -1 FROM read_states r
        WHERE OLD.inbound_count > 0 AND r.workspace_id = OLD.workspace_id AND r.conversation_id = OLD.id
            AND r.inbound_count >= OLD.inbound_count
        UNION ALL
        SELECT NEW.workspace_id, '', NEW.connection_id, 1 WHERE TG_OP = 'UPDATE' AND NEW.inbound_count > 0
        UNION ALL
        SELECT NEW.workspace_id, r.user_id, NEW.connection_id, 1 FROM read_states r
        WHERE TG_OP = 'UPDATE' AND NEW.inbound_count > 0 AND r.workspace_id = NEW.workspace_id
            AND r.conversation_id = NEW.id AND r.inbound_count >= NEW.inbound_count
    ) x
    GROUP BY 1, 2, 3
    HAVING sum(x.d) <> 0
    ON CONFLICT (workspace_id, user_id, connection_id, slot) DO UPDATE SET n = u.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE TRIGGER unread_conversation_updated AFTER UPDATE ON conversations FOR EACH ROW
    WHEN (OLD.inbound_count IS DISTINCT FROM NEW.inbound_count OR OLD.connection_id IS DISTINCT FROM NEW.connection_id)
    EXECUTE FUNCTION unread_conversation_changed();
CREATE TRIGGER unread_conversation_deleted AFTER DELETE ON conversations FOR EACH ROW
    EXECUTE FUNCTION unread_conversation_changed();

-- New read states (statement level, for COPY). The conversation rows are locked FOR SHARE: a
-- concurrent transaction that changes an inbound count is waited for, and then seen.
CREATE FUNCTION unread_read_states_inserted() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO unread_counters AS u (workspace_id, user_id, connection_id, slot, n)
    SELECT x.workspace_id, x.user_id, x.connection_id, (pg_backend_pid() % 16)::smallint, count(*)
    FROM (
        SELECT c.workspace_id, n.user_id, c.connection_id
        FROM new_rows n JOIN conversations c ON c.workspace_id = n.workspace_id AND c.id = n.conversation_id
        WHERE c.inbound_count > 0 AND n.inbound_count >= c.inbound_count
        FOR SHARE OF c
    ) x
    GROUP BY 1, 2, 3
    ON CONFLICT (workspace_id, user_id, connection_id, slot) DO UPDATE SET n = u.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE TRIGGER unread_read_states_inserted AFTER INSERT ON read_states
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION unread_read_states_inserted();

-- A read state moved (an upsert's update) or was deleted.
CREATE FUNCTION unread_read_state_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    conv_connection text;
    conv_inbound bigint;
    was boolean;
    now_up boolean := false;
BEGIN
    SELECT c.connection_id, c.inbound_count INTO conv_connection, conv_inbound FROM conversations c
    WHERE c.workspace_id = OLD.workspace_id AND c.id = OLD.conversation_id FOR SHARE;
    IF NOT FOUND OR conv_inbound <= 0 THEN
        RETURN NULL;
    END IF;
    was := OLD.inbound_count >= conv_inbound;
    IF TG_OP = 'UPDATE' THEN
        now_up := NEW.inbound_count >= conv_inbound;
    END IF;
    IF was <> now_up THEN
        INSERT INTO unread_counters AS u (workspace_id, user_id, connection_id, slot, n)
        VALUES (OLD.workspace_id, OLD.user_id, conv_connection, (pg_backend_pid() % 16)::smallint,
            CASE WHEN now_up THEN 1 ELSE -1 END)
        ON CONFLICT (workspace_id, user_id, connection_id, slot) DO UPDATE SET n = u.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER unread_read_state_updated AFTER UPDATE ON read_states FOR EACH ROW
    WHEN (OLD.inbound_count IS DISTINCT FROM NEW.inbound_count)
    EXECUTE FUNCTION unread_read_state_changed();
CREATE TRIGGER unread_read_state_deleted AFTER DELETE ON read_states FOR EACH ROW
    EXECUTE FUNCTION unread_read_state_changed();

-- Counters of the rows already stored.
INSERT INTO unread_counters (workspace_id, user_id, connection_id, slot, n)
SELECT workspace_id, '', connection_id, 0, count(*) FROM conversations WHERE inbound_count > 0
GROUP BY workspace_id, connection_id;
INSERT INTO unread_counters (workspace_id, user_id, connection_id, slot, n)
SELECT c.workspace_id, r.user_id, c.connection_id, 0, count(*)
FROM conversations c JOIN read_states r ON r.workspace_id = c.workspace_id AND r.conversation_id = c.id
WHERE c.inbound_count > 0 AND r.inbound_count >= c.inbound_count
GROUP BY c.workspace_id, r.user_id, c.connection_id;

-- 2. Search. Trigram indexes (pg_trgm) on the folded contact name and on the phone's digits serve
--    rare search terms (ListConversations probes the ordered list first, which serves common ones).
--    pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: a database owner may create
--    it. It is created once per database, in the schema "public" when it exists; where it cannot be
--    created the indexes are left out and search scans the list in order, as before.
CREATE FUNCTION phone_digits(phone text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN left(phone, 1) = '+' THEN substr(phone, 2) ELSE phone END
$$;

DO $$
DECLARE
    ext_schema text;
BEGIN
    PERFORM pg_advisory_xact_lock(7290315836451110101); -- one extension creator per database
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NULL THEN
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN
                CREATE EXTENSION pg_trgm SCHEMA public;
                ext_schema := 'public';
            END IF;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'dakenh: pg_trgm is not available (%); search scans the list in order', SQLERRM;
        END;
    END IF;
    IF ext_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX conversations_name_trgm ON conversations USING gin (contact_name_folded %I.gin_trgm_ops)', ext_schema);
        EXECUTE format('CREATE INDEX conversations_phone_trgm ON conversations USING gin (phone_digits(contact_phone) %I.gin_trgm_ops) WHERE contact_phone <> %L', ext_schema, '');
    END IF;
END $$;

-- 3. List filters combined with the status (the inbox's usual "open" view).
CREATE INDEX conversations_status_assignee ON conversations (workspace_id, status, assignee_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_status_connection ON conversations (workspace_id, status, connection_id, last_message_at DESC, id DESC);

-- 4. The "read" filter of a user who has read few of the conversations is answered from that user's
--    read states (and the conversations without customer messages), not by walking the whole list.
CREATE INDEX read_states_user ON read_states (workspace_id, user_id, conversation_id);
CREATE INDEX conversations_no_inbound ON conversations (workspace_id, last_message_at DESC, id DESC) WHERE inbound_count = 0;
