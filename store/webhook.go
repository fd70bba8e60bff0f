package store

import (
	"time"

	"github.com/dakenh/dakenh/model"
)

// WebhookTx keeps the outgoing webhook endpoints of each workspace, their delivery state and their
// delivery log. Stores seal WebhookEndpoint.Secret at rest when they have a keyring.
type WebhookTx interface {
	// InsertWebhookEndpoint stores a new endpoint as given; ErrDuplicate when its id exists in the
	// workspace.
	InsertWebhookEndpoint(w *model.WebhookEndpoint) error
	GetWebhookEndpoint(workspaceID, id string) (*model.WebhookEndpoint, error)
	// ListWebhookEndpoints returns the workspace's endpoints ordered by id.
	ListWebhookEndpoints(workspaceID string) ([]*model.WebhookEndpoint, error)
	// ListEnabledWebhookEndpoints is global (the dispatcher serves every workspace): the enabled
	// endpoints of every workspace, ordered by workspace and id.
	ListEnabledWebhookEndpoints() ([]*model.WebhookEndpoint, error)
	// UpdateWebhookEndpoint replaces w when the stored Version equals w.Version and increments
	// Version (in w too); a mismatch returns an error wrapping ErrConflict, an absent endpoint
	// ErrNotFound.
	UpdateWebhookEndpoint(w *model.WebhookEndpoint) error
	// DeleteWebhookEndpoint removes the endpoint and its delivery log; ErrNotFound when absent.
	DeleteWebhookEndpoint(workspaceID, id string) error
	// InsertWebhookDelivery appends an entry to an endpoint's delivery log; ErrDuplicate when its
	// id exists.
	InsertWebhookDelivery(d *model.WebhookDelivery) error
	// ListWebhookDeliveries returns up to limit entries of the endpoint's log, newest first (by At,
	// then id descending).
	ListWebhookDeliveries(workspaceID, endpointID string, limit int) ([]*model.WebhookDelivery, error)
	// PruneWebhookDeliveries removes the log entries older than before (At < before), in every
	// workspace, up to limit, and returns how many it removed.
	PruneWebhookDeliveries(before time.Time, limit int) (int, error)
}
