-- 0005: fewer list indexes to re-key per message (issue #7).
--
-- Every new message moves its conversation in each list index, because they all end with the sort
-- key (last_message_at): that re-keying was the largest part of the writer's work per message.
--
-- 1. The list indexes of the sparse filters hold only the rows that have a value. Most
--    conversations have no team, category or classification, and a filter on one of those never
--    asks for the empty value (the list query adds "<column> <> ''" when every value it asks for
--    is non-empty, which lets SQLite use these partial indexes), so those rows need no entry.
-- 2. A contact has a handful of conversations (one per identity and connection): its interaction
--    history is found by (workspace_id, contact_id) and sorted, with no sort key in the index.
--
-- A message to a conversation without team, category and classification now re-keys 6 list
-- indexes instead of 12.
DROP INDEX conversations_by_team;
DROP INDEX conversations_by_category1;
DROP INDEX conversations_by_category2;
DROP INDEX conversations_by_category3;
DROP INDEX conversations_by_classification;
CREATE INDEX conversations_by_team ON conversations
    (workspace_id, team_id, last_message_at DESC, id DESC) WHERE team_id <> '';
CREATE INDEX conversations_by_category1 ON conversations
    (workspace_id, category1, last_message_at DESC, id DESC) WHERE category1 <> '';
CREATE INDEX conversations_by_category2 ON conversations
    (workspace_id, category2, last_message_at DESC, id DESC) WHERE category2 <> '';
CREATE INDEX conversations_by_category3 ON conversations
    (workspace_id, category3, last_message_at DESC, id DESC) WHERE category3 <> '';
CREATE INDEX conversations_by_classification ON conversations
    (workspace_id, classification_id, last_message_at DESC, id DESC) WHERE classification_id <> '';
DROP INDEX conversations_by_contact;
CREATE INDEX conversations_by_contact ON conversations (workspace_id, contact_id);
