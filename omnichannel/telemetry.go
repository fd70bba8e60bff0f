package omnichannel

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// InstrumentationName names the engine's tracer and meter.
const InstrumentationName = "github.com/dakenh/dakenh/omnichannel"

// Attribute keys the engine's spans and metrics carry. Values are channel kinds, outcomes, job
// kinds and provider codes: never an id of a customer, a text or a secret.
const (
	AttrChannel      = attribute.Key("dakenh.channel")
	AttrOutcome      = attribute.Key("dakenh.outcome")
	AttrFailureClass = attribute.Key("dakenh.failure_class")
	AttrProviderCode = attribute.Key("dakenh.provider_code")
	AttrJobKind      = attribute.Key("dakenh.job_kind")
	AttrEventType    = attribute.Key("dakenh.event_type")
	AttrOperation    = attribute.Key("dakenh.store_operation")
)

// telemetry holds the engine's tracer and instruments. With the default providers (the global
// ones, which do nothing until a host installs its own) every call is a cheap no-op.
type telemetry struct {
	tracer         trace.Tracer
	webhooks       metric.Int64Counter
	webhookSeconds metric.Float64Histogram
	ingestSeconds  metric.Float64Histogram
	sends          metric.Int64Counter
	sendSeconds    metric.Float64Histogram
	jobs           metric.Int64Counter
	jobWait        metric.Float64Histogram
	refreshes      metric.Int64Counter
	txSeconds      metric.Float64Histogram
}

// newTelemetry makes the instruments and registers the job-queue gauges, observed through the
// store at each collection.
func newTelemetry(tp trace.TracerProvider, mp metric.MeterProvider, e *Engine) (*telemetry, error) {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(InstrumentationName)
	t := &telemetry{tracer: tp.Tracer(InstrumentationName)}
	var errs []error
	counter := func(name, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit("{call}"))
		errs = append(errs, err)
		return c
	}
	seconds := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithDescription(desc), metric.WithUnit("s"),
			metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
		errs = append(errs, err)
		return h
	}
	t.webhooks = counter("dakenh.webhook.requests", "Webhook deliveries by channel and outcome (ok, bad_signature, malformed, too_large, unknown, unavailable, error).")
	t.webhookSeconds = seconds("dakenh.webhook.duration", "Time from a webhook's arrival to its answer (the provider's ack latency).")
	t.ingestSeconds = seconds("dakenh.ingest.duration", "Time to store and route one inbound event.")
	t.sends = counter("dakenh.send.attempts", "Provider send attempts by channel, outcome (sent, retry, failed) and failure class.")
	t.sendSeconds = seconds("dakenh.send.duration", "Duration of one provider send call.")
	t.jobs = counter("dakenh.job.runs", "Background job runs by kind and outcome (ok, retry, dropped, interrupted).")
	t.jobWait = seconds("dakenh.job.wait", "Time a job waited between becoming due and being taken by a worker.")
	t.refreshes = counter("dakenh.token.refreshes", "Token refreshes by channel and outcome (ok, failed, reconnect).")
	t.txSeconds = seconds("dakenh.store.transaction.duration", "Store transactions by operation (update, grouped, view) and outcome.")
	depth, err := m.Int64ObservableGauge("dakenh.job.queue.depth", metric.WithDescription("Jobs due now and not running."), metric.WithUnit("{job}"))
	errs = append(errs, err)
	running, err := m.Int64ObservableGauge("dakenh.job.queue.running", metric.WithDescription("Jobs held by a worker now."), metric.WithUnit("{job}"))
	errs = append(errs, err)
	age, err := m.Float64ObservableGauge("dakenh.job.queue.age", metric.WithDescription("How long the oldest due job has waited."), metric.WithUnit("s"))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		var q JobQueue
		now := e.now()
		if err := e.store.View(ctx, func(tx Tx) (err error) {
			q, err = tx.JobQueue(now)
			return err
		}); err != nil {
			return err
		}
		o.ObserveInt64(depth, int64(q.Due))
		o.ObserveInt64(running, int64(q.Running))
		wait := 0.0
		if !q.OldestDue.IsZero() {
			wait = max(now.Sub(q.OldestDue).Seconds(), 0)
		}
		o.ObserveFloat64(age, wait)
		return nil
	}, depth, running, age)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// span starts a span of the engine's tracer.
func (t *telemetry) span(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return t.tracer.Start(ctx, name, trace.WithAttributes(attrs...))
}

