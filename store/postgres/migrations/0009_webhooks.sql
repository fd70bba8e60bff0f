-- 0009: outgoing webhooks (store.WebhookTx): each workspace's endpoints with their delivery state,
-- and each endpoint's delivery log. The endpoint's document holds its secret sealed with the
-- store's Keyring when it has one.
CREATE TABLE webhook_endpoints (
	workspace_id text NOT NULL,
	id           text NOT NULL,
	enabled      boolean NOT NULL,
	version      bigint NOT NULL,
	doc          jsonb NOT NULL,
	PRIMARY KEY (workspace_id, id)
);
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (workspace_id, id) WHERE enabled;

CREATE TABLE webhook_deliveries (
	workspace_id text NOT NULL,
	endpoint_id  text NOT NULL,
	id           text NOT NULL,
	at           timestamptz NOT NULL,
	doc          jsonb NOT NULL,
	PRIMARY KEY (workspace_id, id)
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (workspace_id, endpoint_id, at);
CREATE INDEX webhook_deliveries_at ON webhook_deliveries (at);
