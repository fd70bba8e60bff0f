package omnichannel

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/dakenh/dakenh/guardedfetch"
)

// Delivery of outgoing webhooks. For each enabled endpoint whose backoff is over, the dispatcher
// (DeliverWebhooks, run by Run every PollInterval) takes the endpoint's lease, so that one engine
// process at a time delivers it, reads the workspace's feed after the endpoint's cursor, keeps the
// entries of the endpoint's kinds, and POSTs them as one JSON batch (WebhookBatch) of up to
// Config.WebhookBatchSize entries. A 2xx answer moves the cursor past the batch; anything else
// leaves it, counts a failure and waits a backoff (Config.WebhookRetryBaseDelay doubling up to
// WebhookRetryMaxDelay, with jitter) before the same entries are sent again: delivery is at least
// once, in feed order. After Config.WebhookMaxFailures failures in a row the endpoint is disabled
// and a webhook_endpoint.disabled event is recorded. Every attempt is logged (WebhookDelivery).

// Headers of a delivery.
const (
	// WebhookSignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" (SignWebhook).
	WebhookSignatureHeader = "X-Dakenh-Signature"
	// WebhookDeliveryHeader carries the delivery's id (WebhookDelivery.ID), the same in the body.
	WebhookDeliveryHeader = "X-Dakenh-Delivery"
)

// webhookResponsePrefix bounds the part of an answer's body kept in the delivery log.
const webhookResponsePrefix = 128

// webhookPagesPerRound bounds the batches one endpoint sends in one round, so that a long
// backlog does not hold the round up.
const webhookPagesPerRound = 10

// WebhookBatch is the JSON body of a delivery.
type WebhookBatch struct {
	DeliveryID  string              `json:"delivery_id"`
	EndpointID  string              `json:"endpoint_id"`
	WorkspaceID string              `json:"workspace_id"`
	Events      []WebhookBatchEvent `json:"events"`
}

// WebhookBatchEvent is one feed entry of a delivery (FeedEntry in JSON).
type WebhookBatchEvent struct {
	Position       int64           `json:"position"`
	Kind           EventKind       `json:"kind"`
	WorkspaceID    string          `json:"workspace_id"`
	ConversationID string          `json:"conversation_id,omitempty"`
	MessageID      string          `json:"message_id,omitempty"`
	ConnectionID   string          `json:"connection_id,omitempty"`
	UserID         string          `json:"user_id,omitempty"`
	At             time.Time       `json:"at"`
	Data           json.RawMessage `json:"data,omitempty"`
}

// SignWebhook returns the signature header value of a delivery body sent at t:
// "t=<unix seconds>,v1=<hex of HMAC-SHA256(secret, "<unix seconds>." + body)>".
func SignWebhook(secret WebhookSecret, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(webhookMAC(secret, ts, body))
}

func webhookMAC(secret WebhookSecret, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return mac.Sum(nil)
}

// ErrBadWebhookSignature is returned by VerifyWebhook for a missing, malformed, wrong or stale
// signature.
var ErrBadWebhookSignature = errors.New("dakenh: bad webhook signature")

// VerifyWebhook checks a delivery as a host receives it: header is the WebhookSignatureHeader
// value, body the raw body, now the receiver's clock and tolerance how far the signature's time
// may be from now (replays older than that are refused; 5 minutes is usual). It compares in
// constant time.
func VerifyWebhook(secret WebhookSecret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrBadWebhookSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrBadWebhookSignature
	}
	want := webhookMAC(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrBadWebhookSignature
}

