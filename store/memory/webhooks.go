package memory

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

func cloneDelivery(d *omnichannel.WebhookDelivery) *omnichannel.WebhookDelivery {
	cp := *d
	return &cp
}

// InsertWebhookEndpoint stores a new endpoint; ErrDuplicate when its id exists (store.WebhookTx).
func (t *txn) InsertWebhookEndpoint(w *omnichannel.WebhookEndpoint) error {
	if err := t.writing(); err != nil {
		return err
	}
	ws := t.wsw(w.WorkspaceID)
	if _, ok := ws.hooks[w.ID]; ok {
		return duplicate("webhook endpoint", "id "+w.ID)
	}
	set(t, ws.hooks, w.ID, w.Clone())
	return nil
}

// GetWebhookEndpoint returns the endpoint (store.WebhookTx).
func (t *txn) GetWebhookEndpoint(workspaceID, id string) (*omnichannel.WebhookEndpoint, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return getRow(t.ws(workspaceID).hooks, "webhook endpoint", id, (*omnichannel.WebhookEndpoint).Clone)
}

// ListWebhookEndpoints returns the workspace's endpoints by id (store.WebhookTx).
func (t *txn) ListWebhookEndpoints(workspaceID string) ([]*omnichannel.WebhookEndpoint, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	return listRows(t.ws(workspaceID).hooks, (*omnichannel.WebhookEndpoint).Clone), nil
}

// ListEnabledWebhookEndpoints returns every workspace's enabled endpoints (store.WebhookTx).
func (t *txn) ListEnabledWebhookEndpoints() ([]*omnichannel.WebhookEndpoint, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	var out []*omnichannel.WebhookEndpoint
	for _, w := range t.s.d.workspaces {
		for _, h := range w.hooks {
			if h.Enabled {
				out = append(out, h.Clone())
			}
		}
	}
	slices.SortFunc(out, func(a, b *omnichannel.WebhookEndpoint) int {
		return cmp.Or(strings.Compare(a.WorkspaceID, b.WorkspaceID), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// UpdateWebhookEndpoint replaces the endpoint when its Version matches (store.WebhookTx).
func (t *txn) UpdateWebhookEndpoint(w *omnichannel.WebhookEndpoint) error {
	if err := t.writing(); err != nil {
		return err
	}
	old, ok := t.ws(w.WorkspaceID).hooks[w.ID]
	if !ok {
		return notFound("webhook endpoint", w.ID)
	}
	if old.Version != w.Version {
		return conflict("webhook endpoint", w.ID, w.Version, old.Version)
	}
	n := w.Clone()
	n.Version++
	set(t, t.wsw(w.WorkspaceID).hooks, w.ID, n)
	w.Version++
	return nil
}

// DeleteWebhookEndpoint removes the endpoint and its log (store.WebhookTx).
func (t *txn) DeleteWebhookEndpoint(workspaceID, id string) error {
	if err := t.writing(); err != nil {
		return err
	}
	ws := t.ws(workspaceID)
	if _, ok := ws.hooks[id]; !ok {
		return notFound("webhook endpoint", id)
	}
	del(t, ws.hooks, id)
	for did, d := range ws.deliveries {
		if d.EndpointID == id {
			del(t, ws.deliveries, did)
		}
	}
	return nil
}

// InsertWebhookDelivery appends to an endpoint's log (store.WebhookTx).
func (t *txn) InsertWebhookDelivery(d *omnichannel.WebhookDelivery) error {
	if err := t.writing(); err != nil {
		return err
	}
	ws := t.wsw(d.WorkspaceID)
	if _, ok := ws.deliveries[d.ID]; ok {
		return duplicate("webhook delivery", "id "+d.ID)
	}
	set(t, ws.deliveries, d.ID, cloneDelivery(d))
	return nil
}

// ListWebhookDeliveries returns the endpoint's newest log entries (store.WebhookTx).
func (t *txn) ListWebhookDeliveries(workspaceID, endpointID string, limit int) ([]*omnichannel.WebhookDelivery, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	var out []*omnichannel.WebhookDelivery
	for _, d := range t.ws(workspaceID).deliveries {
		if d.EndpointID == endpointID {
			out = append(out, cloneDelivery(d))
		}
	}
	slices.SortFunc(out, func(a, b *omnichannel.WebhookDelivery) int {
		return cmp.Or(b.At.Compare(a.At), strings.Compare(b.ID, a.ID))
	})
	if len(out) > max(limit, 0) {
		out = out[:max(limit, 0)]
	}
	return out, nil
}

// PruneWebhookDeliveries removes log entries older than before (store.WebhookTx).
func (t *txn) PruneWebhookDeliveries(before time.Time, limit int) (int, error) {
	if err := t.writing(); err != nil {
		return 0, err
	}
	n := 0
	for _, w := range t.s.d.workspaces {
		for id, d := range w.deliveries {
			if n < limit && d.At.Before(before) {
				del(t, w.deliveries, id)
				n++
			}
		}
	}
	return n, nil
}
