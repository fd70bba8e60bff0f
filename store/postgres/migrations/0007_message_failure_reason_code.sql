-- 0007: a failed message keeps the stable code of its failure (omnichannel.Failure*: token_missing,
-- not_follower, outside_window, …) beside the provider's own code (failure_code) and the English
-- explanation (failure_reason), so an interface can say it in the agent's language (issue #18).
-- Messages failed before this migration have none: interfaces fall back to a generic text.
ALTER TABLE messages ADD COLUMN failure_reason_code TEXT NOT NULL DEFAULT '';