// DeliverWebhooks runs one round of outgoing webhook delivery: every enabled endpoint whose
// backoff is over and whose lease this engine gets sends its pending batches (up to a bound per
// round). Endpoints are delivered concurrently; it returns when all are done, with the number of
// batches delivered (2xx). Run calls it every PollInterval; hosts that schedule work themselves
// (and tests) may call it instead.
func (e *Engine) DeliverWebhooks(ctx context.Context) (int, error) {
	var eps []*WebhookEndpoint
	if err := e.view(ctx, func(tx Tx) (err error) {
		eps, err = tx.ListEnabledWebhookEndpoints()
		return err
	}); err != nil {
		return 0, err
	}
	now := e.now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	delivered := 0
	for _, ep := range eps {
		if ep.NextAttemptAt.After(now) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := e.deliverEndpoint(ctx, ep.WorkspaceID, ep.ID)
			mu.Lock()
			delivered += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return delivered, ctx.Err()
}

// maintainWebhooks runs DeliverWebhooks every PollInterval until ctx ends.
func (e *Engine) maintainWebhooks(ctx context.Context) {
	t := time.NewTicker(e.cfg.PollInterval)
	defer t.Stop()
	for {
		if _, err := e.DeliverWebhooks(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("dakenh: delivering outgoing webhooks failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// webhookLeaseKey is the lease that lets one engine process deliver an endpoint at a time.
func webhookLeaseKey(workspaceID, id string) string { return "webhook:" + workspaceID + "/" + id }

// deliverEndpoint delivers the endpoint's pending batches under its lease and returns how many
// were accepted.
func (e *Engine) deliverEndpoint(ctx context.Context, workspaceID, id string) int {
	key := webhookLeaseKey(workspaceID, id)
	if _, busy := e.delivering.LoadOrStore(key, true); busy {
		return 0
	}
	defer e.delivering.Delete(key)
	// The lease is taken (or renewed) before each batch for JobLease, which outlasts one attempt
	// (the client's timeout); it is released at the end.
	acquire := func() bool {
		var held bool
		err := e.store.Update(ctx, func(tx Tx) (err error) {
			now := e.now()
			held, err = tx.AcquireLease(key, e.id, now, now.Add(e.cfg.JobLease))
			return err
		})
		return err == nil && held
	}
	if !acquire() {
		return 0
	}
	defer func() {
		_ = e.store.Update(context.WithoutCancel(ctx), func(tx Tx) error { return tx.ReleaseLease(key, e.id) })
	}()
	delivered := 0
	for round := range webhookPagesPerRound {
		if round > 0 && !acquire() {
			return delivered
		}
		// Read the endpoint after taking the lease: its cursor is what the last holder stored.
		var ep *WebhookEndpoint
		if err := e.view(ctx, func(tx Tx) (err error) {
			ep, err = tx.GetWebhookEndpoint(workspaceID, id)
			return err
		}); err != nil {
			return delivered
		}
		if !ep.Enabled || ep.NextAttemptAt.After(e.now()) {
			return delivered
		}
		page, err := e.feedPage(ctx, workspaceID, ep.Cursor, e.cfg.WebhookBatchSize)
		if err != nil || len(page) == 0 {
			return delivered
		}
		last := page[len(page)-1].Position
		var events []WebhookBatchEvent
		for _, en := range page {
			if len(ep.Kinds) == 0 || slices.Contains(ep.Kinds, en.Kind) {
				events = append(events, WebhookBatchEvent{Position: en.Position, Kind: en.Kind, WorkspaceID: en.WorkspaceID,
					ConversationID: en.ConversationID, MessageID: en.MessageID, ConnectionID: en.ConnectionID,
					UserID: en.UserID, At: en.At, Data: en.Data})
			}
		}
		if len(events) == 0 { // nothing of the endpoint's kinds: move past the page
			if e.recordWebhookOutcome(ctx, ep, last, nil) != nil {
				return delivered
			}
			continue
		}
		d := e.postWebhook(ctx, ep, events)
		if e.recordWebhookOutcome(ctx, ep, last, d) != nil || d.ErrorClass != "" {
			return delivered
		}
		delivered++
		if len(page) < e.cfg.WebhookBatchSize {
			return delivered
		}
	}
	return delivered
}

// postWebhook sends one batch and returns its delivery log entry.
func (e *Engine) postWebhook(ctx context.Context, ep *WebhookEndpoint, events []WebhookBatchEvent) *WebhookDelivery {
	d := &WebhookDelivery{WorkspaceID: ep.WorkspaceID, EndpointID: ep.ID, ID: newID(), At: e.now(),
		FirstPosition: events[0].Position, LastPosition: events[len(events)-1].Position, Events: len(events),
		Attempt: ep.Failures + 1}
	body, err := json.Marshal(WebhookBatch{DeliveryID: d.ID, EndpointID: ep.ID, WorkspaceID: ep.WorkspaceID, Events: events})
	if err != nil {
		d.ErrorClass = "other"
		return d
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		d.ErrorClass = "other"
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dakenh-webhooks/1")
	req.Header.Set(WebhookDeliveryHeader, d.ID)
	req.Header.Set(WebhookSignatureHeader, SignWebhook(ep.Secret, e.now(), body))
	start := time.Now()
	resp, err := e.cfg.WebhookClient.Do(req)
	if err != nil {
		d.Duration = time.Since(start)
		d.ErrorClass = webhookErrorClass(err)
		return d
	}
	prefix := make([]byte, webhookResponsePrefix)
	n, _ := io.ReadFull(resp.Body, prefix)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	d.Duration = time.Since(start)
	d.StatusCode = resp.StatusCode
	d.Response = sanitizeResponse(prefix[:n])
	switch {
	case resp.Request != nil && resp.Request.URL.String() != req.URL.String():
		// The client followed a redirect: the batch went as a GET without its body or signature
		// to another URL, so even a 2xx there delivered nothing. The endpoint must name its final URL.
		d.ErrorClass = "redirect"
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		d.ErrorClass = "status"
	}
	return d
}

// webhookErrorClass names the kind of a failed request (WebhookDelivery.ErrorClass).
func webhookErrorClass(err error) string {
	var ne net.Error
	var te *tls.CertificateVerificationError
	var re tls.RecordHeaderError
	var oe *net.OpError
	switch {
	case errors.Is(err, guardedfetch.ErrRefused):
		return "refused"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.As(err, &te) || errors.As(err, &re):
		return "tls"
	case errors.As(err, &oe) && oe.Op == "dial":
		return "connect"
	}
	return "other"
}

// sanitizeResponse keeps the printable characters of an answer's start (others become '?').
func sanitizeResponse(b []byte) string {
	return strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, string(b))
}

// recordWebhookOutcome stores what an attempt did: the delivery log entry d (nil when the page held
// nothing of the endpoint's kinds), and the endpoint's state: past last on success, a failure and a
// backoff otherwise, disabled (with an event) after WebhookMaxFailures failures in a row.
func (e *Engine) recordWebhookOutcome(ctx context.Context, seen *WebhookEndpoint, last int64, d *WebhookDelivery) error {
	ok := d == nil || d.ErrorClass == ""
	if d != nil && !ok {
		e.log.Warn("dakenh: an outgoing webhook delivery failed", "workspace", seen.WorkspaceID, "endpoint", seen.ID,
			"host", guardedfetch.Redact(seen.URL), "status", d.StatusCode, "error_class", d.ErrorClass, "failures", seen.Failures+1)
	}
	return e.update(ctx, func(tx Tx, ch *change) error {
		ep, err := tx.GetWebhookEndpoint(seen.WorkspaceID, seen.ID)
		if err != nil {
			return err
		}
		if d != nil {
			if err := tx.InsertWebhookDelivery(d); err != nil {
				return err
			}
		}
		now := e.now()
		if ok {
			ep.Cursor = max(ep.Cursor, last)
			ep.Failures, ep.FailingSince, ep.NextAttemptAt = 0, time.Time{}, time.Time{}
		} else {
			ep.Failures++
			if ep.FailingSince.IsZero() {
				ep.FailingSince = now
			}
			ep.NextAttemptAt = now.Add(backoffDelay(ep.Failures, e.cfg.WebhookRetryBaseDelay, e.cfg.WebhookRetryMaxDelay))
			if ep.Failures >= e.cfg.WebhookMaxFailures && ep.Enabled {
				ep.Enabled = false
				ep.DisabledReason = fmt.Sprintf("%d deliveries failed in a row", ep.Failures)
				ch.emit(Event{Kind: EventWebhookEndpointDisabled, WorkspaceID: ep.WorkspaceID, EndpointID: ep.ID,
					Failures: ep.Failures, At: now})
				e.log.Warn("dakenh: an outgoing webhook endpoint was disabled after repeated failures",
					"workspace", ep.WorkspaceID, "endpoint", ep.ID, "failures", ep.Failures)
			}
		}
		ep.UpdatedAt = now
		return tx.UpdateWebhookEndpoint(ep)
	})
}
