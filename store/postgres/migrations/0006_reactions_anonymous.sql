-- Reactions on messages (omnichannel.Message.Reactions; existing messages have none) and what
-- replies to anonymous customers need (omnichannel.Identity.Anonymous and ProviderConversationID:
-- Zalo's anonymous_send_* users are answered with their conversation id). Earlier versions dropped
-- the conversation id and did not mark anonymous users, so nothing can be recovered for existing
-- identities: they stay ordinary until the customer writes again, whose message carries both.
-- ADD COLUMN with a constant default rewrites no row.
ALTER TABLE messages ADD COLUMN reactions jsonb NOT NULL DEFAULT '[]';
ALTER TABLE identities ADD COLUMN anonymous boolean NOT NULL DEFAULT false;
ALTER TABLE identities ADD COLUMN provider_conversation_id text NOT NULL DEFAULT '';
