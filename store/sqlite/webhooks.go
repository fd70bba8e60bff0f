package sqlite

import (
	"fmt"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/seal"
)

// Outgoing webhooks (store.WebhookTx, migration 0011). An endpoint's secret is sealed with the
// Keyring when the store has one, bound to its workspace and id.

func webhookSecretAD(workspaceID, id string) []byte {
	return []byte("webhook-endpoint-secret\x00" + workspaceID + "\x00" + id)
}

const webhookColumns = `workspace_id, id, url, secret, kinds, enabled, feed_cursor, failures, failing_since,
	next_attempt_at, disabled_reason, created_at, updated_at, version`

// webhookArgs are w's column values, its secret sealed.
func (t *txn) webhookArgs(w *omnichannel.WebhookEndpoint) ([]any, error) {
	secret := string(w.Secret)
	if t.keys != nil {
		sealed, err := t.keys.Seal([]byte(secret), webhookSecretAD(w.WorkspaceID, w.ID))
		if err != nil {
			return nil, fmt.Errorf("sqlite: sealing the secret of webhook endpoint %q: %w", w.ID, err)
		}
		secret = sealed
	}
	kinds, err := jsonText(w.Kinds)
	return []any{w.WorkspaceID, w.ID, w.URL, secret, kinds, boolInt(w.Enabled), w.Cursor, w.Failures,
		micros(w.FailingSince), micros(w.NextAttemptAt), w.DisabledReason, micros(w.CreatedAt), micros(w.UpdatedAt),
		w.Version}, err
}

// scanWebhook decodes a row of webhookColumns, opening its secret.
func (t *txn) scanWebhook(sc scanner) (*omnichannel.WebhookEndpoint, error) {
	var w omnichannel.WebhookEndpoint
	var secret, kinds string
	var enabled int64
	var failing, next, created, updated int64
	if err := sc.Scan(&w.WorkspaceID, &w.ID, &w.URL, &secret, &kinds, &enabled, &w.Cursor, &w.Failures, &failing,
		&next, &w.DisabledReason, &created, &updated, &w.Version); err != nil {
		return nil, err
	}
	w.Enabled = enabled != 0
	w.FailingSince, w.NextAttemptAt, w.CreatedAt, w.UpdatedAt = fromMicros(failing), fromMicros(next), fromMicros(created), fromMicros(updated)
	if seal.IsSealed(secret) {
		plain, err := t.keys.Open(secret, webhookSecretAD(w.WorkspaceID, w.ID))
		if err != nil {
			return nil, fmt.Errorf("sqlite: opening the secret of webhook endpoint %q: %w", w.ID, err)
		}
		secret = string(plain)
	}
	w.Secret = omnichannel.WebhookSecret(secret)
	return &w, fromJSON(kinds, &w.Kinds)
}

// InsertWebhookEndpoint stores a new endpoint (store.WebhookTx).
func (t *txn) InsertWebhookEndpoint(w *omnichannel.WebhookEndpoint) error {
	if err := t.writing(); err != nil {
		return err
	}
	args, err := t.webhookArgs(w)
	if err != nil {
		return err
	}
	if _, err := t.q.exec(`INSERT INTO webhook_endpoints (`+webhookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		args...); err != nil {
		return writeError("insert webhook endpoint", err)
	}
	return nil
}

