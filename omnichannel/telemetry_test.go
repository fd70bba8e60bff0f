package omnichannel_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// withTelemetry gives the engine in-memory span and metric exporters.
func withTelemetry(spans *tracetest.InMemoryExporter, reader sdkmetric.Reader) envOption {
	return func(c *oc.Config, _ *env) {
		c.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
		c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	}
}

// TestTelemetrySpansAndMetrics drives a webhook, a refused webhook, a reply that fails once and
// then goes out, and checks the spans (nested as documented, with the provider's code) and the
// metrics a host sees through its own providers.
func TestTelemetrySpansAndMetrics(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	reader := sdkmetric.NewManualReader()
	e := newEnv(t, withTelemetry(spans, reader))

	e.inbound("u1", "m1", "Xin chào")
	bad := e.prov.SignedWebhook(e.hook.URL+"/webhooks/fake", e.message("u1", "m2", "x"))
	bad.Header.Set(fakechannel.SignatureHeader, "forged")
	resp, err := http.DefaultClient.Do(bad)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	conv := e.conversationOf("u1")
	e.prov.FailNext(http.StatusServiceUnavailable, "busy-42", 1)
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: "Chào chị"})
	require.NoError(t, err)
	e.drain()
	e.clock.Advance(2 * time.Minute) // past RetryMaxDelay
	e.drain()
	require.Len(t, e.prov.Sent(), 1)

	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range spans.GetSpans().Snapshots() {
		byName[s.Name()] = append(byName[s.Name()], s)
	}
	for _, name := range []string{"dakenh.webhook", "dakenh.webhook.verify", "dakenh.webhook.parse",
		"dakenh.webhook.ingest", "dakenh.route", "dakenh.store.grouped", "dakenh.send", "dakenh.job", "dakenh.store.update"} {
		require.NotEmpty(t, byName[name], "a %s span", name)
	}
	root := byName["dakenh.webhook"][0]
	ingest := byName["dakenh.webhook.ingest"][0]
	assert.Equal(t, root.SpanContext().SpanID(), ingest.Parent().SpanID(), "ingest runs under the webhook's span")
	assert.Equal(t, root.SpanContext().TraceID(), byName["dakenh.route"][0].Parent().TraceID(), "routing is part of the webhook's trace")
	assert.Contains(t, root.Attributes(), attribute.String("dakenh.channel", "fake"))
	sendAttrs := map[attribute.Key]string{}
	for _, kv := range byName["dakenh.send"][0].Attributes() {
		sendAttrs[kv.Key] = kv.Value.String()
	}
	assert.Equal(t, "busy-42", sendAttrs["dakenh.provider_code"], "the failed attempt carries the provider's code")
	assert.Equal(t, "retry", sendAttrs["dakenh.outcome"])
	job := byName["dakenh.job"][0]
	assert.Equal(t, job.SpanContext().SpanID(), byName["dakenh.send"][0].Parent().SpanID(), "a send attempt runs under its job's span")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	sums := map[string]map[string]int64{}
	seen := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			seen[m.Name] = true
			if s, ok := m.Data.(metricdata.Sum[int64]); ok {
				sums[m.Name] = map[string]int64{}
				for _, dp := range s.DataPoints {
					o, _ := dp.Attributes.Value("dakenh.outcome")
					sums[m.Name][o.AsString()] += dp.Value
				}
			}
		}
	}
	assert.Equal(t, map[string]int64{"ok": 1, "bad_signature": 1}, sums["dakenh.webhook.requests"])
	assert.Equal(t, map[string]int64{"retry": 1, "sent": 1}, sums["dakenh.send.attempts"])
	for _, name := range []string{"dakenh.webhook.duration", "dakenh.ingest.duration", "dakenh.send.duration",
		"dakenh.job.runs", "dakenh.job.wait", "dakenh.store.transaction.duration",
		"dakenh.job.queue.depth", "dakenh.job.queue.running", "dakenh.job.queue.age"} {
		assert.True(t, seen[name], "metric %s", name)
	}
}
