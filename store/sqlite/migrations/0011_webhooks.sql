-- 0011: outgoing webhooks (store.WebhookTx): each workspace's endpoints with their delivery state
-- (the feed position delivered up to, the failures in a row), and each endpoint's delivery log.
-- The secret is sealed with the store's Keyring when it has one.
CREATE TABLE webhook_endpoints (
	workspace_id    TEXT NOT NULL,
	id              TEXT NOT NULL,
	url             TEXT NOT NULL,
	secret          TEXT NOT NULL,
	kinds           TEXT NOT NULL DEFAULT 'null',
	enabled         INTEGER NOT NULL,
	feed_cursor     INTEGER NOT NULL DEFAULT 0,
	failures        INTEGER NOT NULL DEFAULT 0,
	failing_since   INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	disabled_reason TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	version         INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, id)
);
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (enabled) WHERE enabled = 1;

CREATE TABLE webhook_deliveries (
	workspace_id   TEXT NOT NULL,
	endpoint_id    TEXT NOT NULL,
	id             TEXT NOT NULL,
	at             INTEGER NOT NULL,
	first_position INTEGER NOT NULL,
	last_position  INTEGER NOT NULL,
	events         INTEGER NOT NULL,
	attempt        INTEGER NOT NULL,
	status_code    INTEGER NOT NULL,
	duration_us    INTEGER NOT NULL,
	error_class    TEXT NOT NULL,
	response       TEXT NOT NULL,
	PRIMARY KEY (workspace_id, id)
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (workspace_id, endpoint_id, at);
CREATE INDEX webhook_deliveries_at ON webhook_deliveries (at);