// GetWebhookEndpoint returns the endpoint (store.WebhookTx).
func (t *txn) GetWebhookEndpoint(workspaceID, id string) (*omnichannel.WebhookEndpoint, error) {
	return getOne(t, t.scanWebhook, "webhook endpoint", id,
		`SELECT `+webhookColumns+` FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// ListWebhookEndpoints returns the workspace's endpoints by id (store.WebhookTx).
func (t *txn) ListWebhookEndpoints(workspaceID string) ([]*omnichannel.WebhookEndpoint, error) {
	return getAll(t, t.scanWebhook, "webhook endpoints",
		`SELECT `+webhookColumns+` FROM webhook_endpoints WHERE workspace_id = ? ORDER BY id`, workspaceID)
}

// ListEnabledWebhookEndpoints returns every workspace's enabled endpoints (store.WebhookTx).
func (t *txn) ListEnabledWebhookEndpoints() ([]*omnichannel.WebhookEndpoint, error) {
	return getAll(t, t.scanWebhook, "webhook endpoints",
		`SELECT `+webhookColumns+` FROM webhook_endpoints WHERE enabled = 1 ORDER BY workspace_id, id`)
}

// UpdateWebhookEndpoint replaces the endpoint when its Version matches (store.WebhookTx).
func (t *txn) UpdateWebhookEndpoint(w *omnichannel.WebhookEndpoint) error {
	if err := t.writing(); err != nil {
		return err
	}
	args, err := t.webhookArgs(w)
	if err != nil {
		return err
	}
	args = append(args[2:13], w.WorkspaceID, w.ID, w.Version)
	res, err := t.q.exec(`UPDATE webhook_endpoints SET url = ?, secret = ?, kinds = ?, enabled = ?, feed_cursor = ?,
		failures = ?, failing_since = ?, next_attempt_at = ?, disabled_reason = ?, created_at = ?, updated_at = ?,
		version = version + 1
		WHERE workspace_id = ? AND id = ? AND version = ?`, args...)
	if err != nil {
		return writeError("update webhook endpoint", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := t.GetWebhookEndpoint(w.WorkspaceID, w.ID); err != nil {
			return err
		}
		return conflict("webhook endpoint", w.ID, w.Version)
	}
	w.Version++
	return nil
}

// DeleteWebhookEndpoint removes the endpoint and its log (store.WebhookTx).
func (t *txn) DeleteWebhookEndpoint(workspaceID, id string) error {
	if err := deleteOne(t, "webhook endpoint", id, `DELETE FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`,
		workspaceID, id); err != nil {
		return err
	}
	if _, err := t.q.exec(`DELETE FROM webhook_deliveries WHERE workspace_id = ? AND endpoint_id = ?`, workspaceID, id); err != nil {
		return writeError("delete webhook deliveries", err)
	}
	return nil
}

const deliveryColumns = `workspace_id, endpoint_id, id, at, first_position, last_position, events, attempt,
	status_code, duration_us, error_class, response`

func scanDelivery(sc scanner) (*omnichannel.WebhookDelivery, error) {
	var d omnichannel.WebhookDelivery
	var at, dur int64
	if err := sc.Scan(&d.WorkspaceID, &d.EndpointID, &d.ID, &at, &d.FirstPosition, &d.LastPosition, &d.Events,
		&d.Attempt, &d.StatusCode, &dur, &d.ErrorClass, &d.Response); err != nil {
		return nil, err
	}
	d.At, d.Duration = fromMicros(at), time.Duration(dur)*time.Microsecond
	return &d, nil
}

// InsertWebhookDelivery appends to an endpoint's log (store.WebhookTx).
func (t *txn) InsertWebhookDelivery(d *omnichannel.WebhookDelivery) error {
	if err := t.writing(); err != nil {
		return err
	}
	if _, err := t.q.exec(`INSERT INTO webhook_deliveries (`+deliveryColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.WorkspaceID, d.EndpointID, d.ID, micros(d.At), d.FirstPosition, d.LastPosition, d.Events, d.Attempt,
		d.StatusCode, d.Duration.Microseconds(), d.ErrorClass, d.Response); err != nil {
		return writeError("insert webhook delivery", err)
	}
	return nil
}

// ListWebhookDeliveries returns the endpoint's newest log entries (store.WebhookTx).
func (t *txn) ListWebhookDeliveries(workspaceID, endpointID string, limit int) ([]*omnichannel.WebhookDelivery, error) {
	return getAll(t, scanDelivery, "webhook deliveries", `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE workspace_id = ? AND endpoint_id = ? ORDER BY at DESC, id DESC LIMIT ?`, workspaceID, endpointID, max(limit, 0))
}

// PruneWebhookDeliveries removes log entries older than before (store.WebhookTx).
func (t *txn) PruneWebhookDeliveries(before time.Time, limit int) (int, error) {
	if err := t.writing(); err != nil {
		return 0, err
	}
	res, err := t.q.exec(`DELETE FROM webhook_deliveries WHERE rowid IN (
		SELECT rowid FROM webhook_deliveries WHERE at < ? ORDER BY at LIMIT ?)`, micros(before), max(limit, 0))
	if err != nil {
		return 0, writeError("prune webhook deliveries", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
