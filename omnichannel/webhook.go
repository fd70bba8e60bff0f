package omnichannel

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// WebhookHandler returns the http.Handler providers post to. Mount it under a prefix with
// http.StripPrefix; it serves POST /{kind} and POST /{kind}/{connectionID}, and GET (the
// provider's verification of the URL) for adapters implementing WebhookHandshaker.
//
// Order of work: the body is capped at MaxWebhookBytes (413 beyond); the adapter verifies
// the signature on the raw bytes before any lookup (401); the body is parsed (400 when malformed);
// each event is stored in its own transaction; only then does the provider get 200, so an
// acknowledged message is durable in the store. Unknown event types, unknown accounts and
// disconnected connections answer 200 and change nothing; so does a duplicate delivery. A store
// failure answers 500 so the provider retries.
func (e *Engine) WebhookHandler() http.Handler {
	return e.instrumentWebhook(e.serveWebhook)
}

func (e *Engine) serveWebhook(w http.ResponseWriter, r *http.Request) {
	kind, connID, _ := strings.Cut(strings.Trim(r.URL.Path, "/"), "/")
	adapter := e.channels[Kind(kind)]
	if adapter == nil || strings.Contains(connID, "/") {
		webhookError(w, http.StatusNotFound, "unknown webhook path")
		return
	}
	if hs, ok := adapter.(WebhookHandshaker); ok && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		e.serveHandshake(w, r, hs, kind)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		webhookError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, e.cfg.MaxWebhookBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			webhookError(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		webhookError(w, http.StatusBadRequest, "could not read body")
		return
	}
	_, verify := e.tel.span(r.Context(), "dakenh.webhook.verify")
	err = adapter.VerifyWebhook(r.Header, body)
	end(verify, err)
	if err != nil {
		e.log.Warn("dakenh: webhook refused: bad signature", "kind", kind, "remote", r.RemoteAddr)
		webhookError(w, http.StatusUnauthorized, "bad signature")
		return
	}
	_, parse := e.tel.span(r.Context(), "dakenh.webhook.parse")
	events, err := adapter.ParseWebhook(r.Header, body)
	parse.SetAttributes(attribute.Int("dakenh.events", len(events)))
	end(parse, err)
	if err != nil {
		e.log.Warn("dakenh: webhook refused: malformed body", "kind", kind, "err", err)
		webhookError(w, http.StatusBadRequest, "malformed body")
		return
	}
	var pathConn *Connection
	if connID != "" {
		var err error
		pathConn, err = e.webhookConnection(r.Context(), connCacheKey{id: connID}, func(tx Tx) (*Connection, error) {
			return tx.FindConnectionByID(connID)
		})
		if isNotFound(err) || (err == nil && pathConn.Kind != adapter.Kind()) {
			webhookError(w, http.StatusNotFound, "unknown connection")
			return
		}
		if err != nil {
			e.log.Error("dakenh: webhook lookup failed", "kind", kind, "err", err)
			webhookError(w, http.StatusInternalServerError, "temporary failure, retry")
			return
		}
	}
	malformed := false
	for _, ev := range events {
		if err := e.deliver(r.Context(), adapter, pathConn, ev); err != nil {
			if errors.Is(err, ErrMalformed) {
				// This event can never be stored (an event without its customer): the others
				// are, and the answer says what was wrong instead of asking for a redelivery.
				e.log.Warn("dakenh: webhook event refused: malformed", "kind", kind, "event", ev.Type, "err", err)
				malformed = true
				continue
			}
			e.log.Error("dakenh: webhook event not stored", "kind", kind, "event", ev.Type, "err", err)
			if errors.Is(err, ErrUnavailable) {
				// The store cannot write now (a full disk): nothing was stored; the provider
				// redelivers later.
				w.Header().Set("Retry-After", "30")
				webhookError(w, http.StatusServiceUnavailable, "temporarily unavailable, retry")
				return
			}
			webhookError(w, http.StatusInternalServerError, "temporary failure, retry")
			return
		}
	}
	if malformed {
		webhookError(w, http.StatusBadRequest, "malformed event")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`)
}

// serveHandshake answers a provider's GET verification of the callback URL: 200 with the
// adapter's plain-text answer, 403 when the adapter refuses it.
func (e *Engine) serveHandshake(w http.ResponseWriter, r *http.Request, hs WebhookHandshaker, kind string) {
	answer, err := hs.AnswerHandshake(r.URL.Query())
	if err != nil {
		e.log.Warn("dakenh: webhook handshake refused", "kind", kind, "remote", r.RemoteAddr)
		webhookError(w, http.StatusForbidden, "verification refused")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.WriteString(w, answer)
}

// deliver finds the event's connection and ingests it. Events for unknown or disconnected accounts
// are ignored (logged once per account).
func (e *Engine) deliver(ctx context.Context, adapter Channel, pathConn *Connection, ev InboundEvent) error {
	conn := pathConn
	if conn == nil || (ev.ExternalAccountID != "" && ev.ExternalAccountID != conn.ExternalID) {
		if conn != nil {
			e.logUnknownOnce("account mismatch", string(adapter.Kind())+"/"+conn.ID)
			return nil
		}
		var err error
		conn, err = e.webhookConnection(ctx, connCacheKey{kind: adapter.Kind(), externalID: ev.ExternalAccountID},
			func(tx Tx) (*Connection, error) {
				return tx.FindConnectionByExternalID(adapter.Kind(), ev.ExternalAccountID)
			})
		if isNotFound(err) {
			e.logUnknownOnce("unknown account", string(adapter.Kind())+"/"+ev.ExternalAccountID)
			return nil
		}
		if err != nil {
			return err
		}
	}
	if conn.Status == ConnectionDisconnected {
		return nil
	}
	if ev.NeedsFetch {
		f, ok := adapter.(ContentFetcher)
		if !ok {
			return nil
		}
		var full InboundEvent
		if err := e.callWithFreshToken(ctx, conn, func(c *Connection) (err error) {
			full, err = f.FetchContent(ctx, c, ev)
			return err
		}); err != nil {
			return err
		}
		ev = full
	}
	ctx, span := e.tel.span(ctx, "dakenh.webhook.ingest", AttrChannel.String(string(conn.Kind)), AttrEventType.String(string(ev.Type)))
	start := time.Now()
	err := e.ingest(ctx, conn, ev)
	e.tel.ingestSeconds.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(AttrChannel.String(string(conn.Kind))))
	end(span, err)
	return err
}

func (e *Engine) logUnknownOnce(what, key string) {
	e.unknownMu.Lock()
	defer e.unknownMu.Unlock()
	if len(e.unknownLogged) > 10000 || e.unknownLogged[key] {
		return
	}
	e.unknownLogged[key] = true
	e.log.Info("dakenh: webhook event ignored: "+what, "key", key)
}

func webhookError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	io.WriteString(w, `{"error":"`+msg+`"}`)
}
