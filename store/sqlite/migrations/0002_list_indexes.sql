-- 0002: indexes for the conversation list (SPEC A1, A3). Every list is ordered newest first,
-- (last_message_at DESC, id DESC), and paged by keyset on those two columns, so each filter gets an
-- index that leads with the workspace and the filtered column and ends with the sort key: a page
-- with one value of that filter is an index range read in order, with no sort.

-- No filter, the unread filter and count, and the free-text search: inbound_count and the search
-- columns ride along so those tests can run on the index entry, before the table row is read, and
-- the unread count of a workspace is answered from this index alone.
CREATE INDEX conversations_list ON conversations
    (workspace_id, last_message_at DESC, id DESC, inbound_count, contact_name_fold, contact_phone_digits);
CREATE INDEX conversations_by_status ON conversations
    (workspace_id, status, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_channel ON conversations
    (workspace_id, channel_kind, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_assignee ON conversations
    (workspace_id, assignee_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_team ON conversations
    (workspace_id, team_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_category1 ON conversations
    (workspace_id, category1, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_category2 ON conversations
    (workspace_id, category2, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_category3 ON conversations
    (workspace_id, category3, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_classification ON conversations
    (workspace_id, classification_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_connection ON conversations
    (workspace_id, connection_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_contact ON conversations
    (workspace_id, contact_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_awaiting_claim ON conversations
    (workspace_id, last_message_at DESC, id DESC) WHERE awaiting_claim = 1;
-- CountOpenAssigned (least-loaded routing).
CREATE INDEX conversations_open_by_assignee ON conversations
    (workspace_id, assignee_id) WHERE status = 'open';