// end ends span, marking it failed when err is set (the error's text is the engine's own: it
// never holds a token or a customer's text).
func end(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, failureText(err))
	}
	span.End()
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// webhookOutcome names the answer a webhook got.
func webhookOutcome(status int) string {
	switch status {
	case http.StatusOK, 0:
		return "ok"
	case http.StatusUnauthorized, http.StatusForbidden:
		return "bad_signature"
	case http.StatusBadRequest:
		return "malformed"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return "unknown"
	case http.StatusServiceUnavailable:
		return "unavailable"
	default:
		return "error"
	}
}

// instrumentWebhook wraps the webhook handler in a span and the webhook metrics.
func (e *Engine) instrumentWebhook(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		kind, _, _ := strings.Cut(strings.TrimLeft(r.URL.Path, "/"), "/")
		if e.channels[Kind(kind)] == nil {
			kind = "unknown"
		}
		ctx, span := e.tel.span(r.Context(), "dakenh.webhook", AttrChannel.String(kind))
		rec := &statusRecorder{ResponseWriter: w}
		next(rec, r.WithContext(ctx))
		outcome := webhookOutcome(rec.status)
		span.SetAttributes(AttrOutcome.String(outcome), attribute.Int("http.response.status_code", max(rec.status, http.StatusOK)))
		if rec.status >= http.StatusInternalServerError {
			span.SetStatus(codes.Error, outcome)
		}
		span.End()
		attrs := metric.WithAttributes(AttrChannel.String(kind), AttrOutcome.String(outcome))
		e.tel.webhooks.Add(ctx, 1, attrs)
		e.tel.webhookSeconds.Record(ctx, time.Since(start).Seconds(), attrs)
	})
}

// instrumentTx wraps a store transaction runner in a span and the transaction-time histogram.
func (e *Engine) instrumentTx(op string, run func(context.Context, func(Tx) error) error) func(context.Context, func(Tx) error) error {
	return func(ctx context.Context, fn func(Tx) error) error {
		ctx, span := e.tel.span(ctx, "dakenh.store."+op, AttrOperation.String(op))
		start := time.Now()
		err := run(ctx, fn)
		outcome := "ok"
		switch {
		case errors.Is(err, ErrConflict):
			outcome = "conflict"
		case err != nil:
			outcome = "error"
		}
		e.tel.txSeconds.Record(ctx, time.Since(start).Seconds(),
			metric.WithAttributes(AttrOperation.String(op), AttrOutcome.String(outcome)))
		if outcome == "error" && !isNotFound(err) {
			end(span, err)
		} else {
			span.End()
		}
		return err
	}
}

// recordSend ends a send attempt's span and counts it: sent, retry (a retryable failure with
// attempts left) or failed, with the failure class and the provider's code.
func (t *telemetry) recordSend(ctx context.Context, span trace.Span, kind Kind, start time.Time, err error, willRetry bool) {
	outcome := "sent"
	switch {
	case err != nil && willRetry:
		outcome = "retry"
	case err != nil:
		outcome = "failed"
	}
	class := ""
	if err != nil {
		class = FailureReasonOf(err)
	}
	attrs := []attribute.KeyValue{AttrChannel.String(string(kind)), AttrOutcome.String(outcome), AttrFailureClass.String(class)}
	var pe *ProviderError
	if errors.As(err, &pe) && pe.Code != "" {
		span.SetAttributes(AttrProviderCode.String(pe.Code))
	}
	span.SetAttributes(attrs[1:]...)
	end(span, err)
	t.sends.Add(ctx, 1, metric.WithAttributes(attrs...))
	t.sendSeconds.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attrs[0]))
}

// recordRefresh ends a token refresh's span and counts it: ok, reconnect (the grant is dead) or
// failed.
func (t *telemetry) recordRefresh(ctx context.Context, span trace.Span, kind Kind, err error) {
	outcome := "ok"
	switch {
	case errors.Is(err, ErrNeedsReconnect):
		outcome = "reconnect"
	case err != nil:
		outcome = "failed"
	}
	span.SetAttributes(AttrOutcome.String(outcome))
	end(span, err)
	t.refreshes.Add(ctx, 1, metric.WithAttributes(AttrChannel.String(string(kind)), AttrOutcome.String(outcome)))
}

// recordJob ends a job's span and counts the run: ok, interrupted (shutdown; the lease lets
// another run take it), retry or dropped (after its last attempt or a final error).
func (t *telemetry) recordJob(ctx context.Context, span trace.Span, kind JobKind, attempt int, err error, interrupted bool, maxAttempts int) {
	outcome := "ok"
	switch {
	case err == nil:
	case interrupted:
		outcome = "interrupted"
	case attempt >= maxAttempts || !IsRetryable(err):
		outcome = "dropped"
	default:
		outcome = "retry"
	}
	span.SetAttributes(AttrOutcome.String(outcome))
	end(span, err)
	t.jobs.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(AttrJobKind.String(string(kind)), AttrOutcome.String(outcome)))
}
