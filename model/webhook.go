package model

import (
	"log/slog"
	"net/url"
	"time"
)

// EventWebhookEndpointDisabled is recorded when the engine turns an outgoing webhook endpoint off
// after too many failed deliveries in a row (Event.EndpointID, Event.Failures).
const EventWebhookEndpointDisabled EventKind = "webhook_endpoint.disabled"

// WebhookSecret is the key an outgoing webhook endpoint's deliveries are signed with. It is a
// secret: String and GoString redact it, so a log line or a %v never shows it. Stores seal it at
// rest with their keyring, as they do provider tokens.
type WebhookSecret string

// String redacts the secret.
func (WebhookSecret) String() string { return "redacted" }

// GoString redacts the secret (for %#v).
func (WebhookSecret) GoString() string { return "redacted" }

// WebhookEndpoint is a host URL that receives a workspace's feed entries (outgoing webhooks),
// and the state of its delivery.
type WebhookEndpoint struct {
	WorkspaceID string
	ID          string
	// URL receives the POSTs (http or https).
	URL string
	// Secret signs each delivery (HMAC-SHA256).
	Secret WebhookSecret
	// Kinds are the event kinds delivered; empty means all.
	Kinds []EventKind
	// Enabled endpoints are delivered to; the engine clears it after too many failures.
	Enabled bool
	// Cursor is the feed position delivered up to (acknowledged with a 2xx).
	Cursor int64
	// Failures counts the failed attempts since the last success; FailingSince is when the first of
	// them happened (zero when none).
	Failures     int
	FailingSince time.Time
	// NextAttemptAt is when the next attempt may start (a backoff after a failure; zero: now).
	NextAttemptAt time.Time
	// DisabledReason says why the engine disabled the endpoint ("" when it did not).
	DisabledReason string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Version is incremented by every update (compare-and-set, as for conversations).
	Version int64
}

// LogValue is what log/slog shows of an endpoint: its ids, the URL's scheme and host (a path or a
// query may hold a token of the host's) and its state, never the secret.
func (w WebhookEndpoint) LogValue() slog.Value {
	host := "(invalid URL)"
	if u, err := url.Parse(w.URL); err == nil {
		host = u.Scheme + "://" + u.Host
	}
	return slog.GroupValue(slog.String("workspace", w.WorkspaceID), slog.String("id", w.ID),
		slog.String("host", host), slog.Bool("enabled", w.Enabled), slog.Int("failures", w.Failures))
}

// Clone returns a deep copy of w.
func (w *WebhookEndpoint) Clone() *WebhookEndpoint {
	cp := *w
	cp.Kinds = append([]EventKind(nil), w.Kinds...)
	return &cp
}

// WebhookDelivery is one attempt to deliver a batch of feed entries to an endpoint: the endpoint's
// delivery log. It holds no secret and no more of the response than a short sanitized prefix.
type WebhookDelivery struct {
	WorkspaceID string
	EndpointID  string
	ID          string
	// At is when the attempt started.
	At time.Time
	// FirstPosition and LastPosition are the feed positions of the batch's first and last
	// entries; Events is how many entries it held.
	FirstPosition int64
	LastPosition  int64
	Events        int
	// Attempt is 1 plus the endpoint's failures in a row before this attempt: the attempts at
	// delivering the entries after the same cursor.
	Attempt int
	// StatusCode is the HTTP status of the answer (0 when none came).
	StatusCode int
	// Duration is how long the attempt took.
	Duration time.Duration
	// ErrorClass is "" for a 2xx; otherwise one of "status", "redirect" (the endpoint answered
	// with a redirect: the batch counts as failed whatever the final answer), "timeout",
	// "connect", "refused" (the address is not allowed), "tls" or "other".
	ErrorClass string
	// Response is the start of the answer's body, at most 128 printable characters.
	Response string
}
