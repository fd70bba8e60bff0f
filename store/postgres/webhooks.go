package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/seal"
)

// Outgoing webhooks (store.WebhookTx, migration 0009): each endpoint is a JSON document beside the
// columns its queries use; its secret is sealed with the Keyring when the store has one, bound to
// the endpoint's workspace and id.

func webhookSecretAD(workspaceID, id string) []byte {
	return []byte("webhook-endpoint-secret\x00" + workspaceID + "\x00" + id)
}

// webhookDoc is w's stored document, its secret sealed.
func (t *txn) webhookDoc(w *omnichannel.WebhookEndpoint) ([]byte, error) {
	stored := *w
	if s := t.sealer; s != nil && s.keys != nil {
		sealed, err := s.keys.Seal([]byte(w.Secret), webhookSecretAD(w.WorkspaceID, w.ID))
		if err != nil {
			return nil, fmt.Errorf("postgres: sealing the secret of webhook endpoint %q: %w", w.ID, err)
		}
		stored.Secret = omnichannel.WebhookSecret(sealed)
	}
	return json.Marshal(stored)
}

// scanWebhook decodes a stored document, opening its secret.
func (t *txn) scanWebhook(row pgx.Row) (*omnichannel.WebhookEndpoint, error) {
	var doc []byte
	if err := row.Scan(&doc); err != nil {
		return nil, err
	}
	var w omnichannel.WebhookEndpoint
	if err := json.Unmarshal(doc, &w); err != nil {
		return nil, err
	}
	if secret := string(w.Secret); seal.IsSealed(secret) {
		var keys *seal.Keyring
		if t.sealer != nil {
			keys = t.sealer.keys
		}
		plain, err := keys.Open(secret, webhookSecretAD(w.WorkspaceID, w.ID))
		if err != nil {
			return nil, fmt.Errorf("webhook endpoint %q: %w: %w", w.ID, ErrSealed, err)
		}
		w.Secret = omnichannel.WebhookSecret(plain)
	}
	return &w, nil
}

// InsertWebhookEndpoint stores a new endpoint (store.WebhookTx).
func (t *txn) InsertWebhookEndpoint(w *omnichannel.WebhookEndpoint) error {
	if err := t.writing(); err != nil {
		return err
	}
	doc, err := t.webhookDoc(w)
	if err != nil {
		return err
	}
	_, err = t.guarded("insert webhook endpoint", "webhook endpoint", "id "+w.ID,
		`INSERT INTO webhook_endpoints (workspace_id, id, enabled, version, doc) VALUES ($1, $2, $3, $4, $5)`,
		w.WorkspaceID, w.ID, w.Enabled, w.Version, doc)
	return err
}

// GetWebhookEndpoint returns the endpoint (store.WebhookTx).
func (t *txn) GetWebhookEndpoint(workspaceID, id string) (*omnichannel.WebhookEndpoint, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return get(t, "get webhook endpoint", "webhook endpoint", id,
		`SELECT doc FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2`, t.scanWebhook, workspaceID, id)
}

// ListWebhookEndpoints returns the workspace's endpoints by id (store.WebhookTx).
func (t *txn) ListWebhookEndpoints(workspaceID string) ([]*omnichannel.WebhookEndpoint, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return list(t, "list webhook endpoints", `SELECT doc FROM webhook_endpoints WHERE workspace_id = $1 ORDER BY id`,
		t.scanWebhook, workspaceID)
}

// ListEnabledWebhookEndpoints returns every workspace's enabled endpoints (store.WebhookTx).
func (t *txn) ListEnabledWebhookEndpoints() ([]*omnichannel.WebhookEndpoint, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return list(t, "list enabled webhook endpoints",
		`SELECT doc FROM webhook_endpoints WHERE enabled ORDER BY workspace_id, id`, t.scanWebhook)
}

// UpdateWebhookEndpoint replaces the endpoint when its Version matches (store.WebhookTx).
func (t *txn) UpdateWebhookEndpoint(w *omnichannel.WebhookEndpoint) error {
	if err := t.writing(); err != nil {
		return err
	}
	next := *w
	next.Version++
	doc, err := t.webhookDoc(&next)
	if err != nil {
		return err
	}
	var stored int64
	err = t.tx.QueryRow(t.ctx, `WITH u AS (
			UPDATE webhook_endpoints SET enabled = $3, version = version + 1, doc = $4
			WHERE workspace_id = $1 AND id = $2 AND version = $5 RETURNING version)
		SELECT coalesce((SELECT version FROM u), -1 - coalesce((SELECT version FROM webhook_endpoints
			WHERE workspace_id = $1 AND id = $2), -1))`,
		w.WorkspaceID, w.ID, w.Enabled, doc, w.Version).Scan(&stored)
	switch {
	case err != nil:
		return t.fail("update webhook endpoint", err)
	case stored == 0:
		return notFound("webhook endpoint", w.ID)
	case stored < 0:
		return conflict("webhook endpoint", w.ID, w.Version, -1-stored)
	}
	w.Version++
	return nil
}

// DeleteWebhookEndpoint removes the endpoint and its log (store.WebhookTx).
func (t *txn) DeleteWebhookEndpoint(workspaceID, id string) error {
	if err := t.writing(); err != nil {
		return err
	}
	tag, err := t.exec("delete webhook endpoint", `DELETE FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("webhook endpoint", id)
	}
	_, err = t.exec("delete webhook deliveries", `DELETE FROM webhook_deliveries WHERE workspace_id = $1 AND endpoint_id = $2`,
		workspaceID, id)
	return err
}

// InsertWebhookDelivery appends to an endpoint's log (store.WebhookTx).
func (t *txn) InsertWebhookDelivery(d *omnichannel.WebhookDelivery) error {
	if err := t.writing(); err != nil {
		return err
	}
	doc, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = t.guarded("insert webhook delivery", "webhook delivery", "id "+d.ID,
		`INSERT INTO webhook_deliveries (workspace_id, endpoint_id, id, at, doc) VALUES ($1, $2, $3, $4, $5)`,
		d.WorkspaceID, d.EndpointID, d.ID, d.At, doc)
	return err
}

func scanDelivery(row pgx.Row) (*omnichannel.WebhookDelivery, error) {
	var doc []byte
	if err := row.Scan(&doc); err != nil {
		return nil, err
	}
	var d omnichannel.WebhookDelivery
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	d.At = d.At.UTC()
	return &d, nil
}

// ListWebhookDeliveries returns the endpoint's newest log entries (store.WebhookTx).
func (t *txn) ListWebhookDeliveries(workspaceID, endpointID string, limit int) ([]*omnichannel.WebhookDelivery, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return list(t, "list webhook deliveries", `SELECT doc FROM webhook_deliveries
		WHERE workspace_id = $1 AND endpoint_id = $2 ORDER BY at DESC, id DESC LIMIT $3`,
		scanDelivery, workspaceID, endpointID, max(limit, 0))
}

// PruneWebhookDeliveries removes log entries older than before (store.WebhookTx).
func (t *txn) PruneWebhookDeliveries(before time.Time, limit int) (int, error) {
	if err := t.writing(); err != nil {
		return 0, err
	}
	tag, err := t.exec("prune webhook deliveries", `DELETE FROM webhook_deliveries WHERE (workspace_id, id) IN (
		SELECT workspace_id, id FROM webhook_deliveries WHERE at < $1 ORDER BY at LIMIT $2)`, before, max(limit, 0))
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}
