package omnichannel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dakenh/dakenh/model"
)

// Outgoing webhooks: per-workspace host URLs that receive the workspace's durable feed entries
// (feed.go), signed, retried with backoff, each attempt logged, and disabled after too many
// failures in a row (outgoing_dispatch.go delivers). These administration methods take the acting
// user, whom the Authorizer must allow ActionAdmin, like the other administration methods.

// Limits of an outgoing webhook endpoint.
const (
	// MaxWebhookURLLength bounds an endpoint URL.
	MaxWebhookURLLength = 2048
	// MinWebhookSecretLength and MaxWebhookSecretLength bound a secret the host chooses.
	MinWebhookSecretLength = 16
	MaxWebhookSecretLength = 256
)

// webhookEventKinds are the kinds an endpoint may filter on: every kind the engine emits.
var webhookEventKinds = model.EventKinds()

// checkWebhookEndpoint reports every problem of w's URL, secret (when set) and kinds.
func checkWebhookEndpoint(w *WebhookEndpoint) error {
	var p problems
	if strings.TrimSpace(w.WorkspaceID) == "" {
		p.add("a webhook endpoint needs a workspace", "workspaceId", ProblemRequired)
	}
	u, err := url.Parse(w.URL)
	switch {
	case w.URL == "":
		p.add("a webhook endpoint needs a URL", "url", ProblemRequired)
	case len(w.URL) > MaxWebhookURLLength:
		p.add(fmt.Sprintf("the URL is longer than %d characters", MaxWebhookURLLength), "url", ProblemTooLong,
			"max", fmt.Sprint(MaxWebhookURLLength))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "":
		p.add("the URL must be an http or https URL with a host, without user information or fragment", "url",
			ProblemNotAllowed, "allowed", "http, https")
	}
	if n := len(w.Secret); n > 0 && (n < MinWebhookSecretLength || n > MaxWebhookSecretLength) {
		p.add(fmt.Sprintf("the secret must be %d to %d characters", MinWebhookSecretLength, MaxWebhookSecretLength),
			"secret", ProblemNotAllowed, "min", fmt.Sprint(MinWebhookSecretLength), "max", fmt.Sprint(MaxWebhookSecretLength))
	}
	for _, k := range w.Kinds {
		if !slices.Contains(webhookEventKinds, k) {
			p.add(fmt.Sprintf("unknown event kind %q", k), "kinds", ProblemUnknown, "kind", string(k))
		}
	}
	return p.err()
}

// newWebhookSecret returns a random secret: "whsec_" and 32 random bytes in hex.
func newWebhookSecret() WebhookSecret {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return WebhookSecret("whsec_" + hex.EncodeToString(b))
}

// withoutSecret returns w with its secret left out (what the read methods return).
func withoutSecret(w *WebhookEndpoint) *WebhookEndpoint {
	w.Secret = ""
	return w
}

// CreateWebhookEndpoint adds an outgoing webhook endpoint to w.WorkspaceID: w.URL (http or https),
// w.Secret (generated when empty), w.Kinds (the event kinds to deliver, all when empty) and
// w.Enabled; an empty w.ID gets a new one. Every problem is reported at once (ErrInvalid).
// Delivery starts after the feed position w.Cursor: 0 delivers the whole retained feed first (up to
// Config.FeedRetention old), a host's own saved cursor starts after what it already has. The
// returned endpoint holds the secret; the other methods never return it.
func (e *Engine) CreateWebhookEndpoint(ctx context.Context, actorID string, w WebhookEndpoint) (*WebhookEndpoint, error) {
	if err := checkWebhookEndpoint(&w); err != nil {
		return nil, err
	}
	if w.ID == "" {
		w.ID = newID()
	}
	if w.Secret == "" {
		w.Secret = newWebhookSecret()
	}
	if w.Cursor < 0 {
		return nil, invalid("the cursor must not be negative", "cursor", ProblemNotAllowed)
	}
	now := e.now()
	w.Kinds = slices.Clone(w.Kinds)
	w.Failures, w.FailingSince, w.NextAttemptAt, w.DisabledReason = 0, time.Time{}, time.Time{}, ""
	w.CreatedAt, w.UpdatedAt, w.Version = now, now, 0
	err := e.admin(ctx, w.WorkspaceID, actorID, func(tx Tx, ch *change) error {
		return tx.InsertWebhookEndpoint(&w)
	})
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// UpdateWebhookEndpoint changes the URL, kinds and enabled flag of the endpoint w.WorkspaceID,
// w.ID, and its secret when w.Secret is set (the old one is kept otherwise). Enabling an endpoint
// clears its failures, so it is tried at once. The returned endpoint leaves the secret out.
func (e *Engine) UpdateWebhookEndpoint(ctx context.Context, actorID string, w WebhookEndpoint) (*WebhookEndpoint, error) {
	if err := checkWebhookEndpoint(&w); err != nil {
		return nil, err
	}
	var out *WebhookEndpoint
	err := e.admin(ctx, w.WorkspaceID, actorID, func(tx Tx, ch *change) error {
		cur, err := tx.GetWebhookEndpoint(w.WorkspaceID, w.ID)
		if err != nil {
			return err
		}
		cur.URL, cur.Kinds = w.URL, slices.Clone(w.Kinds)
		if w.Secret != "" {
			cur.Secret = w.Secret
		}
		if w.Enabled && (!cur.Enabled || cur.Failures > 0) {
			cur.Failures, cur.FailingSince, cur.NextAttemptAt, cur.DisabledReason = 0, time.Time{}, time.Time{}, ""
		}
		cur.Enabled = w.Enabled
		cur.UpdatedAt = e.now()
		if err := tx.UpdateWebhookEndpoint(cur); err != nil {
			return err
		}
		out = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	return withoutSecret(out), nil
}

// WebhookEndpoints returns the workspace's outgoing webhook endpoints, ordered by id, without
// their secrets.
func (e *Engine) WebhookEndpoints(ctx context.Context, workspaceID, actorID string) ([]*WebhookEndpoint, error) {
	var out []*WebhookEndpoint
	err := e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) (err error) {
		out, err = tx.ListWebhookEndpoints(workspaceID)
		return err
	})
	for _, w := range out {
		withoutSecret(w)
	}
	return out, err
}

// DeleteWebhookEndpoint removes the endpoint and its delivery log (ErrNotFound when absent).
func (e *Engine) DeleteWebhookEndpoint(ctx context.Context, workspaceID, actorID, id string) error {
	return e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
		return tx.DeleteWebhookEndpoint(workspaceID, id)
	})
}

// WebhookDeliveries returns up to limit entries of the endpoint's delivery log, newest first
// (ErrNotFound when the endpoint does not exist). Entries older than Config.FeedRetention are
// pruned by Run.
func (e *Engine) WebhookDeliveries(ctx context.Context, workspaceID, actorID, endpointID string, limit int) ([]*WebhookDelivery, error) {
	var out []*WebhookDelivery
	err := e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
		if _, err := tx.GetWebhookEndpoint(workspaceID, endpointID); err != nil {
			return err
		}
		var err error
		out, err = tx.ListWebhookDeliveries(workspaceID, endpointID, limit)
		return err
	})
	return out, err
}
